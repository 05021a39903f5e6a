/**
 * Fan-out as deployed: the message Lambda posts the first page of the org index and hands every
 * further page to the broadcaster Lambda (`InvocationType: Event`). The local stage runs with
 * pages of 2 connections, so an org of seven sockets is served by one page here and the rest by
 * the broadcaster; every other client still gets the change once.
 */
import { readFileSync } from 'node:fs';
import { TestClient } from './support/client';
import { changeOf, createStaff } from './support/staff';
import { itLocal, newOrgId, stage } from './support/stage';

/** The broadcaster's "broadcast done" log lines for this org, once `count` of them are there. */
async function broadcasterRuns(count: number, orgId = ORG_ID): Promise<Array<{ sent: number; failed: number }>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = readFileSync(process.env.LOCAL_STAGE_LOG!, 'utf8').split('\n');
    const runs = lines
      .filter((line) => line.includes('"broadcast done"'))
      .map((line) => JSON.parse(line) as { orgId?: string; sent: number; failed: number })
      .filter((run) => run.orgId === orgId);
    if (runs.length >= count || Date.now() > deadline) return runs;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ORG_ID = newOrgId();

describe('fan-out across broadcaster invocations', () => {
  const orgId = ORG_ID;
  let clients: TestClient[] = [];

  beforeAll(async () => {
    clients = await Promise.all(Array.from({ length: 7 }, () => TestClient.connect({ orgId })));
  });
  afterAll(() => {
    for (const client of clients) client.close();
  });

  it('reaches every other client of the org exactly once', async () => {
    const [writer, ...others] = clients;
    const { seq } = await createStaff(writer!, { name: 'Fan-out' });

    const received = await Promise.all(others.map((client) => client.waitFor((frame) => frame.type === 'STAFF_CREATE')));
    expect(received.map((frame) => changeOf(frame).seq)).toEqual(others.map(() => seq));
    // Once each: the next frame any of them sees is the answer to its own PING, not a second copy.
    for (const client of others) {
      const pong = await client.request({ type: 'PING' });
      expect(pong.type).toBe('PONG');
    }
    expect(others.flatMap((client) => client.frames.filter((frame) => frame.type === 'STAFF_CREATE'))).toHaveLength(others.length);
  });

  itLocal('hands the pages after the first to the broadcaster Lambda', async () => {
    expect(stage.isLocal).toBe(true);
    // 7 connections in pages of 2: the message Lambda serves the first page (less the writer, if
    // it is there), the broadcaster the other three. Its log line follows its last post.
    const done = await broadcasterRuns(3);
    expect(done.map((run) => run.failed)).toEqual([0, 0, 0]);
    expect(done.reduce((sum, run) => sum + run.sent, 0)).toBeGreaterThanOrEqual(4);
    expect(done.reduce((sum, run) => sum + run.sent, 0)).toBeLessThanOrEqual(5);
  }, 15_000);
});
