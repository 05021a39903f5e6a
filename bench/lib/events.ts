/**
 * Events counted by the benchmarks of one run, handed to the cost model. Each section is
 * filled by the bench that measured it; the cost model falls back to stated assumptions
 * (and says so) for a section that was not measured in this run.
 */

/** What one WebSocket request cost on the local stage, per request of that kind. */
export interface RequestEvents {
  /** How many requests of this kind were measured. */
  readonly samples: number;
  /** Frames the client sent, and their bytes (API Gateway meters messages in 32 KB units). */
  readonly framesIn: number;
  readonly bytesIn: number;
  /** `@connections` posts (reply and broadcast), and their bytes each. */
  readonly postsOut: number;
  readonly bytesPerPost: readonly number[];
  /** Lambda invocations and their median duration on this machine (ms). */
  readonly invocations: number;
  readonly localDurationMs: number;
  /** Calls to the database (postgrest-js `.rpc()`). */
  readonly rpcCalls: number;
  /** DynamoDB calls by operation (`Query`, `PutItem`, …) and items a Query returned. */
  readonly dynamodb: Readonly<Record<string, number>>;
  readonly queryItems: number;
  /** Bytes of structured log lines the handlers wrote. */
  readonly logBytes: number;
}

export interface CountedEvents {
  /** A STAFF_UPDATE to an org with `orgSize` connections (the latency bench). */
  update?: RequestEvents & { readonly orgSize: number };
  /** A PING (the heartbeat). */
  heartbeat?: RequestEvents;
  /** `$connect` (authorizer + connect handler) and `$disconnect`. */
  connect?: RequestEvents;
  disconnect?: RequestEvents;
  /** A SYNC_REQUEST for a small delta (what a client sends after it opens). */
  resync?: RequestEvents;
  /** A broadcast of one frame to a large org (the fanout bench), per connection. */
  fanout?: { readonly concurrency: number; readonly queriesPerConnection: number; readonly postMsPerConnection: number };
  /** A full snapshot sync as the SDK makes it (the sync bench's streamed walk): `rpcCalls` reads, one SYNC_REQUEST and one message invocation each. */
  sync?: { readonly rows: number; readonly pages: number; readonly bytes: number; readonly rpcCalls: number; readonly ms: number };
  /** Cold starts: bundle name → init ms on this machine. */
  coldstart?: Readonly<Record<string, number>>;
}
