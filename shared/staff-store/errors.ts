/**
 * PostgREST errors → docs/protocol.md §4 codes, decided by `code` (and HTTP status) only, never by
 * message. Typed failures come from the SQL functions as `PTxyz` with DETAIL as JSON
 * (CONTRIBUTING.md); transient database and gateway failures are UPSTREAM_UNAVAILABLE; anything
 * else is a bug (INTERNAL).
 */
import * as z from 'zod/mini';
import { StaffSyncError, type ErrorCode } from '../errors';
import { staffSchema } from '../protocol/staff';

/** What postgrest-js hands back for a failed call: the error body and the HTTP status (0 = no response). */
export interface PostgrestFailure {
  readonly error: { readonly code?: string | null; readonly message?: string | null; readonly details?: string | null };
  readonly status: number;
}

const fieldIssuesSchema = z.array(z.object({ path: z.string(), message: z.string() })).check(z.minLength(1));
const conflictSchema = z.object({ current: staffSchema });

/** Lock timeout, statement timeout, serialization failure, deadlock. */
const TRANSIENT_SQLSTATES = new Set(['55P03', '57014', '40001', '40P01', '57P01']);
/** PostgREST's own connection errors: connection, client, schema cache, pool timeout. */
const TRANSIENT_PGRST = new Set(['PGRST000', 'PGRST001', 'PGRST002', 'PGRST003']);

export function isTransient(code: string, status: number): boolean {
  if (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_PGRST.has(code)) return true;
  if (code.startsWith('08') || code.startsWith('53')) return true;
  if (status === 0 || status === 502 || status === 503 || status === 504) return true;
  // A 5xx that is not a Postgres error (a proxy or gateway answering) is the service being unwell.
  return status >= 500 && !/^[0-9A-Z]{5}$/.test(code);
}

const parseDetail = <T>(schema: z.ZodMiniType<T>, details: string | null | undefined): T | undefined => {
  if (!details) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(details));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};

const DEFAULT_MESSAGES: Partial<Record<ErrorCode, string>> = {
  NOT_FOUND: 'staff record not found',
  VERSION_CONFLICT: 'the record changed since baseVersion',
  VALIDATION_FAILED: 'the request breaks a rule',
  PAYLOAD_TOO_LARGE: 'metadata is too large',
};

export function toStaffSyncError(operation: string, failure: PostgrestFailure): StaffSyncError {
  const code = failure.error.code ?? '';
  const dbMessage = failure.error.message ?? '';
  const typed = (errorCode: ErrorCode, extra: ConstructorParameters<typeof StaffSyncError>[2] = {}) =>
    new StaffSyncError(errorCode, dbMessage || (DEFAULT_MESSAGES[errorCode] ?? errorCode), { ...extra, cause: failure.error });
  const contractBug = (what: string) =>
    new StaffSyncError('INTERNAL', `${operation}: ${code} came with ${what}`, { cause: failure.error });

  switch (code) {
    case 'PT404':
      return typed('NOT_FOUND');
    case 'PT409': {
      const conflict = parseDetail(conflictSchema, failure.error.details);
      return conflict ? typed('VERSION_CONFLICT', { current: conflict.current }) : contractBug('no current record in DETAIL');
    }
    case 'PT422':
    case 'PT413': {
      const details = parseDetail(fieldIssuesSchema, failure.error.details);
      if (!details) return contractBug('no field issues in DETAIL');
      return typed(code === 'PT422' ? 'VALIDATION_FAILED' : 'PAYLOAD_TOO_LARGE', { details });
    }
  }
  if (isTransient(code, failure.status)) {
    return new StaffSyncError('UPSTREAM_UNAVAILABLE', `${operation}: the database did not answer in time or is unavailable`, {
      cause: failure.error,
    });
  }
  return new StaffSyncError('INTERNAL', `${operation} failed: ${code || `HTTP ${failure.status}`}`, { cause: failure.error });
}
