/**
 * Racing clients through the full stage (the `npm start` process): ≥ 20 SDK clients write the
 * same records at once, on PGlite and on a real PostgreSQL 15 (DATABASE_URL, a throwaway
 * cluster). Every ACKed write is in the log, seq is gapless, exactly one of many racing deletes
 * wins, and every client's local state hashes the same as the database; observers following some
 * departments only hold exactly the database's records of those departments at their last seqs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PG_SKIP_MESSAGE, startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { runRace } from './support/racing';
import { checkAgainstDatabase, checkFilteredViews } from './support/racing-check';
import { raceDuplicateSends } from './support/racing-duplicates';
import { databaseUrlOf, startStageProcess, type StageProcess } from './support/stage-process';

const SOAK = process.env.SOAK === '1';
const CLIENTS = SOAK ? 60 : 24;
const WRITES_PER_CLIENT = SOAK ? 40 : 12;
/** Replays a race: its seed is printed with the figures. */
const SEED = process.env.RACE_SEED ? Number(process.env.RACE_SEED) : undefined;

jest.setTimeout(SOAK ? 300_000 : 120_000);

const newOrg = (label: string): string => `race-${label}-${randomBytes(4).toString('hex')}`;

describe('racing clients through the full stage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'staff-sync-racing-'));
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

  it(`keeps every ACKed write, a gapless seq and ${CLIENTS} identical local states on PGlite`, async () => {
    const orgId = newOrg('pglite');
    const started = Date.now();
    stage = await startStageProcess({ dataDir: join(dir, 'pglite'), logFile: join(dir, 'pglite.log') });
    const ready = Date.now();

    const { figures, problems, acked, views, filtered } = await runRace({
      websocketUrl: stage.websocketUrl,
      jwtSecret: stage.jwtSecret,
      databaseUrl: databaseUrlOf(stage),
      orgId,
      clients: CLIENTS,
      writesPerClient: WRITES_PER_CLIENT,
      ...(SEED === undefined ? {} : { seed: SEED }),
    });

    console.log(`racing on PGlite: ${JSON.stringify(figures)} (stage ready in ${ready - started} ms, race ${Date.now() - ready} ms)`);
    expect(problems).toEqual([]);
    expect(figures.conflicts).toBeGreaterThan(0);
    expect(figures.merged).toBeGreaterThan(0);
    expect(figures.accepted).toBe(figures.lastSeq);
    expect(Object.values(figures.observed).every((taken) => taken > 0)).toBe(true);

    // Negative control: the same checks catch a client one field off and an ACK missing from the log.
    const [first, ...rest] = views;
    const tampered = { ...first!, staff: first!.staff.map((record, index) => (index === 0 ? { ...record, name: `${record.name}!` } : record)) };
    const lostAck = { ...acked[0]!, seq: figures.lastSeq + 1 };
    const control = await checkAgainstDatabase(databaseUrlOf(stage), orgId, [...acked, lostAck], [tampered, ...rest]);
    expect(control.problems).toEqual(
      expect.arrayContaining([expect.stringContaining(`${first!.label}: local state`), expect.stringContaining(`ACKed seq ${figures.lastSeq + 1}`)]),
    );
    // … and an observer missing a record of its department, or one department seq behind.
    const [observer, second] = filtered;
    const filteredControl = await checkFilteredViews(databaseUrlOf(stage), orgId, [
      // One record short, or (a department left empty by the race) one record too many.
      { ...observer!, staff: observer!.staff.length > 0 ? observer!.staff.slice(1) : [first!.staff[0]!] },
      { ...second!, deptSeqs: Object.fromEntries(Object.entries(second!.deptSeqs).map(([department, seq]) => [department, seq - 1])) },
    ]);
    expect(filteredControl).toEqual([expect.stringContaining(`${observer!.label}: local state`), expect.stringContaining(`${second!.label}: deptSeqs`)]);

    const duplicates = await raceDuplicateSends({ websocketUrl: stage.websocketUrl, jwtSecret: stage.jwtSecret, databaseUrl: databaseUrlOf(stage), orgId: newOrg('pglite-dup'), clients: CLIENTS });
    console.log(`racing on PGlite: ${duplicates.pairs} writes each sent twice at once`);
    expect(duplicates.problems).toEqual([]);
  });

  it(`keeps every ACKed write, a gapless seq and ${CLIENTS} identical local states on PostgreSQL 15`, async () => {
    cluster = await startPgCluster();
    if (!cluster) {
      console.log(`racing on PostgreSQL 15 ${PG_SKIP_MESSAGE}`);
      return;
    }
    const started = Date.now();
    stage = await startStageProcess({ dataDir: join(dir, 'pg'), logFile: join(dir, 'pg.log'), env: { DATABASE_URL: cluster.connectionString } });
    const ready = Date.now();

    const { figures, problems } = await runRace({
      websocketUrl: stage.websocketUrl,
      jwtSecret: stage.jwtSecret,
      databaseUrl: cluster.connectionString,
      orgId: newOrg('pg15'),
      clients: CLIENTS,
      writesPerClient: WRITES_PER_CLIENT,
      ...(SEED === undefined ? {} : { seed: SEED }),
    });

    console.log(`racing on PostgreSQL 15: ${JSON.stringify(figures)} (stage ready in ${ready - started} ms, race ${Date.now() - ready} ms)`);
    expect(problems).toEqual([]);
    expect(figures.conflicts).toBeGreaterThan(0);
    expect(figures.merged).toBeGreaterThan(0);
    expect(figures.accepted).toBe(figures.lastSeq);
    expect(Object.values(figures.observed).every((taken) => taken > 0)).toBe(true);

    const duplicates = await raceDuplicateSends({ websocketUrl: stage.websocketUrl, jwtSecret: stage.jwtSecret, databaseUrl: cluster.connectionString, orgId: newOrg('pg15-dup'), clients: CLIENTS });
    console.log(`racing on PostgreSQL 15: ${duplicates.pairs} writes each sent twice at once`);
    expect(duplicates.problems).toEqual([]);
  });
});
