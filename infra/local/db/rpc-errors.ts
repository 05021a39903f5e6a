/**
 * PostgREST's error responses: `{code, message, details, hint}` (missing fields null), the HTTP
 * status from the SQLSTATE (`mapSQLtoHTTP` in PostgREST's Error.hs, v14 rules), `WWW-Authenticate:
 * Bearer` on every 401, and the errors PostgREST raises itself (PGRST…).
 */
export interface PgrstErrorBody {
  readonly code: string | null;
  readonly message: string;
  readonly details: string | null;
  readonly hint: string | null;
}

export class PgrstError extends Error {
  readonly status: number;
  readonly body: PgrstErrorBody;
  /** What goes on the wire: the body, or (gateway refusals) a body of another shape. */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  /** HTTP reason phrase (PostgREST uses the message for PTxyz). */
  readonly statusText?: string;

  constructor(
    status: number,
    body: Partial<PgrstErrorBody> & { message: string },
    options: { headers?: Record<string, string>; statusText?: string; payload?: Record<string, unknown> } = {},
  ) {
    super(body.message);
    this.name = 'PgrstError';
    this.status = status;
    this.body = { code: body.code ?? null, message: body.message, details: body.details ?? null, hint: body.hint ?? null };
    this.payload = options.payload ?? { ...this.body };
    this.headers = { ...(status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}), ...options.headers };
    if (options.statusText !== undefined) this.statusText = options.statusText;
  }
}

/** PostgREST's mapSQLtoHTTP. `authed`: the request carried a JWT with a `role` claim. */
export function statusForSqlState(code: string, message: string, authed: boolean): number {
  const two = code.slice(0, 2);
  if (two === '08') return 503;
  if (two === '09') return 500;
  if (two === '0L' || two === '0P') return 403;
  if (code === '23503' || code === '23505') return 409;
  if (code === '25006') return 405;
  if (code === '21000') return message.endsWith('requires a WHERE clause') ? 400 : 500;
  if (code === '22023') return message.startsWith('role') && message.endsWith('does not exist') ? 401 : 400;
  if (two === '25') return 500;
  if (two === '28') return 403;
  if (['2D', '38', '39', '3B', '40'].includes(two)) return 500;
  if (code === '53400') return 500;
  if (two === '53') return 503;
  if (two === '54' || two === '55') return 500;
  if (code === '57P01') return 503;
  if (['57', '58', 'F0', 'HV'].includes(two)) return 500;
  if (code === 'P0001') return 400;
  if (two === 'P0' || two === 'XX') return 500;
  if (code === '42883') return message.startsWith('function xmlagg(') ? 406 : 404;
  if (code === '42P01') return 404;
  if (code === '42P17') return 500;
  if (code === '42501') return authed ? 403 : 401;
  if (two === 'PT') {
    const status = Number(code.slice(2));
    return /^\d{3}$/.test(code.slice(2)) && status >= 100 && status <= 599 ? status : 500;
  }
  return 400;
}

interface DbErrorLike {
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

export const isDbError = (error: unknown): error is DbErrorLike => {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
};

const parseObject = (text: string | undefined): Record<string, unknown> | undefined => {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

const optionalText = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** `RAISE SQLSTATE 'PGRST'`: MESSAGE and DETAIL are JSON that set the whole response. */
function fromRaisePgrst(error: DbErrorLike): PgrstError {
  const message = parseObject(error.message);
  if (!message || typeof message.code !== 'string' || typeof message.message !== 'string') {
    return new PgrstError(500, {
      code: 'PGRST121',
      message: 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error',
      details: `Invalid JSON value for MESSAGE: '${error.message}'`,
      hint: "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.",
    });
  }
  const detail = parseObject(error.detail);
  const headers = detail?.headers;
  if (!detail || typeof detail.status !== 'number' || headers === null || typeof headers !== 'object') {
    return new PgrstError(500, {
      code: 'PGRST121',
      message: 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error',
      details: error.detail === undefined ? 'DETAIL is missing in the RAISE statement' : `Invalid JSON value for DETAIL: '${error.detail}'`,
      hint: "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.",
    });
  }
  const body = { code: message.code, message: message.message, details: optionalText(message.details), hint: optionalText(message.hint) };
  const statusText = optionalText(detail.status_text) ?? undefined;
  return new PgrstError(detail.status, body, {
    headers: Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, String(value)])),
    ...(statusText === undefined ? {} : { statusText }),
  });
}

/** A Postgres error (pg or PGlite) as PostgREST answers it. */
export function fromDbError(error: DbErrorLike, authed: boolean): PgrstError {
  if (error.code === 'PGRST') return fromRaisePgrst(error);
  const status = statusForSqlState(error.code, error.message, authed);
  const body = { code: error.code, message: error.message, details: error.detail ?? null, hint: error.hint ?? null };
  return new PgrstError(status, body, error.code.startsWith('PT') ? { statusText: error.message } : {});
}

export const poolTimeoutError = (): PgrstError =>
  new PgrstError(504, { code: 'PGRST003', message: 'Timed out acquiring connection from connection pool.' });

export const connectionError = (details: string): PgrstError =>
  new PgrstError(503, { code: 'PGRST000', message: 'Database connection error. Retrying the connection.', details });

export const clientError = (details: string): PgrstError =>
  new PgrstError(503, { code: 'PGRST001', message: 'Database client error. Retrying the connection.', details });

export const invalidBody = (message: string): PgrstError => new PgrstError(400, { code: 'PGRST102', message });

export const invalidRpcMethod = (method: string): PgrstError =>
  new PgrstError(405, { code: 'PGRST101', message: `Cannot use the ${method} method on RPC` });

export const unsupportedMethod = (method: string): PgrstError =>
  new PgrstError(405, { code: 'PGRST117', message: `Unsupported HTTP method: ${method}` });

export const invalidSchema = (schema: string, exposed: readonly string[]): PgrstError =>
  new PgrstError(406, {
    code: 'PGRST106',
    message: `Invalid schema: ${schema}`,
    hint: `Only the following schemas are exposed: ${exposed.join(', ')}`,
  });

export const mediaTypeError = (accepts: readonly string[]): PgrstError =>
  new PgrstError(406, { code: 'PGRST107', message: `None of these media types are available: ${accepts.join(', ')}` });

export const singularityError = (rows: number): PgrstError =>
  new PgrstError(406, {
    code: 'PGRST116',
    message: 'Cannot coerce the result to a single JSON object',
    details: `The result contains ${rows} rows`,
  });

export const invalidResourcePath = (): PgrstError =>
  new PgrstError(404, { code: 'PGRST125', message: 'Invalid path specified in request URL' });
