/**
 * The one error vocabulary of staff-sync: the codes of docs/protocol.md §4.
 * Every adapter maps its failures (PostgREST, AWS SDK, validation) into these once.
 */
import type { Staff } from './protocol/staff';

export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNKNOWN_TYPE',
  'VALIDATION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'FORBIDDEN',
  'NOT_FOUND',
  'VERSION_CONFLICT',
  'TOKEN_EXPIRED',
  'UPSTREAM_UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export interface StaffSyncErrorOptions {
  readonly details?: readonly FieldIssue[];
  readonly current?: Staff;
  readonly cause?: unknown;
}

export class StaffSyncError extends Error {
  readonly code: ErrorCode;
  readonly details?: readonly FieldIssue[];
  readonly current?: Staff;

  constructor(code: ErrorCode, message: string, options: StaffSyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StaffSyncError';
    this.code = code;
    if (options.details) this.details = options.details;
    if (options.current) this.current = options.current;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

export const isStaffSyncError = (error: unknown): error is StaffSyncError =>
  error instanceof StaffSyncError;
