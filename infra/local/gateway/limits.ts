/**
 * API Gateway's WebSocket limits (docs/reference-apigw.md §4, S10), and the per-frame check
 * the `ws` package does not offer.
 */
import type { WebSocket } from 'ws';
import type { GatewayLimits } from './types';

export type ResolvedLimits = Required<GatewayLimits>;

const positiveIntFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer of ms, got "${raw}"`);
  return value;
};

export const resolveLimits = (limits: GatewayLimits = {}): ResolvedLimits => {
  const resolved: ResolvedLimits = {
    frameBytes: limits.frameBytes ?? 32 * 1024,
    messageBytes: limits.messageBytes ?? 128 * 1024,
    idleTimeoutMs: limits.idleTimeoutMs ?? positiveIntFromEnv('LOCAL_IDLE_TIMEOUT_MS', 10 * 60_000),
    maxLifetimeMs: limits.maxLifetimeMs ?? positiveIntFromEnv('LOCAL_MAX_CONNECTION_MS', 2 * 60 * 60_000),
    integrationTimeoutMs: limits.integrationTimeoutMs ?? 29_000,
  };
  for (const [key, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`limits.${key} must be a positive integer, got ${value}`);
  }
  return resolved;
};

/** The members of ws's (private) Receiver that the frame check relies on. */
interface ReceiverInternals {
  _opcode: number;
  _payloadLength: number;
  haveLength(cb: (error?: Error) => void): void;
  createError(ctor: ErrorConstructor, message: string, prefix: boolean, status: number, code: string): Error;
}

/**
 * Closes the socket with 1009 when one data frame's payload exceeds `frameBytes`, before the
 * payload is read. `ws` only limits whole messages (`maxPayload`), so this wraps the instance's
 * Receiver `haveLength` step (called once the frame header's length is known) and fails it the
 * same way `maxPayload` does (`WS_ERR_UNSUPPORTED_MESSAGE_LENGTH`, status 1009).
 * Returns false when the installed `ws` does not have that shape (then only messages are limited).
 */
export const enforceFrameLimit = (socket: WebSocket, frameBytes: number): boolean => {
  const receiver = (socket as unknown as { _receiver?: Partial<ReceiverInternals> })._receiver;
  if (!receiver || typeof receiver.haveLength !== 'function' || typeof receiver.createError !== 'function') {
    return false;
  }
  const original = receiver.haveLength;
  receiver.haveLength = function haveLength(this: ReceiverInternals, cb: (error?: Error) => void): void {
    if (this._opcode < 0x08 && this._payloadLength > frameBytes) {
      cb(this.createError(RangeError, 'Max frame size exceeded', false, 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'));
      return;
    }
    original.call(this, cb);
  };
  return true;
};
