/**
 * Restart durability: the local stage is killed with SIGKILL in the middle of a write load and
 * started again on the same data folder. Every ACKed write must be there, `seq` must continue
 * without a gap, and every write whose reply was lost must be found exactly once after a retry
 * with the same requestId (the original ACK if it had committed, a fresh commit otherwise).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Change } from '../../shared/protocol/staff';
import { TestClient } from '../e2e/support/client';
import { PG_SKIP_MESSAGE, startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { WriteLoad } from './support/stage-process-load';
import { databaseUrlOf, readOrgLog, seqGaps, startStageProcess, type StageProcess } from './support/stage-process';

const CYCLES = process.env.SOAK === '1' ? 6 : 2;
const ACKS_BEFORE_KILL = 40;
const WRITERS = 3;

jest.setTimeout(90_000);

function useStage(stage: StageProcess): void {
  Object.assign(process.env, { STAGE_WS_URL: stage.websocketUrl, STAGE_HTTP_URL: stage.httpUrl, STAGE_JWT_SECRET: stage.jwtSecret });
}

interface Backend {
  readonly label: string;
  readonly cycles: number;
  readonly env: Record<string, string>;
}

describe('restart durability (SIGKILL mid write load, restart on the same data folder)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'staff-sync-restart-'));
  let stage: StageProcess | undefined;
  let cluster: PgCluster | null = null;

  afterEach(async () => {
    await stage?.stop();
    stage = undefined;
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `cycles` rounds of: write load, SIGKILL, restart on the same data, checks, retries, more writes. */
  async function killAndRestart({ label, cycles, env }: Backend): Promise<void> {
    const orgId = `restart-${randomBytes(5).toString('hex')}`;
    const subs: string[] = Array.from({ length: WRITERS }, () => randomUUID());
    const folder = join(dir, label.replace(/\W+/g, '-'));
    const start = () => startStageProcess({ dataDir: join(folder, 'data'), logFile: join(folder + '.log'), env });
    const figures = { cycles, ackedBeforeKill: 0, unknownAtKill: 0, foundCommitted: 0, appliedOnRetry: 0, writesAfterRestart: 0, lastSeq: 0 };
    const allAcked: Change[] = [];
    stage = await start();

    for (let cycle = 1; cycle <= cycles; cycle++) {
      // Prepare: a write load with several writes in flight per socket.
      useStage(stage);
      const clients = await Promise.all(subs.map(async (sub) => ({ sub, client: await TestClient.connect({ orgId, sub }) })));
      const load = new WriteLoad(clients);
      load.start();
      await load.whenAcked(ACKS_BEFORE_KILL);

      // Act: kill the stage under the load, then start it again on the same folder.
      await stage.kill();
      await load.stop();
      const acked = [...load.acked.entries()];
      const unknown = [...load.unknown.values()];
      figures.ackedBeforeKill += acked.length;
      figures.unknownAtKill += unknown.length;
      allAcked.push(...acked.map(([, change]) => change));
      stage = await start();
      useStage(stage);
      const databaseUrl = databaseUrlOf(stage, env.DATABASE_URL);

      // Assess 1: every ACKed write is in the log, at its seq, with its requestId; no gap.
      const afterRestart = await readOrgLog(databaseUrl, orgId);
      const byRequest = new Map(afterRestart.rows.filter((row) => row.requestId).map((row) => [row.requestId!, row]));
      const missing = acked.filter(([requestId, change]) => {
        const row = byRequest.get(requestId);
        return !row || row.seq !== change.seq || row.staffId !== change.staffId || row.version !== change.version;
      });
      expect(missing.map(([requestId, change]) => `${requestId} seq ${change.seq}`)).toEqual([]);
      expect(seqGaps(afterRestart.rows)).toEqual([]);
      expect(afterRestart.lastSeq).toBe(afterRestart.rows.length);

      // Act 2: every unanswered write is sent again, as it was, by the same user.
      const committedBefore = new Map(unknown.filter((write) => byRequest.has(write.frame.requestId)).map((write) => [write.frame.requestId, byRequest.get(write.frame.requestId)!]));
      figures.foundCommitted += committedBefore.size;
      const retryClients = new Map<string, TestClient>(await Promise.all(subs.map(async (sub) => [sub, await TestClient.connect({ orgId, sub })] as const)));
      const replies = await Promise.all(unknown.map((write) => retryClients.get(write.sub)!.request(write.frame)));

      // Assess 2: a committed one answers its original seq; the others commit now; each once.
      replies.forEach((reply, index) => {
        const { requestId } = unknown[index]!.frame;
        expect(reply).toMatchObject({ type: 'ACK', requestId });
        const change = reply.change as Change;
        const before = committedBefore.get(requestId);
        if (before) expect(change.seq).toBe(before.seq);
        else {
          expect(change.seq).toBeGreaterThan(afterRestart.lastSeq);
          figures.appliedOnRetry += 1;
        }
        allAcked.push(change);
      });

      // Act 3: the org keeps writing after the restart.
      const writer = retryClients.get(subs[0]!)!;
      for (let i = 0; i < 3; i++) {
        const ack = await writer.request({ type: 'STAFF_CREATE', payload: { staff: { name: `After restart ${cycle}.${i}` } } });
        expect(ack.type).toBe('ACK');
        allAcked.push(ack.change as Change);
        figures.writesAfterRestart += 1;
      }
      for (const client of retryClients.values()) client.close();

      const final = await readOrgLog(databaseUrl, orgId);
      expect(seqGaps(final.rows)).toEqual([]);
      expect(final.lastSeq).toBe(final.rows.length);
      const requestIds = final.rows.map((row) => row.requestId);
      expect(new Set(requestIds).size).toBe(requestIds.length);
      const seqs = new Set(final.rows.map((row) => row.seq));
      expect(allAcked.filter((change) => !seqs.has(change.seq)).map((change) => change.seq)).toEqual([]);
      figures.lastSeq = final.lastSeq;
    }

    console.log(`restart durability (${label}): ${JSON.stringify(figures)}`);
  }

  it('keeps every ACKed write, continues seq without a gap, and finds each unanswered write exactly once on a PGlite data folder', async () => {
    await killAndRestart({ label: 'PGlite data folder', cycles: CYCLES, env: {} });
  });

  it('does the same with a real PostgreSQL 15 (DATABASE_URL): the killed stage\'s open transactions roll back', async () => {
    cluster = await startPgCluster();
    if (!cluster) {
      console.log(`restart durability on PostgreSQL 15 ${PG_SKIP_MESSAGE}`);
      return;
    }
    await killAndRestart({ label: 'PostgreSQL 15', cycles: 1, env: { DATABASE_URL: cluster.connectionString } });
  });
});
