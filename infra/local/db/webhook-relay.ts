/**
 * The local stand-in for the pg_net Database Webhook: polls the change log by its global identity
 * `id` (starting after the largest id at start) and POSTs each new origin-`db` row as Supabase
 * would — `{type:'INSERT', table, schema:'public', record, old_record:null}` with the
 * `x-staff-sync-webhook-secret` header — once, without retries, logging failures.
 *
 * Ids of concurrent transactions (a real Postgres) can commit out of order, so an id below the
 * largest seen that is still missing is waited for up to `gapWaitMs` before it is given up
 * (rolled back ids never appear). With PGlite transactions are serial and there are no such gaps.
 */
import { WEBHOOK_SECRET_HEADER } from '../../../shared/webhook';
import type { LocalDbLog } from './log';
import { quoteIdent } from './rpc-call';

export const DEFAULT_CHANGE_LOG_TABLE = 'staff_changes';

export type RelayQuery = (sql: string, params?: unknown[]) => Promise<{ rows: unknown[] }>;

export interface WebhookRelayOptions {
  /** Runs SQL as the database owner (`LocalSupabase.query`). */
  readonly query: RelayQuery;
  /** Where to POST (the webhook route of the HTTP API). */
  readonly url: string;
  readonly secret: string;
  /** @default 200 */
  readonly intervalMs?: number;
  /** The change-log table in `public`. @default 'staff_changes' */
  readonly table?: string;
  /** Per-POST timeout, as pg_net's. @default 5000 */
  readonly timeoutMs?: number;
  /** How long a missing id below the largest seen is waited for. @default 5000 */
  readonly gapWaitMs?: number;
  readonly fetch?: typeof fetch;
  readonly log?: LocalDbLog;
}

export interface WebhookRelay {
  /** Resolves once the starting point (the largest id at start) is fixed: later rows are delivered. */
  readonly started: Promise<void>;
  /** Stops polling; resolves when the poll in flight (and its deliveries) finished. */
  stop(): Promise<void>;
}

interface LogRow {
  id: string | number;
  origin: string;
  record: string | null;
}

export function startWebhookRelay(options: WebhookRelayOptions): WebhookRelay {
  const table = options.table ?? DEFAULT_CHANGE_LOG_TABLE;
  const qualified = `public.${quoteIdent(table)}`;
  const post = options.fetch ?? fetch;
  const log = options.log ?? (() => undefined);
  let low: number | undefined; // every id ≤ low is handled
  const handled = new Set<number>();
  let gapSince: number | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  async function deliver(id: number, record: string): Promise<void> {
    const body = `{"type":"INSERT","table":${JSON.stringify(table)},"schema":"public","record":${record},"old_record":null}`;
    try {
      const response = await post(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WEBHOOK_SECRET_HEADER]: options.secret, 'user-agent': 'pg_net (staff-sync local relay)' },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      await response.arrayBuffer();
      if (!response.ok) log(`webhook relay: change-log id ${id} answered ${response.status}`);
    } catch (error) {
      log(`webhook relay: change-log id ${id} not delivered: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function advance(): void {
    if (low === undefined) return;
    while (handled.delete(low + 1)) low += 1;
    if (handled.size === 0) {
      gapSince = undefined;
      return;
    }
    gapSince ??= Date.now();
    if (Date.now() - gapSince < (options.gapWaitMs ?? 5000)) return;
    low = Math.min(...handled) - 1;
    gapSince = undefined;
    advance();
  }

  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));

  async function poll(): Promise<void> {
    if (low === undefined) {
      const { rows } = await options.query(`select coalesce(max(id), 0)::text as max from ${qualified}`);
      low = Number((rows[0] as { max: string } | undefined)?.max ?? 0);
      markStarted();
      return;
    }
    const { rows } = await options.query(
      `select id::text as id, origin, case when origin = 'db' then to_jsonb(t)::text end as record
         from ${qualified} t where id > $1 order by id limit 500`,
      [String(low)],
    );
    for (const row of rows as LogRow[]) {
      const id = Number(row.id);
      if (handled.has(id)) continue;
      handled.add(id);
      if (row.origin === 'db' && row.record !== null) await deliver(id, row.record);
    }
    advance();
  }

  let inFlight: Promise<void> = Promise.resolve();
  const loop = (): void => {
    if (stopped) return;
    inFlight = poll()
      .catch((error: unknown) => log(`webhook relay: poll failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, options.intervalMs ?? 200);
      });
  };
  loop();

  return {
    started,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
