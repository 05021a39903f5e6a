/**
 * Runs one function call as PostgREST does: one transaction (READ ONLY for GET and for
 * STABLE/IMMUTABLE functions), the caller's role and request GUCs set locally, arguments bound by
 * name from `json_to_recordset(body)` so JSON values are cast to the parameter types, and the
 * result aggregated to JSON text in the database.
 */
import type { DbExecutor } from './executor';
import type { Caller } from './rpc-auth';
import type { Routine } from './rpc-schema';
import { singularityError } from './rpc-errors';

export type CallArgs =
  /** Named arguments: the keys to bind and the body rows (one object, or none for an empty array). */
  | { readonly kind: 'named'; readonly keys: ReadonlySet<string>; readonly rows: readonly Record<string, unknown>[] }
  /** The whole body as the single unnamed parameter. */
  | { readonly kind: 'raw'; readonly value: string };

export interface CallRequest {
  readonly routine: Routine;
  readonly args: CallArgs;
  readonly readOnly: boolean;
  /** `Accept: application/vnd.pgrst.object+json`: exactly one row, as an object. */
  readonly singular: boolean;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface CallResult {
  readonly rows: number;
  readonly body: string;
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function callSql(request: CallRequest): { sql: string; params: unknown[] } {
  const { routine, args } = request;
  const fn = `${quoteIdent(routine.schema)}.${quoteIdent(routine.name)}`;
  let from = '';
  let callArgs = '';
  let params: unknown[] = [];
  if (args.kind === 'raw') {
    callArgs = `$1::${routine.params[0]?.type ?? 'json'}`;
    params = [args.value];
  } else if (args.keys.size > 0) {
    const bound = routine.params.filter((param) => args.keys.has(param.name));
    from = `json_to_recordset($1::json) AS pgrst_body(${bound.map((p) => `${quoteIdent(p.name)} ${p.type}`).join(', ')}), LATERAL `;
    callArgs = bound.map((p) => `${p.variadic ? 'VARIADIC ' : ''}${quoteIdent(p.name)} := pgrst_body.${quoteIdent(p.name)}`).join(', ');
    params = [JSON.stringify(args.rows.slice(0, 1))];
  }
  const scalar = !routine.returnsComposite;
  const source = scalar
    ? `SELECT pgrst_call.pgrst_scalar FROM ${from}(SELECT ${fn}(${callArgs}) pgrst_scalar) pgrst_call`
    : `SELECT pgrst_call.* FROM ${from}${fn}(${callArgs}) pgrst_call`;
  const body =
    scalar && (routine.returnsSet && !request.singular)
      ? `coalesce(json_agg(_postgrest_t.pgrst_scalar), '[]')::text`
      : scalar
        ? `coalesce((json_agg(_postgrest_t.pgrst_scalar)->0)::text, 'null')`
        : routine.returnsSet && !request.singular
          ? `coalesce(json_agg(_postgrest_t), '[]')::text`
          : `coalesce((json_agg(_postgrest_t)->0)::text, 'null')`;
  return {
    sql: `WITH pgrst_source AS (${source}) SELECT count(*)::int AS page_total, ${body} AS body FROM (SELECT * FROM pgrst_source) _postgrest_t`,
    params,
  };
}

const PRE_REQUEST_SQL = `select set_config('search_path', 'public, extensions', true),
  set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
  set_config('request.method', $3, true), set_config('request.path', $4, true),
  set_config('request.headers', $5, true), set_config('request.cookies', '{}', true)`;

/** Throws the database's error (mapped by the caller), or PGRST116 for a singular request that did not get one row. */
export async function callRoutine(executor: DbExecutor, caller: Caller, request: CallRequest): Promise<CallResult> {
  const { sql, params } = callSql(request);
  return executor.transaction(
    async (tx) => {
      await tx.query(PRE_REQUEST_SQL, [
        caller.role,
        JSON.stringify(caller.claims),
        request.method,
        request.path,
        JSON.stringify(request.headers),
      ]);
      const { rows } = await tx.query<{ page_total: number; body: string }>(sql, params);
      const total = Number(rows[0]?.page_total ?? 0);
      if (request.singular && total !== 1) throw singularityError(total);
      return { rows: total, body: rows[0]?.body ?? 'null' };
    },
    { readOnly: request.readOnly },
  );
}
