/** `connect()` options, their defaults, and the checks that fail fast with a precise message. */
import type { ReconnectOptions, WebSocketConstructor } from './connection';
import type { ClientStorage } from './persistence';
import { normalizeDepartments } from './subscription';

export interface ConnectOptions {
  /** The WebSocket class: in Node pass `ws`'s `WebSocket`. @default globalThis.WebSocket */
  readonly WebSocket?: WebSocketConstructor;
  /** Seconds between PINGs, 30–540 (API Gateway closes a connection idle for 10 minutes). @default 60 */
  readonly heartbeatSeconds?: number;
  /** Lifts the 30 s floor of `heartbeatSeconds`, for tests. @default false */
  readonly allowShortHeartbeat?: boolean;
  /** How long one attempt of a request waits for its reply, in ms. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Attempts of a write that times out or meets `UPSTREAM_UNAVAILABLE` before it rejects. @default 5 */
  readonly maxWriteAttempts?: number;
  /** How long a `seq` gap may stay open before a delta is requested, in ms. @default 1000 */
  readonly gapTimeoutMs?: number;
  /** Reconnect backoff (full jitter) and when to force a token refresh. @default { initialDelayMs: 500, maxDelayMs: 30000, forceRefreshAfter: 2 } */
  readonly reconnect?: ReconnectOptions;
  /**
   * Keeps the local replica and unanswered writes across reloads (`indexedDbStorage(key)` in a
   * browser). The client starts from the saved state, catches up with a delta, and sends saved
   * writes again with their requestIds; a saved write that is then refused is an `error` event.
   */
  readonly storage?: ClientStorage;
  /** How long after a change of the replica it is saved, in ms (unanswered writes are saved at once). @default 250 */
  readonly persistDelayMs?: number;
  /**
   * Follow only these departments from the start, as `client.subscribe()` does (a saved replica of
   * other departments is then not used). @default the whole org (or a limited token's departments)
   */
  readonly departments?: readonly string[];
}

export interface ResolvedOptions {
  readonly WebSocket: WebSocketConstructor;
  readonly heartbeatMs: number;
  readonly requestTimeoutMs: number;
  readonly maxWriteAttempts: number;
  readonly gapTimeoutMs: number;
  readonly reconnect: ReconnectOptions;
  readonly storage: ClientStorage | undefined;
  readonly persistDelayMs: number;
  readonly departments: string[] | null;
}

const HEARTBEAT_MIN_S = 30;
const HEARTBEAT_MAX_S = 540;

function positive(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
  return value;
}

export function resolveOptions(options: ConnectOptions): ResolvedOptions {
  const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketClass) throw new TypeError('no global WebSocket here: pass one, e.g. connect(url, token, { WebSocket }) with `import WebSocket from "ws"`');
  const heartbeat = positive('heartbeatSeconds', options.heartbeatSeconds, 60);
  const floor = options.allowShortHeartbeat ? 0 : HEARTBEAT_MIN_S;
  if (heartbeat < floor || heartbeat > HEARTBEAT_MAX_S) {
    throw new RangeError(`heartbeatSeconds must be between ${HEARTBEAT_MIN_S} and ${HEARTBEAT_MAX_S}, got ${heartbeat}`);
  }
  const reconnect = options.reconnect ?? {};
  positive('reconnect.initialDelayMs', reconnect.initialDelayMs, 1);
  positive('reconnect.maxDelayMs', reconnect.maxDelayMs, 1);
  positive('reconnect.forceRefreshAfter', reconnect.forceRefreshAfter, 1, true);
  return {
    WebSocket: WebSocketClass,
    heartbeatMs: heartbeat * 1000,
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 10_000),
    maxWriteAttempts: positive('maxWriteAttempts', options.maxWriteAttempts, 5, true),
    gapTimeoutMs: positive('gapTimeoutMs', options.gapTimeoutMs, 1000),
    reconnect,
    storage: options.storage,
    persistDelayMs: positive('persistDelayMs', options.persistDelayMs, 250),
    departments: normalizeDepartments(options.departments),
  };
}
