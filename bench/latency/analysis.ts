/**
 * Turns the clients' timestamps and the stage's traces into latencies, a breakdown of one
 * update, and the counted events the cost model uses. Windows: the sequential phase has one
 * update in flight, so every traced call between two sends belongs to the first of them.
 */
import type { RequestEvents } from '../lib/events';
import type { LogCapture } from '../lib/capture';
import { median, type Summary, summarize } from '../lib/stats';
import type { TracedCall, Tracer } from '../lib/trace';
import type { Phase, Sample } from './worker';

export interface Latencies {
  readonly ack: Summary;
  readonly broadcast: Summary;
  readonly lastBroadcast: Summary;
  readonly writesPerSecond: number;
}

export function latencies(phase: Phase): Latencies {
  const ack = phase.samples.map((s) => s.replyAt - s.sentAt);
  const each = phase.samples.flatMap((s) => (s.broadcastAts ?? []).map((at) => at - s.sentAt));
  const last = phase.samples.filter((s) => s.broadcastAts?.length).map((s) => Math.max(...(s.broadcastAts as number[])) - s.sentAt);
  return {
    ack: summarize(ack),
    broadcast: summarize(each),
    lastBroadcast: summarize(last),
    writesPerSecond: (phase.samples.length / (phase.end - phase.start)) * 1000,
  };
}

/** The traced calls of each sample of a phase with one request in flight. */
export function windows(phase: Phase, tracer: Tracer): Array<{ sample: Sample; calls: TracedCall[] }> {
  return phase.samples.map((sample, i) => ({ sample, calls: tracer.between(sample.sentAt, phase.samples[i + 1]?.sentAt ?? phase.end) }));
}

export interface Breakdown {
  readonly segment: string;
  readonly samples: number[];
}

/** Where one update's time goes (sequential phase), segment by segment. */
export function breakdown(phase: Phase, tracer: Tracer): Breakdown[] {
  const segments = new Map<string, number[]>();
  const add = (name: string, value: number | undefined): void => {
    if (value === undefined || !Number.isFinite(value)) return;
    segments.set(name, [...(segments.get(name) ?? []), value]);
  };
  for (const { sample, calls } of windows(phase, tracer)) {
    const rpc = calls.find((c) => c.kind === 'rpc');
    const query = calls.find((c) => c.kind === 'dynamodb' && c.op === 'Query');
    const posts = calls.filter((c) => c.kind === 'post');
    const ackPost = posts[0];
    if (!rpc?.end || !query?.end || !ackPost?.end) continue;
    const lastPost = Math.max(...posts.map((p) => p.end ?? p.start));
    const lastArrival = Math.max(...(sample.broadcastAts ?? [Number.NaN]));
    add('frame sent → RPC starts (gateway, authorizer context, parse, validate)', rpc.start - sample.sentAt);
    add('RPC staff_update (postgrest-js → RPC server → PGlite)', rpc.end - rpc.start);
    add('RPC end → ACK at the sender (one post, delivery)', sample.replyAt - rpc.end);
    add('  RPC end → ACK post starts (reply parsed and checked, frame built, SDK)', ackPost.start - rpc.end);
    add('  ACK post (@connections, answered)', ackPost.end - ackPost.start);
    add('  ACK post starts → ACK at the sender', sample.replyAt - ackPost.start);
    add('RPC end → org-index query starts', query.start - rpc.end);
    add('org-index query (dynalite)', query.end - query.start);
    add(`query end → last of ${posts.length - 1} broadcasts at a client (posts, delivery)`, lastArrival - query.end);
    add('handler busy: frame sent → last post answered', lastPost - sample.sentAt);
  }
  return [...segments.entries()].map(([segment, samples]) => ({ segment, samples }));
}

/** What one request of a phase cost, counted from the traces and the captured logs. */
export function countEvents(phase: Phase, tracer: Tracer, logs: LogCapture, invocationsPerRequest = 1, end = phase.end): RequestEvents {
  const calls = tracer.between(phase.start, end);
  const n = phase.samples.length || 1;
  const posts = calls.filter((c) => c.kind === 'post' && c.op === 'POST');
  const dynamodb: Record<string, number> = {};
  for (const call of calls.filter((c) => c.kind === 'dynamodb')) dynamodb[call.op] = (dynamodb[call.op] ?? 0) + 1 / n;
  const busy = windows(phase, tracer).map(({ sample, calls: own }) => Math.max(sample.replyAt, ...own.map((c) => c.end ?? c.start)) - sample.sentAt);
  return {
    samples: phase.samples.length,
    framesIn: 1,
    bytesIn: median(phase.samples.map((s) => s.sentBytes)),
    postsOut: posts.length / n,
    bytesPerPost: [median(posts.map((p) => p.bytes)), Math.max(0, ...posts.map((p) => p.bytes))],
    invocations: invocationsPerRequest,
    localDurationMs: median(busy),
    rpcCalls: calls.filter((c) => c.kind === 'rpc').length / n,
    dynamodb,
    queryItems: 0,
    logBytes: logs.bytesBetween(phase.start, end) / n,
  };
}

/** Durations of the traced calls of a phase, by kind (where a phase's tail latency comes from). */
export function callDurations(phase: Phase, tracer: Tracer): Array<{ kind: string; samples: number[]; unanswered: number; errors: number }> {
  const byKind = new Map<string, { samples: number[]; unanswered: number; errors: number }>();
  for (const call of tracer.between(phase.start, phase.end)) {
    if (call.kind === 'other') continue;
    const kind = call.kind === 'rpc' ? `RPC ${call.op}` : call.kind === 'dynamodb' ? `DynamoDB ${call.op}` : `@connections ${call.op}`;
    const entry = byKind.get(kind) ?? { samples: [], unanswered: 0, errors: 0 };
    if (call.end === undefined) entry.unanswered += 1;
    else entry.samples.push(call.end - call.start);
    if (call.status !== undefined && call.status >= 300) entry.errors += 1;
    byKind.set(kind, entry);
  }
  return [...byKind.entries()].map(([kind, entry]) => ({ kind, ...entry }));
}
