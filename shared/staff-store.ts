/**
 * The staff store: every operation is ONE `.rpc()` of a Postgres function (CONTRIBUTING.md's data
 * contract) through postgrest-js (the part of supabase-js that makes RPC calls, without its auth,
 * storage, realtime and functions clients), with a bounded time per call. Results are validated with the wire
 * schemas; PostgREST errors become `StaffSyncError`s by code. Nothing here knows about API Gateway.
 *
 * @example
 * const store = createStaffStore({ url: process.env.SUPABASE_URL, serviceKey });
 * const { change } = await store.create({ orgId, userId }, requestId, { name: 'Ada' });
 */
import { PostgrestClient } from '@supabase/postgrest-js';
import type { z } from 'zod/mini';
import { isStaffSyncError, StaffSyncError } from './errors';
import type { SyncPage } from './protocol/server-frames';
import type { Change } from './protocol/staff';
import type { StaffChanges, StaffInput } from './protocol/staff-input';
import type { BatchOperation } from './protocol/client-frames';
import type { StaffDatabase, StaffFunction, StaffFunctionArgs } from './staff-store/database';
import { decodeCursor, encodeCursor, invalidCursor, sortedDepartments } from './staff-store/cursor';
import { toStaffSyncError } from './staff-store/errors';
import {
  batchResultSchema,
  changeAtSchema,
  healthSchema,
  latestSeqSchema,
  latestSeqsSchema,
  pageSchema,
  toBatchResult,
  toWriteResult,
  writeResultSchema,
  type BatchResult,
  type LatestSeqs,
  type WriteResult,
} from './staff-store/results';
import { departmentPageContract, pageContract, streamContract, type ResultContract } from './staff-store/contracts';

export type { BatchResult, LatestSeqs, WriteResult } from './staff-store/results';
export type { SyncPage } from './protocol/server-frames';

export const DEFAULT_STAFF_STORE_TIMEOUT_MS = 5000;

/** Who acts: the org from the token (tenant) and the user id (actor, idempotency key). */
export interface StaffContext {
  readonly orgId: string;
  readonly userId: string;
}

/** `SYNC_REQUEST`'s payload: `{sinceSeq}`, `{cursor}`, or nothing for a full snapshot. */
export type SyncRequest =
  | {
      readonly sinceSeq?: number;
      readonly cursor?: string;
      /** A sync by departments (docs/protocol.md §7.9), from `sinceDeptSeqs` (a delta) or a snapshot. */
      readonly departments?: readonly string[];
      readonly sinceDeptSeqs?: Record<string, number>;
    }
  | undefined;

export interface StaffStore {
  create(ctx: StaffContext, requestId: string, staff: StaffInput): Promise<WriteResult>;
  update(ctx: StaffContext, requestId: string, staffId: string, baseVersion: number, changes: StaffChanges): Promise<WriteResult>;
  remove(ctx: StaffContext, requestId: string, staffId: string, baseVersion: number): Promise<WriteResult>;
  /** Every operation in one transaction, or none (the first failing operation's error). */
  batch(ctx: StaffContext, requestId: string, operations: readonly BatchOperation[]): Promise<BatchResult>;
  /** One page; `cursor` when `hasMore`. */
  sync(ctx: StaffContext, request: SyncRequest): Promise<SyncPage>;
  /**
   * Up to `streamMaxPages` pages from ONE read, in order (a sync by departments: its one page);
   * the last has `cursor` when `hasMore`.
   */
  syncStream(ctx: StaffContext, request: SyncRequest): Promise<SyncPage[]>;
  /** The org's latest committed `seq` (0 when none). */
  latestSeq(orgId: string): Promise<number>;
  /** The org's latest `seq` and every department's latest seq, read together (docs/protocol.md §7.8). */
  latestSeqs(orgId: string): Promise<LatestSeqs>;
  /** One change of the org's log, or null (the webhook's re-read). */
  changeAt(orgId: string, seq: number): Promise<Change | null>;
  /** Resolves when the database answers; throws UPSTREAM_UNAVAILABLE otherwise. */
  health(signal?: AbortSignal): Promise<void>;
}

export interface StaffStoreOptions {
  /** SUPABASE_URL. */
  readonly url: string;
  /** The service key (legacy service_role JWT or `sb_secret_…`). */
  readonly serviceKey: string;
  /** Per-call bound; past it the call is UPSTREAM_UNAVAILABLE. @default 5000 */
  readonly timeoutMs?: number;
  /** The fetch under postgrest-js (fault injection). @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Most records or changes per sync page. @default the SQL default (1000) */
  readonly pageMaxRows?: number;
  /** Most bytes of a sync page's records/changes JSON (keeps frames under 128 KB). @default the SQL default (100000) */
  readonly pageMaxBytes?: number;
  /** Most pages of one streamed read (`syncStream`). @default the SQL default (64) */
  readonly streamMaxPages?: number;
}

/**
 * The RPC client a Lambda needs, with the headers supabase-js would send (`apikey`, and the key
 * as the bearer: the service role) and a timeout on every request.
 */
export function createStaffStoreClient(url: string, serviceKey: string, timeoutMs: number, baseFetch: typeof fetch = fetch): PostgrestClient<StaffDatabase> {
  const timedFetch: typeof fetch = (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
  return new PostgrestClient<StaffDatabase>(`${url.replace(/\/+$/, '')}/rest/v1`, {
    headers: { apikey: serviceKey, Authorization: `Bearer ${serviceKey}` },
    fetch: timedFetch,
  });
}

const orgArgs = (ctx: StaffContext, requestId: string) => ({ p_org_id: ctx.orgId, p_actor: ctx.userId, p_request_id: requestId });

export function createStaffStore(options: StaffStoreOptions): StaffStore {
  const timeoutMs = options.timeoutMs ?? DEFAULT_STAFF_STORE_TIMEOUT_MS;
  const rest = createStaffStoreClient(options.url, options.serviceKey, timeoutMs, options.fetch);

  async function call<F extends StaffFunction, T>(fn: F, args: StaffFunctionArgs<F>, schema: ResultContract<T>, signal?: AbortSignal): Promise<T> {
    const builder = rest.rpc(fn, args);
    const { data, error, status } = await (signal ? builder.abortSignal(signal) : builder);
    if (error) throw toStaffSyncError(fn, { error, status });
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new StaffSyncError('INTERNAL', `${fn} returned a result outside the data contract`, { cause: parsed.error });
    }
    return parsed.data;
  }

  const write = async <F extends 'staff_create' | 'staff_update' | 'staff_delete'>(fn: F, args: StaffFunctionArgs<F>): Promise<WriteResult> =>
    toWriteResult(await call(fn, args, writeResultSchema));

  const pageLimits = {
    ...(options.pageMaxRows === undefined ? {} : { p_max_rows: options.pageMaxRows }),
    ...(options.pageMaxBytes === undefined ? {} : { p_max_bytes: options.pageMaxBytes }),
  };

  const streamLimits = { ...pageLimits, ...(options.streamMaxPages === undefined ? {} : { p_max_pages: options.streamMaxPages }) };

  type Page = z.output<typeof pageSchema> & { readonly deptSeqs?: Record<string, number> };

  /**
   * A database page as the wire's, with the cursor of the next one: `cursorOf` turns where this
   * page ended into it (an org sync's seq, or a department sync's positions) and the id after
   * which a snapshot continues.
   */
  function toSyncPage(result: Page, fn: StaffFunction, cursorOf: (afterId: string | undefined) => string): SyncPage {
    if (result.hasMore && result.mode === 'snapshot' && !result.afterId) throw new StaffSyncError('INTERNAL', `${fn} said hasMore without afterId`);
    return {
      mode: result.mode,
      ...(result.mode === 'delta' ? { changes: result.changes } : { staff: result.staff }),
      seq: result.seq,
      ...(result.deptSeqs ? { deptSeqs: result.deptSeqs } : {}),
      hasMore: result.hasMore,
      ...(result.hasMore ? { cursor: cursorOf(result.mode === 'snapshot' ? (result.afterId ?? undefined) : undefined) } : {}),
    };
  }

  /** An org sync page as the wire's, its cursor binding the org. */
  const orgPage = (ctx: StaffContext, fn: StaffFunction, result: Page): SyncPage =>
    toSyncPage(result, fn, (afterId) =>
      encodeCursor(ctx.orgId, afterId === undefined ? { mode: 'delta', seq: result.seq } : { mode: 'snapshot', seq: result.seq, afterId }),
    );

  async function page<F extends 'staff_changes' | 'staff_snapshot'>(ctx: StaffContext, fn: F, args: Omit<StaffFunctionArgs<F>, 'p_org_id'>): Promise<SyncPage> {
    return orgPage(ctx, fn, await call(fn, { p_org_id: ctx.orgId, ...args, ...pageLimits } as StaffFunctionArgs<F>, pageContract));
  }

  async function pages<F extends 'staff_changes_stream' | 'staff_snapshot_stream'>(ctx: StaffContext, fn: F, args: Omit<StaffFunctionArgs<F>, 'p_org_id'>): Promise<SyncPage[]> {
    const results = await call(fn, { p_org_id: ctx.orgId, ...args, ...streamLimits } as StaffFunctionArgs<F>, streamContract);
    return results.map((result) => orgPage(ctx, fn, result));
  }

  /** Where an org sync starts: a snapshot (from a cursor's position), or a delta. */
  function orgStart(ctx: StaffContext, request: SyncRequest): { delta: number } | { snapshotSeq?: number; afterId?: string } {
    if (request?.cursor !== undefined) {
      const cursor = decodeCursor(ctx.orgId, request.cursor);
      if (cursor.mode === 'delta') return { delta: cursor.seq };
      if (cursor.mode !== 'snapshot') throw invalidCursor();
      return { snapshotSeq: cursor.seq, afterId: cursor.afterId };
    }
    return request?.sinceSeq !== undefined ? { delta: request.sinceSeq } : {};
  }

  /** A position the org (or a department) never reached can only come from an altered cursor. */
  const fromCursor = <T>(read: Promise<T>): Promise<T> =>
    read.catch((error: unknown) => {
      throw isStaffSyncError(error) && error.code === 'VALIDATION_FAILED' ? invalidCursor(error) : error;
    });

  /** One page of a sync by departments, its cursor binding them. */
  async function departmentPage(
    ctx: StaffContext,
    departments: string[],
    from: { since: Record<string, number>; afterSeq?: number } | { positions?: Record<string, number>; afterId?: string },
  ): Promise<SyncPage> {
    const fn = 'since' in from ? 'staff_department_changes' : 'staff_department_snapshot';
    const result =
      'since' in from
        ? await call(
            'staff_department_changes',
            { p_org_id: ctx.orgId, p_departments: departments, p_since: from.since, ...(from.afterSeq === undefined ? {} : { p_after_seq: from.afterSeq }), ...pageLimits },
            departmentPageContract,
          )
        : await call(
            'staff_department_snapshot',
            {
              p_org_id: ctx.orgId,
              p_departments: departments,
              ...(from.positions ? { p_positions: from.positions } : {}),
              ...(from.afterId ? { p_after_id: from.afterId } : {}),
              ...pageLimits,
            },
            departmentPageContract,
          );
    const deptSeqs = result.deptSeqs;
    return toSyncPage(result, fn, (afterId) =>
      encodeCursor(
        ctx.orgId,
        afterId === undefined ? { mode: 'department-delta', deptSeqs, ...(result.mode === 'delta' ? { afterSeq: result.seq } : {}) } : { mode: 'department-snapshot', deptSeqs, afterId },
        departments,
      ),
    );
  }

  async function departmentSync(ctx: StaffContext, request: NonNullable<SyncRequest> & { departments: readonly string[] }): Promise<SyncPage> {
    const departments = sortedDepartments(request.departments);
    if (request.sinceDeptSeqs) return departmentPage(ctx, departments, { since: request.sinceDeptSeqs });
    if (request.cursor === undefined) return departmentPage(ctx, departments, {});
    const cursor = decodeCursor(ctx.orgId, request.cursor, departments);
    if (cursor.mode === 'department-delta') {
      const since = { since: cursor.deptSeqs, ...(cursor.afterSeq === undefined ? {} : { afterSeq: cursor.afterSeq }) };
      return fromCursor(departmentPage(ctx, departments, since));
    }
    if (cursor.mode !== 'department-snapshot') throw invalidCursor();
    return fromCursor(departmentPage(ctx, departments, { positions: cursor.deptSeqs, afterId: cursor.afterId }));
  }

  return {
    create: (ctx, requestId, staff) => write('staff_create', { ...orgArgs(ctx, requestId), p_staff: staff }),
    update: (ctx, requestId, staffId, baseVersion, changes) =>
      write('staff_update', { ...orgArgs(ctx, requestId), p_staff_id: staffId, p_base_version: baseVersion, p_changes: changes }),
    remove: (ctx, requestId, staffId, baseVersion) =>
      write('staff_delete', { ...orgArgs(ctx, requestId), p_staff_id: staffId, p_base_version: baseVersion }),
    batch: async (ctx, requestId, operations) =>
      toBatchResult(await call('staff_batch', { ...orgArgs(ctx, requestId), p_operations: operations }, batchResultSchema)),
    async sync(ctx, request) {
      if (request?.departments !== undefined) return departmentSync(ctx, { ...request, departments: request.departments });
      const start = orgStart(ctx, request);
      if ('delta' in start) return page(ctx, 'staff_changes', { p_since_seq: start.delta });
      if (start.afterId === undefined) return page(ctx, 'staff_snapshot', {});
      return fromCursor(page(ctx, 'staff_snapshot', { p_snapshot_seq: start.snapshotSeq, p_after_id: start.afterId }));
    },
    async syncStream(ctx, request) {
      if (request?.departments !== undefined) return [await departmentSync(ctx, { ...request, departments: request.departments })];
      const start = orgStart(ctx, request);
      if ('delta' in start) return pages(ctx, 'staff_changes_stream', { p_since_seq: start.delta });
      if (start.afterId === undefined) return pages(ctx, 'staff_snapshot_stream', {});
      return fromCursor(pages(ctx, 'staff_snapshot_stream', { p_snapshot_seq: start.snapshotSeq, p_after_id: start.afterId }));
    },
    latestSeq: (orgId) => call('staff_latest_seq', { p_org_id: orgId }, latestSeqSchema),
    latestSeqs: (orgId) => call('staff_latest_seqs', { p_org_id: orgId }, latestSeqsSchema),
    changeAt: (orgId, seq) => call('staff_change_at', { p_org_id: orgId, p_seq: seq }, changeAtSchema),
    async health(signal) {
      const { ok } = await call('staff_health', {}, healthSchema, signal);
      if (!ok) throw new StaffSyncError('UPSTREAM_UNAVAILABLE', 'staff_health reported the database not ok');
    },
  };
}
