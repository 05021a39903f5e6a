/**
 * batch — an import of N staff into an org of C connected clients, as STAFF_BATCH frames
 * (grouped by the SDK's `splitBatch` into frames the gateway accepts), against the same rows
 * written one STAFF_CREATE at a time. API Gateway bills WebSocket messages in 32 KB units, so
 * every frame a client receives is counted as ceil(bytes / 32 KB) messages.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { splitBatch } from '../../client/src/writes';
import { mintLocalToken } from '../../infra/local/tokens';
import { BILLING_UNIT_BYTES } from '../../shared/protocol/server-frames';
import { fmt, kb } from '../lib/format';
import { startBenchStage } from '../lib/stage';
import type { Bench, BenchResult } from '../lib/types';

interface Counted {
  frames: number;
  units: number;
  bytes: number;
  lastSeq: number;
}

type Frame = Record<string, unknown> & { type: string; requestId?: string };

/** A raw socket that counts what it receives and resolves requests by requestId. */
class CountingClient {
  readonly counted: Counted = { frames: 0, units: 0, bytes: 0, lastSeq: 0 };
  private readonly pending = new Map<string, (frame: Frame) => void>();
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.counted.frames += 1;
      this.counted.bytes += data.byteLength;
      this.counted.units += Math.ceil(data.byteLength / BILLING_UNIT_BYTES);
      const frame = JSON.parse(data.toString('utf8')) as Frame;
      const seqs = frame.type === 'STAFF_BATCH' ? (frame.changes as Array<{ seq: number }>).map((c) => c.seq) : frame.change ? [(frame.change as { seq: number }).seq] : [];
      this.counted.lastSeq = Math.max(this.counted.lastSeq, ...seqs);
      for (const wake of this.waiters.splice(0)) wake();
      const resolve = frame.requestId === undefined ? undefined : this.pending.get(frame.requestId);
      if (resolve && (frame.type === 'ACK' || frame.type === 'ERROR')) {
        this.pending.delete(frame.requestId!);
        resolve(frame);
      }
    });
  }

  static connect(url: string): Promise<CountingClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new CountingClient(socket)));
      socket.once('error', reject);
    });
  }

  request(frame: Frame & { requestId: string }): Promise<Frame> {
    return new Promise((resolve) => {
      this.pending.set(frame.requestId, resolve);
      this.socket.send(JSON.stringify(frame));
    });
  }

  async reached(seq: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.counted.lastSeq < seq) {
      if (Date.now() > deadline) throw new Error(`a client saw seq ${this.counted.lastSeq} of ${seq} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  reset(): void {
    Object.assign(this.counted, { frames: 0, units: 0, bytes: 0 });
  }

  close(): void {
    this.socket.close(1000);
  }
}

const sum = (clients: readonly CountingClient[], key: keyof Counted): number => clients.reduce((total, client) => total + client.counted[key], 0);

export const batch: Bench = {
  name: 'batch',
  summary: 'an import of N staff into an org of C clients: STAFF_BATCH frames vs one STAFF_CREATE per row, in billed 32 KB messages',
  flags: {
    'import-rows': { default: 1000, help: 'staff rows imported' },
    'import-clients': { default: 50, help: 'clients connected to the org (the importer is one of them)' },
  },
  async run({ flags, progress }): Promise<BenchResult> {
    const rows = flags['import-rows'] as number;
    const clientCount = Math.max(2, flags['import-clients'] as number);
    progress('starting the local stage');
    const bench = await startBenchStage();
    const clients: CountingClient[] = [];
    try {
      const orgId = `bench-${randomBytes(4).toString('hex')}`;
      const url = bench.stage.websocketUrl;
      progress(`connecting ${clientCount} clients`);
      for (let i = 0; i < clientCount; i++) clients.push(await CountingClient.connect(`${url}?token=${await mintLocalToken({ orgId, role: 'manager', sub: `bench-import-${i}` })}`));
      const [importer] = clients as [CountingClient];
      const row = (i: number) => ({
        id: randomUUID(),
        name: `Imported person ${i}`,
        email: `person${i}@example.com`,
        phone: `+44 20 7946 ${String(i % 10000).padStart(4, '0')}`,
        position: ['Nurse', 'Doctor', 'Porter', 'Ward manager'][i % 4]!,
        department: `Department ${i % 50}`,
        employmentType: 'full_time' as const,
        startDate: '2025-01-01',
        displayOrder: i,
        metadata: { badge: i },
      });

      progress(`importing ${rows} rows as STAFF_BATCH frames`);
      const batches = splitBatch(Array.from({ length: rows }, (_, i) => ({ op: 'create' as const, staff: row(i) })));
      const started = performance.now();
      let lastSeq = 0;
      for (const operations of batches) {
        const ack = await importer.request({ type: 'STAFF_BATCH', requestId: randomUUID(), payload: { operations } });
        if (ack.type !== 'ACK') throw new Error(`a batch was refused: ${JSON.stringify(ack).slice(0, 300)}`);
        lastSeq = Math.max(lastSeq, ...(ack.results as Array<{ seq: number }>).map((result) => result.seq));
      }
      await Promise.all(clients.map((client) => client.reached(lastSeq)));
      const batchMs = performance.now() - started;
      const batched = { frames: sum(clients, 'frames'), units: sum(clients, 'units'), bytes: sum(clients, 'bytes'), inbound: batches.length };
      for (const client of clients) client.reset();

      progress(`writing ${rows} rows one STAFF_CREATE at a time`);
      const singleStarted = performance.now();
      for (let i = 0; i < rows; i++) {
        const ack = await importer.request({ type: 'STAFF_CREATE', requestId: randomUUID(), payload: { staff: row(rows + i) } });
        if (ack.type !== 'ACK') throw new Error(`a create was refused: ${JSON.stringify(ack).slice(0, 300)}`);
        lastSeq = (ack.change as { seq: number }).seq;
        if (i % 200 === 199) progress(`one at a time: ${i + 1} of ${rows}`);
      }
      await Promise.all(clients.map((client) => client.reached(lastSeq)));
      const singleMs = performance.now() - singleStarted;
      const single = { frames: sum(clients, 'frames'), units: sum(clients, 'units'), bytes: sum(clients, 'bytes'), inbound: rows };

      const perRow = rows * clientCount;
      const ratio = batched.units / perRow;
      const line = (label: string, r: typeof batched, ms: number): Array<string | number> => [
        label, r.inbound, r.frames, kb(r.bytes), r.units, r.units + r.inbound, `${fmt((r.units / perRow) * 100)} %`, fmt(ms, 'ms'),
      ];
      return {
        metrics: { rows, clients: clientCount, batches: batches.length, batchFrames: batched.frames, batchUnits: batched.units, batchMs, singleFrames: single.frames, singleUnits: single.units, singleMs, batchUnitRatio: ratio },
        tables: [
          {
            title: `batch — importing ${rows.toLocaleString('en-US')} staff into an org of ${clientCount} clients (messages billed in 32 KB units)`,
            columns: ['write', 'frames sent', 'frames received', 'bytes received', 'billed received', 'billed both ways', `of ${perRow.toLocaleString('en-US')} per-row`, 'time'],
            rows: [line(`STAFF_BATCH × ${batches.length} (splitBatch)`, batched, batchMs), line('STAFF_CREATE one at a time', single, singleMs)],
          },
        ],
        notes: [
          `Batched import: ${batched.units} billed messages received = ${fmt(ratio * 100)} % of the ${perRow.toLocaleString('en-US')} per-row messages (≤ 2 %: ${ratio <= 0.02 ? 'met' : 'missed'}).`,
          'Received = every frame the org\'s clients get (the importer\'s ACKs and its own copies of the changes included); billed = ceil(bytes / 32 KB) per frame, as API Gateway meters them. "Both ways" adds the frames the importer sent.',
          `A batch frame from a client is at most 32 KB (the gateway closes a socket on a larger incoming frame), so ${rows} rows took ${batches.length} batches; each batch's changes go out in frames of up to 128 KB.`,
        ],
      };
    } finally {
      for (const client of clients) client.close();
      await bench.close();
    }
  },
};
