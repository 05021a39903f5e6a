/**
 * Tenancy (issue 7): three orgs written at the same time over real sockets (≥ 1 000 writes, with
 * direct SQL writes reaching each org through the webhook path). No client may receive a frame
 * naming another org or one of its records; every id of another org answers exactly what an
 * unknown id answers (NOT_FOUND) for reads and writes alike, and a create with such an id answers
 * exactly what a create with the caller's own deleted id answers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { LOCAL_WEBHOOK_SECRET } from '../../infra/local/settings';
import { TestClient, type Frame } from '../e2e/support/client';
import { startInProcessStage, type InProcessStage } from './support/fuzz-stage';
import { shapeOf } from './support/tenancy-probe';
import { crossOrgFrames, random, writeLoad, type LoadFigures, type TenantOrg } from './support/tenancy-load';

/** 6 writers × 175 = 1 050 writes; under SOAK 6 × 1 000. */
const WRITES_PER_WRITER = Number(process.env.TENANCY_WRITES_PER_WRITER ?? (process.env.SOAK === '1' ? 1_000 : 175));
const SEED = Number(process.env.TENANCY_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** The seqs of the changes a client was sent as broadcasts: single changes and batch frames' (a batch's writer gets them too). */
const seqsOf = (client: TestClient): number[] =>
  client.frames
    .filter((frame) => (frame.change || frame.changes) && !frame.requestId)
    .flatMap((frame) => (frame.changes ? (frame.changes as { seq: number }[]) : [frame.change as { seq: number }]).map((change) => change.seq));

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** A batch that creates a record and then applies `operation` (which must fail: the create is rolled back). */
const batchOf = (operation: Record<string, unknown>) => ({ type: 'STAFF_BATCH', payload: { operations: [{ op: 'create', staff: { name: 'rolled back' } }, operation] } });

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

describe('tenancy: three orgs side by side', () => {
  let stage: InProcessStage;
  let orgs: TenantOrg[];
  const latestSeq = async (orgId: string) => Number((await stage.supabase.query<{ seq: string }>('select public.staff_latest_seq($1)::text as seq', [orgId])).rows[0]!.seq);

  beforeAll(async () => {
    stage = await startInProcessStage();
    Object.assign(process.env, { STAGE_WS_URL: stage.websocketUrl, STAGE_JWT_SECRET: stage.jwtSecret });
    orgs = [];
    for (const suffix of ['a', 'b', 'c']) {
      const orgId = `t-${randomBytes(4).toString('hex')}-${suffix}`;
      const writers = [await TestClient.connect({ orgId, role: 'manager' }), await TestClient.connect({ orgId, role: 'admin' })];
      const viewer = await TestClient.connect({ orgId, role: 'viewer' });
      orgs.push({ orgId, writers, viewer, ids: new Set(), live: new Map(), deleted: new Set(), ackedBy: new Map(writers.map((writer) => [writer, new Set<number>()])) });
    }
  }, 60_000);

  afterAll(async () => {
    for (const org of orgs ?? []) for (const client of [...org.writers, org.viewer]) client.close();
    await stage?.close();
  });

  /** Resolves once the client holds a broadcast of every seq in `seqs`; false when `timeoutMs` passed first. */
  async function received(client: TestClient, seqs: readonly number[], timeoutMs: number): Promise<boolean> {
    // waitFor calls the predicate once per frame held: evaluate the (costly) check once per new frame.
    let checkedAt = -1;
    let done = false;
    const complete = () => {
      if (client.frames.length !== checkedAt) {
        checkedAt = client.frames.length;
        const seen = new Set(seqsOf(client));
        done = seqs.every((seq) => seen.has(seq));
      }
      return done;
    };
    return client.waitFor(complete, timeoutMs).then(() => true, () => false);
  }

  /**
   * Waits until every client of the org holds every broadcast it is owed (every seq but its own
   * ACKs). Socket writes' broadcasts must all arrive; database-origin ones come through the webhook
   * relay, best effort (docs/protocol.md §7.2): one still missing after a while must be in a delta.
   */
  async function settled(org: TenantOrg): Promise<{ last: number; fromDb: number; dbMissed: number }> {
    const log = (await stage.supabase.query<{ seq: string; origin: string }>('select seq::text, origin from public.staff_changes where org_id = $1 order by seq', [org.orgId])).rows;
    const fromDb = log.filter((row) => row.origin === 'db').map((row) => Number(row.seq));
    let dbMissed = 0;
    for (const client of [...org.writers, org.viewer]) {
      const own = org.ackedBy.get(client) ?? new Set<number>();
      const owed = range(log.length).filter((seq) => !own.has(seq) && !fromDb.includes(seq));
      if (!(await received(client, owed, 60_000))) throw new Error(`${org.orgId}: broadcasts of socket writes missing: ${owed.filter((seq) => !seqsOf(client).includes(seq)).slice(0, 20).join(', ')}`);
      if (await received(client, fromDb, 15_000)) continue;
      const missed = fromDb.filter((seq) => !seqsOf(client).includes(seq));
      dbMissed += missed.length;
      const delta = await client.request({ type: 'SYNC_REQUEST', payload: { sinceSeq: Math.min(...missed) - 1 } });
      const healed = new Set(((delta.changes ?? []) as { seq: number }[]).map((change) => change.seq));
      if (!missed.every((seq) => healed.has(seq) || delta.hasMore)) throw new Error(`${org.orgId}: db changes ${missed.join(', ')} neither broadcast nor in a delta`);
    }
    return { last: log.length, fromDb: fromDb.length, dbMissed };
  }

  it(`keeps ${6 * WRITES_PER_WRITER} writes of three orgs apart: no client sees a frame of another org`, async () => {
    const figures: LoadFigures = { writes: 0, dbWrites: 0, reads: 0, outcomes: new Map() };
    const started = Date.now();
    let writing = true;
    const dbWriter = async (org: TenantOrg, rnd: () => number) => {
      for (let n = 0; writing; n++) {
        const ids = [...org.live.keys()];
        if (ids.length > 0) {
          const result = await stage.supabase.query('update public.staff set department = $2 where id = $1 returning id', [ids[Math.floor(rnd() * ids.length)], `db write ${n}`]);
          figures.dbWrites += result.rows.length;
        }
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    };

    const load = Promise.all(orgs.flatMap((org, o) => org.writers.map((writer, w) => writeLoad(org, writer, WRITES_PER_WRITER, random(SEED + o * 10 + w), figures))));
    const db = Promise.all(orgs.map((org, o) => dbWriter(org, random(SEED + 100 + o))));
    await load;
    writing = false;
    await db;
    const settledOrgs = await Promise.all(orgs.map((org) => settled(org)));
    const lastSeqs = settledOrgs.map((settledOrg) => settledOrg.last);
    const dbBroadcasts = settledOrgs.reduce((sum, o) => sum + 3 * o.fromDb, 0);
    const dbMissed = settledOrgs.reduce((sum, o) => sum + o.dbMissed, 0);
    const elapsed = Date.now() - started;

    const report = orgs.map((org, o) => {
      const clients = [...org.writers, org.viewer];
      const foreign = clients.reduce((sum, client) => sum + crossOrgFrames(org, client, orgs).length, 0);
      const received = clients.reduce((sum, client) => sum + client.frames.length, 0);
      return { org, o, foreign, received };
    });
    const totalForeign = report.reduce((sum, r) => sum + r.foreign, 0);
    console.log(
      [
        `tenancy (seed ${SEED}): ${figures.writes} writes over sockets + ${figures.dbWrites} direct SQL writes + ${figures.reads} reads in 3 orgs in ${(elapsed / 1000).toFixed(1)} s; frames seen from another org: ${totalForeign}`,
        ...report.map((r) => `    ${r.org.orgId}: seq ${lastSeqs[r.o]}, ${r.org.live.size} live / ${r.org.deleted.size} deleted records, ${r.received} frames received by its 3 clients, ${r.foreign} of another org`),
        `    database-origin changes: ${dbBroadcasts - dbMissed} of ${dbBroadcasts} broadcasts delivered through the webhook relay${dbMissed ? ` (${dbMissed} missed, found by a delta read)` : ''}`,
        `    replies: ${[...figures.outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join(', ')}`,
      ].join('\n'),
    );

    expect(figures.writes).toBeGreaterThanOrEqual(1000);
    expect(totalForeign).toBe(0);
    for (const [o, org] of orgs.entries()) {
      const last = lastSeqs[o]!;
      // Each change at most once to every client of the org but its writer (every socket write's exactly once, see settled).
      for (const client of [...org.writers, org.viewer]) {
        const own = org.ackedBy.get(client) ?? new Set<number>();
        const seqs = seqsOf(client);
        expect(seqs.length).toBe(new Set(seqs).size);
        expect(seqs.filter((seq) => own.has(seq) || seq > last)).toEqual([]);
      }
      const rows = await stage.supabase.query<{ n: string }>('select count(*)::text as n from public.staff where org_id = $1', [org.orgId]);
      expect(Number(rows.rows[0]!.n)).toBe(org.live.size);
    }
  }, 900_000);

  it('answers every id of another org like an unknown id, for reads and writes, and reveals nothing on create', async () => {
    const snapshotOf = async (org: TenantOrg) => shapeOf(await org.viewer.request({ type: 'SYNC_REQUEST', payload: {} }));
    const before = await Promise.all(orgs.map(async (org) => ({ snapshot: await snapshotOf(org), seq: await latestSeq(org.orgId), frames: org.viewer.frames.length })));
    const counts = new Map<string, number>();
    const problems: string[] = [];
    const started = Date.now();

    await Promise.all(
      orgs.map(async (caller) => {
        const client = caller.writers[0]!;
        let ownDeleted = [...caller.deleted][0];
        if (!ownDeleted) {
          const [id, record] = [...caller.live][0]!;
          await client.request({ type: 'STAFF_DELETE', payload: { staffId: id, baseVersion: record.version } });
          ownDeleted = id;
        }
        const reference = {
          update: shapeOf(await client.request({ type: 'STAFF_UPDATE', payload: { staffId: randomUUID(), baseVersion: 1, changes: { name: 'x' } } })),
          delete: shapeOf(await client.request({ type: 'STAFF_DELETE', payload: { staffId: randomUUID(), baseVersion: 1 } })),
          create: shapeOf(await client.request({ type: 'STAFF_CREATE', payload: { staff: { id: ownDeleted, name: 'copy' } } })),
          // A batch refused by its second operation: the first one, a create, is rolled back.
          batch: shapeOf(await client.request(batchOf({ op: 'update', staffId: randomUUID(), baseVersion: 1, changes: { name: 'x' } }))),
          batchDelete: shapeOf(await client.request(batchOf({ op: 'delete', staffId: randomUUID(), baseVersion: 1 }))),
          batchCreate: shapeOf(await client.request({ type: 'STAFF_BATCH', payload: { operations: [{ op: 'create', staff: { id: ownDeleted, name: 'copy' } }] } })),
        };
        const probes: Array<{ kind: keyof typeof reference; what: string; frame: { type: string; payload: Record<string, unknown> } }> = [];
        for (const owner of orgs.filter((org) => org !== caller)) {
          for (const id of owner.ids) {
            const record = owner.live.get(id);
            const version = record?.version ?? 1;
            probes.push(
              { kind: 'update', what: 'update', frame: { type: 'STAFF_UPDATE', payload: { staffId: id, baseVersion: version, changes: { name: 'taken over' } } } },
              { kind: 'update', what: 'read (a no-op naming its current value)', frame: { type: 'STAFF_UPDATE', payload: { staffId: id, baseVersion: version, changes: { name: record?.staff.name ?? 'x' } } } },
              { kind: 'delete', what: 'delete', frame: { type: 'STAFF_DELETE', payload: { staffId: id, baseVersion: version } } },
              { kind: 'create', what: 'create with its id', frame: { type: 'STAFF_CREATE', payload: { staff: { id, name: 'copy' } } } },
              { kind: 'batch', what: 'batch updating it', frame: batchOf({ op: 'update', staffId: id, baseVersion: version, changes: { name: 'taken over' } }) },
              { kind: 'batchDelete', what: 'batch deleting it', frame: batchOf({ op: 'delete', staffId: id, baseVersion: version }) },
              { kind: 'batchCreate', what: 'batch creating its id', frame: { type: 'STAFF_BATCH', payload: { operations: [{ op: 'create', staff: { id, name: 'copy' } }] } } },
            );
          }
        }
        await pool(probes, 6, async (probe) => {
          const reply: Frame = await client.request(probe.frame);
          const key = `${probe.what}: ${reply.type === 'ERROR' ? String(reply.code) : String(reply.type)}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          if (shapeOf(reply) !== reference[probe.kind]) problems.push(`${caller.orgId} ${probe.what} of ${String(probe.frame.payload.staffId ?? (probe.frame.payload.staff as { id: string }).id)}: ${shapeOf(reply)}`);
        });
      }),
    );

    const after = await Promise.all(orgs.map(async (org) => ({ snapshot: await snapshotOf(org), seq: await latestSeq(org.orgId) })));
    // Barrier: each org's next broadcast after the probes must be this write, and the only one.
    const barriers = await Promise.all(orgs.map(async (org) => (await org.writers[1]!.request({ type: 'STAFF_CREATE', payload: { staff: { name: 'barrier' } } })).change as { seq: number }));
    await Promise.all(orgs.map((org, o) => org.viewer.waitFor((frame) => (frame.change as { seq?: number } | undefined)?.seq === barriers[o]!.seq && !frame.requestId)));
    console.log(`cross-org probes: ${[...counts.values()].reduce((a, b) => a + b, 0)} frames in ${((Date.now() - started) / 1000).toFixed(1)} s — ${[...counts].map(([k, n]) => `${n} × ${k}`).join(', ')}; ${problems.length} differed from an unknown id`);
    expect(problems.slice(0, 20)).toEqual([]);
    for (const [o, org] of orgs.entries()) {
      expect(after[o]).toEqual({ snapshot: before[o]!.snapshot, seq: before[o]!.seq });
      // Nothing was broadcast to any org while the others probed it: the barrier is its only broadcast since.
      expect(org.viewer.frames.slice(before[o]!.frames).filter((frame) => frame.change && !frame.requestId).map((frame) => (frame.change as { seq: number }).seq)).toEqual([barriers[o]!.seq]);
      for (const client of [...org.writers, org.viewer]) expect(crossOrgFrames(org, client, orgs)).toEqual([]);
    }
  }, 300_000);

  it('keeps subscriptions, department syncs and presence inside the org, for a department name two orgs share', async () => {
    const [a, b] = [orgs[0]!, orgs[1]!];
    const shared = `zz-secret-ward-${randomBytes(3).toString('hex')}`;
    const unused = `never-used-${randomBytes(3).toString('hex')}`;
    const inA = await a.writers[0]!.request({ type: 'STAFF_CREATE', payload: { staff: { name: 'zz-secret-a', department: shared } } });
    expect(inA).toMatchObject({ type: 'ACK', change: { deptSeqs: { [shared]: 1 } } });
    a.ids.add((inA.change as { staffId: string }).staffId);

    // B's connection subscribes to the same name: it stands at 0, exactly as at a name nobody uses.
    const watcher = b.viewer;
    const subscribed = await watcher.request({ type: 'SUBSCRIBE', payload: { departments: [shared] } });
    const reference = await b.writers[1]!.request({ type: 'SUBSCRIBE', payload: { departments: [unused] } });
    expect(subscribed).toMatchObject({ type: 'SUBSCRIBED', departments: [shared], deptSeqs: { [shared]: 0 } });
    expect(shapeOf(subscribed).replaceAll(shared, 'D')).toBe(shapeOf(reference).replaceAll(unused, 'D'));
    expect(await watcher.request({ type: 'SYNC_REQUEST', payload: { departments: [shared] } })).toMatchObject({ mode: 'snapshot', staff: [], deptSeqs: { [shared]: 0 } });
    expect(await watcher.request({ type: 'SYNC_REQUEST', payload: { departments: [shared], sinceDeptSeqs: { [shared]: 0 } } })).toMatchObject({ mode: 'delta', changes: [], deptSeqs: { [shared]: 0 } });
    expect(await watcher.request({ type: 'PING' })).toMatchObject({ type: 'PONG', deptSeqs: { [shared]: 0 } });

    // A's next change there (and a batch) reaches no connection of B; B's own is the first of its chain and the only frame B's watcher gets.
    const framesBefore = watcher.frames.length;
    await a.writers[0]!.request({ type: 'STAFF_UPDATE', payload: { staffId: (inA.change as { staffId: string }).staffId, baseVersion: 1, changes: { position: 'zz-secret moved' } } });
    const batchA = await a.writers[0]!.request({ type: 'STAFF_BATCH', payload: { operations: [{ op: 'create', staff: { name: 'zz-secret-batch', department: shared } }] } });
    for (const result of (batchA.results ?? []) as { staffId: string }[]) a.ids.add(result.staffId);
    const inB = await b.writers[0]!.request({ type: 'STAFF_CREATE', payload: { staff: { name: 'own ward', department: shared } } });
    expect(inB).toMatchObject({ type: 'ACK', change: { deptSeqs: { [shared]: 1 } } });
    const seqB = (inB.change as { seq: number }).seq;
    await watcher.waitFor((frame) => (frame.change as { seq?: number } | undefined)?.seq === seqB && !frame.requestId);
    const broadcasts = watcher.frames.slice(framesBefore).filter((frame) => !frame.requestId && frame.type !== 'PRESENCE');
    expect(broadcasts.map((frame) => (frame.change as { staff: { name: string } }).staff.name)).toEqual(['own ward']);

    // Presence lists the three connections of B and no other.
    const presence = await watcher.request({ type: 'PRESENCE_REQUEST' });
    expect(presence).toMatchObject({ type: 'PRESENCE', event: 'snapshot' });
    expect(new Set((presence.members as { memberId: string }[]).map((member) => member.memberId)).size).toBe(b.writers.length + 1);
    for (const org of [a, b]) for (const client of [...org.writers, org.viewer]) expect(crossOrgFrames(org, client, orgs)).toEqual([]);
    // Back to the whole org for the tests after this one.
    for (const client of [watcher, b.writers[1]!]) expect(await client.request({ type: 'SUBSCRIBE', payload: {} })).toMatchObject({ type: 'SUBSCRIBED', departments: null });
  });

  it("refuses a sync cursor of another org and shows none of its records", async () => {
    const [a, b] = [orgs[0]!, orgs[1]!];
    const big = { blob: 'b'.repeat(7800) };
    for (let i = 0; i < 14; i++) {
      const ack = await b.writers[0]!.request({ type: 'STAFF_CREATE', payload: { staff: { name: `${b.orgId} big ${i}`, metadata: big } } });
      if (ack.type === 'ACK') b.ids.add((ack.change as { staffId: string }).staffId);
    }
    const first = await b.viewer.request({ type: 'SYNC_REQUEST', payload: {} });
    expect(first).toMatchObject({ type: 'SYNC_RESPONSE', mode: 'snapshot', hasMore: true, cursor: expect.any(String) });

    const stolen = await a.viewer.request({ type: 'SYNC_REQUEST', payload: { cursor: first.cursor } });
    const own = await b.viewer.request({ type: 'SYNC_REQUEST', payload: { cursor: first.cursor } });

    console.log(`a real snapshot cursor of org B (page 1 of ${(first.staff as unknown[]).length} records) sent by org A: ${String(stolen.type)} ${String(stolen.code)}; by B itself: ${String(own.type)} with ${(own.staff as unknown[] | undefined)?.length} more records`);
    expect(stolen).toMatchObject({ type: 'ERROR', code: 'VALIDATION_FAILED' });
    expect(crossOrgFrames(a, a.viewer, orgs)).toEqual([]);
    expect(own).toMatchObject({ type: 'SYNC_RESPONSE', mode: 'snapshot' });
  });

  it('lets no forged webhook signal move a change into another org', async () => {
    const [a, b] = [orgs[0]!, orgs[1]!];
    const [dbChange] = (await stage.supabase.query<{ seq: string }>("select seq::text from public.staff_changes where org_id = $1 and origin = 'db' order by seq limit 1", [a.orgId])).rows;
    expect(dbChange).toBeDefined();
    const seq = Number(dbChange!.seq);
    const post = async (record: Record<string, unknown>, secret?: string) => {
      const response = await fetch(`${stage.httpUrl}/webhooks/supabase`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(secret === undefined ? {} : { 'x-staff-sync-webhook-secret': secret }) },
        body: JSON.stringify({ type: 'INSERT', table: 'staff_changes', schema: 'public', record, old_record: null }),
      });
      return `${response.status} ${await response.text()}`;
    };
    const forged = { org_id: b.orgId, seq, origin: 'db', staff: { orgId: a.orgId, name: 'forged' } };
    const bFramesBefore = [b.viewer, ...b.writers].map((client) => client.frames.length);

    const results = {
      'no secret': await post(forged),
      'a wrong secret': await post(forged, 'not-the-secret'),
      "org B with the seq of org A's change": await post(forged, LOCAL_WEBHOOK_SECRET),
      "org A's own db change, forged content": await post({ ...forged, org_id: a.orgId }, LOCAL_WEBHOOK_SECRET),
      'a seq beyond the log': await post({ ...forged, seq: 1_000_000 }, LOCAL_WEBHOOK_SECRET),
    };
    const replayed = await a.viewer.waitFor((frame) => !frame.requestId && (frame.change as { seq?: number; origin?: string } | undefined)?.seq === seq && a.viewer.frames.filter((f) => (f.change as { seq?: number } | undefined)?.seq === seq).length === 2);
    const barrier = (await b.writers[1]!.request({ type: 'STAFF_CREATE', payload: { staff: { name: 'barrier after the webhook signals' } } })).change as { seq: number };
    await b.viewer.waitFor((frame) => !frame.requestId && (frame.change as { seq?: number } | undefined)?.seq === barrier.seq);

    console.log(`forged webhook signals: ${Object.entries(results).map(([what, result]) => `${what} → ${result}`).join('; ')}`);
    expect(results['no secret']).toMatch(/^401/);
    expect(results['a wrong secret']).toMatch(/^401/);
    expect(results['a seq beyond the log']).toMatch(/^202 .*"broadcast":false/);
    // The re-read is what goes out: org A got its own logged change again (a duplicate seq, dropped by clients), never the forged content.
    expect(JSON.stringify(replayed)).not.toContain('forged');
    [b.viewer, ...b.writers].forEach((client, i) => {
      const since = client.frames.slice(bFramesBefore[i]);
      expect(since.filter((frame) => JSON.stringify(frame).includes(a.orgId) || JSON.stringify(frame).includes('forged'))).toEqual([]);
    });
    for (const client of [b.viewer, ...b.writers]) expect(crossOrgFrames(b, client, orgs)).toEqual([]);
  });
});
