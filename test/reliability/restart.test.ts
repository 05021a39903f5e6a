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
import { WriteLoad } from './support/stage-process-load';
import { databaseUrlOf, readOrgLog, seqGaps, startStageProcess, type StageProcess } from './support/stage-process';

const CYCLES = process.env.SOAK === '1' ? 6 : 2;
const ACKS_BEFORE_KILL = 40;
const WRITERS = 3;

jest.setTimeout(90_000);

function useStage(stage: StageProcess): void {
  Object.assign(process.env, { STAGE_WS_URL: stage.websocketUrl, STAGE_HTTP_URL: stage.httpUrl, STAGE_JWT_SECRET: stage.jwtSecret });
}

describe('restart durability (SIGKILL mid write load, restart on the same data folder)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'staff-sync-restart-'));
  const orgId = `restart-${randomBytes(5).toString('hex')}`;
  const subs: string[] = Array.from({ length: WRITERS }, () => randomUUID());
  let stage: StageProcess | undefined;

  afterAll(async () => {
    await stage?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every ACKed write, continues seq without a gap, and finds each unanswered write exactly once', async () => {
    const figures = { cycles: CYCLES, ackedBeforeKill: 0, unknownAtKill: 0, foundCommitted: 0, appliedOnRetry: 0, writesAfterRestart: 0, lastSeq: 0 };
    const allAcked: Change[] = [];
    stage = await startStageProcess({ dataDir: join(dir, 'data'), logFile: join(dir, 'stage.log') });

    for (let cycle = 1; cycle <= CYCLES; cycle++) {
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
      stage = await startStageProcess({ dataDir: join(dir, 'data'), logFile: join(dir, 'stage.log') });
      useStage(stage);
      const databaseUrl = databaseUrlOf(stage);

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

    console.log(`restart durability (PGlite data folder): ${JSON.stringify(figures)}`);
  });
});
