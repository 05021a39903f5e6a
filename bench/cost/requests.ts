/**
 * What one request of each kind uses on a deployed stage, from the inputs counted on the local
 * stage (frame bytes, handler time, log bytes) and the round trips AWS adds (assumed).
 */
import { billedGbSeconds, combine, messageUnits, NO_USAGE, queryReadUnits, writeUnits, type Deployment, type Usage } from './model';

export interface ModelInputs {
  /** Frame bytes. */
  readonly bytes: { readonly update: number; readonly ack: number; readonly broadcast: number; readonly ping: number; readonly pong: number; readonly syncRequest: number; readonly syncResponse: number };
  /** Handler time on the local stage (no network), ms. */
  readonly localMs: { readonly update: number; readonly heartbeat: number; readonly connect: number; readonly disconnect: number; readonly sync: number };
  /** Log bytes the handlers write per request. */
  readonly logBytes: { readonly update: number; readonly heartbeat: number; readonly connect: number; readonly disconnect: number; readonly sync: number };
  /** Round trips a deployed stage adds per call, ms (assumed). */
  readonly network: { readonly rpcMs: number; readonly dynamodbMs: number; readonly postMs: number; readonly invokeMs: number };
}

/** START/END/REPORT lines Lambda writes per invocation. */
export const PLATFORM_LOG_BYTES = 330;
/**
 * One org-index item: its keys (`orgId`, `connectionId`) and what it projects for presence and
 * subscriptions (`userId`, `role`, `connectedAt`), names and values; a connection with a marker
 * or a subscription adds a few dozen bytes more.
 */
export const INDEX_ITEM_BYTES = 5 + 20 + 12 + 16 + 6 + 36 + 4 + 7 + 11 + 8;
/** One connection record (six attributes). */
export const CONNECTION_ITEM_BYTES = 160;

const lambda = (memoryMb: number, durationMs: number, invocations = 1): Usage =>
  combine([{ ...NO_USAGE, lambdaRequests: 1, lambdaGbSeconds: billedGbSeconds(memoryMb, durationMs), logBytes: PLATFORM_LOG_BYTES }, invocations]);

/** One STAFF_UPDATE in an org of `orgSize` connections (the sender included). */
export function updateUsage(orgSize: number, inputs: ModelInputs, deployment: Deployment, accessLogLineBytes: number): Usage {
  const { network: net, bytes } = inputs;
  const pages = Math.max(1, Math.ceil(orgSize / deployment.pageSize));
  const waves = (ids: number): number => Math.ceil(ids / deployment.broadcastConcurrency);
  const firstPage = Math.min(orgSize, deployment.pageSize);
  const handOffs = pages - 1;
  const messageMs = inputs.localMs.update + net.rpcMs + pages * net.dynamodbMs + waves(firstPage) * net.postMs + handOffs * net.invokeMs;
  const lastPage = orgSize - handOffs * deployment.pageSize;
  const readUnits = handOffs * queryReadUnits(deployment.pageSize * INDEX_ITEM_BYTES) + queryReadUnits(lastPage * INDEX_ITEM_BYTES);
  const own: Usage = {
    ...NO_USAGE,
    messages: messageUnits(bytes.update) + messageUnits(bytes.ack) + (orgSize - 1) * messageUnits(bytes.broadcast),
    dynamodbReadUnits: readUnits,
    logBytes: inputs.logBytes.update + accessLogLineBytes,
    dataOutBytes: bytes.ack + (orgSize - 1) * bytes.broadcast,
    rpcCalls: 1,
  };
  return combine([own, 1], [lambda(deployment.memoryMb.message, messageMs), 1], [lambda(deployment.memoryMb.broadcast, waves(deployment.pageSize) * net.postMs), handOffs]);
}

/** One PING → PONG: the seqs (one RPC) beside the connection's subscription (one consistent GetItem). */
export function heartbeatUsage(inputs: ModelInputs, deployment: Deployment, accessLogLineBytes: number): Usage {
  const { network: net, bytes } = inputs;
  const own: Usage = {
    ...NO_USAGE,
    messages: messageUnits(bytes.ping) + messageUnits(bytes.pong),
    dynamodbReadUnits: 1,
    logBytes: inputs.logBytes.heartbeat + accessLogLineBytes,
    dataOutBytes: bytes.pong,
    rpcCalls: 1,
  };
  return combine([own, 1], [lambda(deployment.memoryMb.message, inputs.localMs.heartbeat + Math.max(net.rpcMs, net.dynamodbMs) + net.postMs), 1]);
}

/**
 * One connection of `minutes` in an org of `orgSize`: `$connect` (authorizer + connect handler,
 * one PutItem, then one org-index query for presence watchers), the client's SYNC_REQUEST after
 * open (one delta page), `$disconnect` (one DeleteItem and the same query). `$connect` and
 * `$disconnect` are not billed as messages; no client watches presence in these scenarios (a
 * watcher costs one post per join and leave). Each write also writes the org index.
 */
export function sessionUsage(minutes: number, orgSize: number, inputs: ModelInputs, deployment: Deployment, accessLogLineBytes: number): Usage {
  const { network: net, bytes, localMs } = inputs;
  const own: Usage = {
    ...NO_USAGE,
    connectionMinutes: minutes,
    messages: messageUnits(bytes.syncRequest) + messageUnits(bytes.syncResponse),
    dynamodbWriteUnits: writeUnits(CONNECTION_ITEM_BYTES) + 1 + 1 + 1,
    // The filter on watchers applies after the read: the whole org's index items are read.
    dynamodbReadUnits: 2 * queryReadUnits(orgSize * INDEX_ITEM_BYTES),
    logBytes: inputs.logBytes.connect + inputs.logBytes.disconnect + inputs.logBytes.sync + 3 * accessLogLineBytes,
    dataOutBytes: bytes.syncResponse,
    rpcCalls: 1,
  };
  return combine(
    [own, 1],
    [lambda(deployment.memoryMb.authorizer, localMs.connect / 2), 1],
    [lambda(deployment.memoryMb.connect, localMs.connect / 2 + 2 * net.dynamodbMs), 1],
    [lambda(deployment.memoryMb.message, localMs.sync + net.rpcMs + net.postMs), 1],
    [lambda(deployment.memoryMb.disconnect, localMs.disconnect + 2 * net.dynamodbMs), 1],
  );
}
