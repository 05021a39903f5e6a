/**
 * The cost model's inputs: measured by this run's benches where they ran (counted events), else
 * assumed, and always labelled as one or the other.
 */
import { sampleBroadcast } from '../fanout/frame';
import type { CountedEvents, RequestEvents } from '../lib/events';
import type { ModelInputs } from './requests';

/** Round trips a deployed stage adds to each call (same region, warm keep-alive connections). */
export const ASSUMED_NETWORK = { rpcMs: 15, dynamodbMs: 5, postMs: 15, invokeMs: 20 } as const;

export interface LabelledInputs {
  readonly inputs: ModelInputs;
  /** input name → 'measured' | 'assumed'. */
  readonly sources: Readonly<Record<string, string>>;
}

const broadcastBytes = Buffer.byteLength(JSON.stringify(sampleBroadcast()));
const ASSUMED: Omit<ModelInputs, 'network'> = {
  bytes: { update: 160, ack: broadcastBytes + 40, broadcast: broadcastBytes, ping: 45, pong: 95, syncRequest: 80, syncResponse: 1200 },
  localMs: { update: 5, heartbeat: 2, connect: 5, disconnect: 2, sync: 3 },
  logBytes: { update: 250, heartbeat: 200, connect: 450, disconnect: 250, sync: 250 },
};

export function modelInputs(events: CountedEvents): LabelledInputs {
  const sources: Record<string, string> = {};
  const pick = <T>(name: string, measured: RequestEvents | undefined, read: (e: RequestEvents) => T, fallback: T): T => {
    const value = measured && measured.samples > 0 ? read(measured) : undefined;
    const ok = value !== undefined && (typeof value !== 'number' || Number.isFinite(value));
    sources[name] = ok ? 'measured (latency bench)' : 'assumed';
    return ok ? (value as T) : fallback;
  };
  const maxPost = (e: RequestEvents): number => e.bytesPerPost[1] ?? e.bytesPerPost[0] ?? Number.NaN;
  const { update, heartbeat, connect, disconnect, resync } = events;
  const inputs: ModelInputs = {
    bytes: {
      update: pick('update frame bytes', update, (e) => e.bytesIn, ASSUMED.bytes.update),
      ack: pick('ACK / broadcast bytes', update, maxPost, ASSUMED.bytes.ack),
      broadcast: pick('ACK / broadcast bytes', update, maxPost, ASSUMED.bytes.broadcast),
      ping: pick('PING / PONG bytes', heartbeat, (e) => e.bytesIn, ASSUMED.bytes.ping),
      pong: pick('PING / PONG bytes', heartbeat, maxPost, ASSUMED.bytes.pong),
      syncRequest: pick('resync request / response bytes', resync, (e) => e.bytesIn, ASSUMED.bytes.syncRequest),
      syncResponse: pick('resync request / response bytes', resync, maxPost, ASSUMED.bytes.syncResponse),
    },
    localMs: {
      update: pick('handler time: update', update, (e) => e.localDurationMs, ASSUMED.localMs.update),
      heartbeat: pick('handler time: heartbeat', heartbeat, (e) => e.localDurationMs, ASSUMED.localMs.heartbeat),
      connect: pick('handler time: connect', connect, (e) => e.localDurationMs, ASSUMED.localMs.connect),
      disconnect: pick('handler time: disconnect', disconnect, (e) => e.localDurationMs, ASSUMED.localMs.disconnect),
      sync: pick('handler time: resync', resync, (e) => e.localDurationMs, ASSUMED.localMs.sync),
    },
    logBytes: {
      update: pick('log bytes per request', update, (e) => e.logBytes, ASSUMED.logBytes.update),
      heartbeat: pick('log bytes per request', heartbeat, (e) => e.logBytes, ASSUMED.logBytes.heartbeat),
      connect: pick('log bytes per request', connect, (e) => e.logBytes, ASSUMED.logBytes.connect),
      disconnect: pick('log bytes per request', disconnect, (e) => e.logBytes, ASSUMED.logBytes.disconnect),
      sync: pick('log bytes per request', resync, (e) => e.logBytes, ASSUMED.logBytes.sync),
    },
    network: ASSUMED_NETWORK,
  };
  return { inputs, sources: { ...sources, network: 'assumed' } };
}
