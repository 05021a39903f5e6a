/**
 * Probes one org's connection with another org's ids: every write (update, a no-op update that
 * names the record's current values, delete at the right version) must answer exactly what an
 * id that never existed answers (NOT_FOUND), a create with such an id exactly what a create with
 * the caller's own deleted id answers, and the caller's reads must not contain them. The other
 * org must be left as it was. Returns the figures as text.
 */
import { randomUUID } from 'node:crypto';
import type { Frame, TestClient } from '../../e2e/support/client';

type StaffRecord = Record<string, unknown> & { id: string; version: number };

/** A reply without its requestId: what must not differ between a foreign id and an unknown one. */
export const shapeOf = (frame: Frame): string => {
  const { requestId: _ignored, ...rest } = frame;
  return JSON.stringify(rest);
};

async function created(client: TestClient, name: string): Promise<StaffRecord> {
  const ack = await client.request({ type: 'STAFF_CREATE', payload: { staff: { name, email: `${name}@tenant.example`, position: 'Nurse' } } });
  if (ack.type !== 'ACK') throw new Error(`create failed: ${JSON.stringify(ack)}`);
  return (ack.change as { staff: StaffRecord }).staff;
}

/** The writes and reads another org's record `target` must all be refused for, with their expected shapes. */
export function foreignWrites(target: StaffRecord): Array<{ what: string; type: string; payload: Record<string, unknown> }> {
  const { id, version } = target;
  return [
    { what: 'update', type: 'STAFF_UPDATE', payload: { staffId: id, baseVersion: version, changes: { name: 'taken over' } } },
    { what: 'update at an older version', type: 'STAFF_UPDATE', payload: { staffId: id, baseVersion: 1, changes: { position: 'Spy' } } },
    { what: 'no-op update naming its current values', type: 'STAFF_UPDATE', payload: { staffId: id, baseVersion: version, changes: { name: target.name, email: target.email } } },
    { what: 'update ahead of its version', type: 'STAFF_UPDATE', payload: { staffId: id, baseVersion: version + 5, changes: { name: 'x' } } },
    { what: 'delete', type: 'STAFF_DELETE', payload: { staffId: id, baseVersion: version } },
    { what: 'delete at an older version', type: 'STAFF_DELETE', payload: { staffId: id, baseVersion: 1 } },
    { what: 'update in upper case', type: 'STAFF_UPDATE', payload: { staffId: id.toUpperCase(), baseVersion: version, changes: { name: 'x' } } },
  ];
}

export async function crossOrgProbe(caller: TestClient, owner: TestClient, callerOrg: string, ownerOrg: string): Promise<string> {
  const live = [await created(owner, 'zz-secret-alpha'), await created(owner, 'zz-secret-beta')];
  const doomed = await created(owner, 'zz-secret-gamma');
  const gone = await owner.request({ type: 'STAFF_DELETE', payload: { staffId: doomed.id, baseVersion: doomed.version } });
  if (gone.type !== 'ACK') throw new Error(`delete failed: ${JSON.stringify(gone)}`);
  const own = await created(caller, 'own');
  await caller.request({ type: 'STAFF_DELETE', payload: { staffId: own.id, baseVersion: own.version } });
  const ownerBefore = await owner.request({ type: 'SYNC_REQUEST', payload: {} });
  const ownerFramesBefore = owner.frames.length;

  const problems: string[] = [];
  let probes = 0;
  const expectSame = (what: string, reply: Frame, reference: Frame) => {
    probes += 1;
    if (shapeOf(reply) !== shapeOf(reference)) problems.push(`${what}: ${shapeOf(reply)} differs from ${shapeOf(reference)}`);
    const text = JSON.stringify(reply);
    if (text.includes(ownerOrg) || text.includes('zz-secret')) problems.push(`${what}: the reply names the other org or its record`);
  };

  const targets: Array<[StaffRecord, string]> = [[live[0]!, 'a live'], [live[1]!, 'a live'], [doomed, 'a deleted']];
  for (const [target, kind] of targets) {
    for (const write of foreignWrites(target)) {
      const unknown = await caller.request({ type: write.type, payload: { ...write.payload, staffId: randomUUID() } });
      const reply = await caller.request({ type: write.type, payload: write.payload });
      if (unknown.code !== 'NOT_FOUND' && unknown.code !== 'VALIDATION_FAILED') problems.push(`${write.what} of an unknown id: ${JSON.stringify(unknown)}`);
      expectSame(`${write.what} of ${kind} record`, reply, unknown);
    }
    const createOwnDeleted = await caller.request({ type: 'STAFF_CREATE', payload: { staff: { id: own.id, name: 'copy' } } });
    for (const id of [target.id, target.id.toUpperCase()]) {
      const create = await caller.request({ type: 'STAFF_CREATE', payload: { staff: { id, name: 'copy' } } });
      expectSame(`create with ${kind} record's id`, create, createOwnDeleted);
      if (create.code !== 'VALIDATION_FAILED') problems.push(`create with another org's id: ${JSON.stringify(create)}`);
    }
  }

  const snapshot = await caller.request({ type: 'SYNC_REQUEST', payload: {} });
  const delta = await caller.request({ type: 'SYNC_REQUEST', payload: { sinceSeq: 0 } });
  for (const [what, read] of [['snapshot', snapshot], ['delta', delta]] as const) {
    const text = JSON.stringify(read);
    if (read.type !== 'SYNC_RESPONSE' || [...live, doomed].some((record) => text.includes(record.id)) || text.includes(ownerOrg)) problems.push(`the caller's ${what} shows the other org`);
  }
  const ownerAfter = await owner.request({ type: 'SYNC_REQUEST', payload: {} });
  if (shapeOf(ownerAfter) !== shapeOf(ownerBefore)) problems.push("the other org's records changed");
  const unasked = owner.frames.slice(ownerFramesBefore).filter((frame) => frame.requestId !== ownerAfter.requestId);
  if (unasked.length > 0) problems.push(`the other org received ${unasked.length} frames: ${JSON.stringify(unasked).slice(0, 300)}`);

  if (problems.length > 0) throw new Error(`cross-org probe ${callerOrg} → ${ownerOrg}:\n${problems.join('\n')}`);
  return `${probes} probes (${3 * 7} writes on 2 live and 1 deleted record, 6 creates with their ids), all indistinguishable from an unknown id or the caller's own deleted id; reads clean; the other org unchanged and sent nothing`;
}
