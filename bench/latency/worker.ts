/**
 * The latency bench's clients, in their own process (so their JSON parsing does not share the
 * stage's event loop): K clients of one org, each owning one staff record. Phases: connect,
 * create, resync, sequential updates (one in flight: latency without queueing, and clean
 * windows for the stage's traces), concurrent updates (every client closed-loop: throughput),
 * heartbeats. Reports epoch-ms timestamps; the stage process attributes its traces by them.
 */
import { answer, report, workerInput } from '../lib/worker';
import { epochMs } from '../lib/trace';
import { BenchClient, nextRequestId, type Reply } from './client';

export interface LatencyWorkerInput {
  readonly url: string;
  /** One token per client (never printed). */
  readonly tokens: readonly string[];
  readonly updates: number;
  readonly pings: number;
}

export interface Sample {
  readonly sentAt: number;
  readonly replyAt: number;
  readonly sentBytes: number;
  readonly replyBytes: number;
  readonly seq?: number;
  /** Arrival of the broadcast at each other client. */
  broadcastAts?: number[];
}

export interface Phase {
  readonly start: number;
  readonly end: number;
  /** CPU the clients' process spent in the phase. */
  readonly clientCpuMs?: number;
  readonly samples: Sample[];
  readonly errors: number;
}

export interface LatencyWorkerResult {
  readonly connect: Phase;
  readonly create: Phase;
  readonly resync: Phase;
  readonly sequential: Phase;
  readonly concurrent: Phase;
  readonly ping: Phase;
  readonly broadcastBytes: number;
  readonly closedAt: number;
}

async function main(): Promise<void> {
  const input = await workerInput<LatencyWorkerInput>();
  const others = input.tokens.length - 1;
  const arrivals = new Map<number, number[]>();
  const waiters = new Map<number, () => void>();
  let broadcastBytes = 0;
  const onBroadcast = (seq: number, at: number, bytes: number): void => {
    broadcastBytes = bytes;
    const list = arrivals.get(seq) ?? [];
    list.push(at);
    arrivals.set(seq, list);
    if (list.length >= others) waiters.get(seq)?.();
  };
  const allArrived = (seq: number): Promise<void> =>
    (arrivals.get(seq)?.length ?? 0) >= others
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`broadcast of seq ${seq} reached ${arrivals.get(seq)?.length ?? 0}/${others} clients`)), 15_000);
          waiters.set(seq, () => {
            clearTimeout(timer);
            waiters.delete(seq);
            resolve();
          });
        });

  const phase = async (run: (record: (reply: Reply & { sentAt: number; sentBytes: number }) => Sample) => Promise<void>): Promise<Phase> => {
    const samples: Sample[] = [];
    let errors = 0;
    const cpu = process.cpuUsage();
    const start = epochMs();
    await run((reply) => {
      if (reply.frame.type === 'ERROR') errors += 1;
      const change = reply.frame.change as { seq?: number } | null | undefined;
      const sample: Sample = { sentAt: reply.sentAt, replyAt: reply.at, sentBytes: reply.sentBytes, replyBytes: reply.bytes, ...(change?.seq ? { seq: change.seq } : {}) };
      samples.push(sample);
      return sample;
    });
    const end = epochMs();
    const { user, system } = process.cpuUsage(cpu);
    return { start, end, samples, errors, clientCpuMs: (user + system) / 1000 };
  };

  const clients: BenchClient[] = [];
  const connectSamples: Sample[] = [];
  const connectStart = epochMs();
  for (const token of input.tokens) {
    const sentAt = epochMs();
    const client = await BenchClient.connect(`${input.url}?token=${token}`);
    connectSamples.push({ sentAt, replyAt: epochMs(), sentBytes: 0, replyBytes: 0 });
    client.onBroadcast = onBroadcast;
    clients.push(client);
  }
  const connect: Phase = { start: connectStart, end: epochMs(), samples: connectSamples, errors: 0 };

  report(`${clients.length} clients connected; creating their records`);
  const records: Array<{ id: string; version: number }> = [];
  const create = await phase(async (record) => {
    for (const [i, client] of clients.entries()) {
      const reply = await client.request({ type: 'STAFF_CREATE', requestId: nextRequestId('create'), payload: { staff: { name: `Bench Person ${i + 1}`, position: 'Shift lead', department: 'Kitchen', email: `bench${i + 1}@example.com` } } });
      record(reply);
      const change = reply.frame.change as { staffId: string; version: number; seq: number };
      records.push({ id: change.staffId, version: change.version });
      await allArrived(change.seq);
    }
  });
  const resync = await phase(async (record) => {
    for (const client of clients) record(await client.request({ type: 'SYNC_REQUEST', requestId: nextRequestId('sync'), payload: { sinceSeq: 0 } }));
  });

  let edit = 0;
  let lastSeq = 0;
  const update = async (i: number, record: (reply: Reply & { sentAt: number; sentBytes: number }) => Sample, waitBroadcast: boolean): Promise<void> => {
    const own = records[i] as { id: string; version: number };
    const reply = await (clients[i] as BenchClient).request({
      type: 'STAFF_UPDATE',
      requestId: nextRequestId('update'),
      payload: { staffId: own.id, baseVersion: own.version, changes: { position: `Shift lead ${++edit}` } },
    });
    const sample = record(reply);
    const change = reply.frame.change as { seq: number; version: number } | null;
    if (!change) return;
    own.version = change.version;
    lastSeq = Math.max(lastSeq, change.seq);
    if (waitBroadcast) await allArrived(change.seq);
    sample.broadcastAts = arrivals.get(change.seq) ?? [];
  };
  const sequential = await phase(async (record) => {
    for (let n = 0; n < input.updates; n++) {
      if (n % 50 === 0) report(`sequential updates ${n}/${input.updates}`);
      await update(n % clients.length, record, true);
    }
  });
  report(`concurrent updates from ${clients.length} clients`);
  const concurrent = await phase(async (record) => {
    const perClient = Math.ceil(input.updates / clients.length);
    await Promise.all(clients.map(async (_, i) => {
      for (let n = 0; n < perClient; n++) await update(i, record, false);
    }));
    // Broadcasts still in flight when the last ACK came.
    await allArrived(lastSeq).catch(() => undefined);
  });
  for (const sample of concurrent.samples) if (sample.seq) sample.broadcastAts = arrivals.get(sample.seq) ?? [];

  report(`heartbeats ${input.pings}`);
  const ping = await phase(async (record) => {
    for (let n = 0; n < input.pings; n++) record(await (clients[n % clients.length] as BenchClient).request({ type: 'PING', requestId: nextRequestId('ping') }));
  });

  const closedAt = epochMs();
  await Promise.all(clients.map((client) => client.close()));
  answer({ connect, create, resync, sequential, concurrent, ping, broadcastBytes, closedAt } satisfies LatencyWorkerResult);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
