/**
 * The SDK's one error type. A server `ERROR` frame keeps its `code` (docs/protocol.md §4) (and `current` on a
 * conflict); failures the client detects itself get a client code. Branch on `code`, never on
 * `message`.
 */
import type { ErrorCode, FieldIssue, Staff } from './protocol';

/**
 * Codes the client raises itself:
 * - `TIMEOUT`: no reply after every attempt;
 * - `DISCONNECTED`: the socket dropped under a read (the SDK retries these itself);
 * - `CLOSED`: `close()` was called while the request was pending;
 * - `HANDSHAKE_FAILED`: the socket closed before opening, or the token callback failed;
 * - `BAD_FRAME`: a frame that is not the protocol (e.g. API Gateway's "Internal server error");
 * - `STORAGE_FAILED`: the `storage` option could not load or save (the client goes on in memory).
 */
export const CLIENT_ERROR_CODES = ['TIMEOUT', 'DISCONNECTED', 'CLOSED', 'HANDSHAKE_FAILED', 'BAD_FRAME', 'STORAGE_FAILED'] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];
export type StaffSyncErrorCode = ErrorCode | ClientErrorCode;

export interface StaffSyncClientErrorOptions {
  readonly details?: readonly FieldIssue[];
  readonly current?: Staff;
  readonly requestId?: string;
  readonly cause?: unknown;
}

export class StaffSyncClientError extends Error {
  readonly code: StaffSyncErrorCode;
  /** Field problems of a `VALIDATION_FAILED` or `PAYLOAD_TOO_LARGE`. */
  readonly details?: readonly FieldIssue[];
  /** The record as the server has it, on `VERSION_CONFLICT`. */
  readonly current?: Staff;
  readonly requestId?: string;

  constructor(code: StaffSyncErrorCode, message: string, options: StaffSyncClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StaffSyncClientError';
    this.code = code;
    if (options.details) this.details = options.details;
    if (options.current) this.current = options.current;
    if (options.requestId !== undefined) this.requestId = options.requestId;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, requestId: this.requestId, details: this.details };
  }
}

export const isStaffSyncClientError = (error: unknown): error is StaffSyncClientError => error instanceof StaffSyncClientError;

/** Errors after which a write is sent again with the same requestId (idempotent on the server). */
export const isRetriableWriteCode = (code: StaffSyncErrorCode): boolean =>
  code === 'UPSTREAM_UNAVAILABLE' || code === 'TIMEOUT' || code === 'TOKEN_EXPIRED' || code === 'DISCONNECTED';
