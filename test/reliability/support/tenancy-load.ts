/**
 * The tenancy load: each org's writers send creates, updates, deletes and batches over their sockets
 * (sequential per writer, all writers of all orgs at once), with reads in between, while direct
 * SQL writes reach each org through the webhook path. Every frame every client receives is then
 * searched for another org's org id or record id.
 */
import { randomUUID } from 'node:crypto';
import type { Frame, TestClient } from '../../e2e/support/client';

export interface TenantOrg {
  readonly orgId: string;
  /** Manager and admin connections that write; a viewer that only watches. */
  readonly writers: readonly TestClient[];
  readonly viewer: TestClient;
  /** Ids ever created in this org (live and deleted). */
  readonly ids: Set<string>;
  readonly live: Map<string, { version: number; staff: Record<string, unknown> }>;
  readonly deleted: Set<string>;
  /** seq of every change ACKed to each writer (it gets no broadcast of them). */
  readonly ackedBy: Map<TestClient, Set<number>>;
}

export interface LoadFigures {
  writes: number;
  dbWrites: number;
  reads: number;
  readonly outcomes: Map<string, number>;
}

/** A small deterministic generator (mulberry32): the run's seed is printed, so a run can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** A batch's results: versions kept (its changes reach the writer too, in STAFF_BATCH frames before the ACK). */
function applyBatchAck(org: TenantOrg, reply: Frame, operations: ReadonlyArray<Record<string, unknown>>): void {
  (reply.results as Array<{ op: string; staffId: string; version: number }>).forEach((result, i) => {
    org.ids.add(result.staffId);
    const operation = operations[i]!;
    const known = org.live.get(result.staffId)?.staff ?? {};
    const staff = operation.op === 'create' ? (operation.staff as Record<string, unknown>) : { ...known, ...(operation.changes as Record<string, unknown>) };
    org.live.set(result.staffId, { version: result.version, staff });
  });
}

function applyAck(org: TenantOrg, writer: TestClient, reply: Frame): void {
  const change = reply.change as { seq: number; op: string; staffId: string; version: number; staff: Record<string, unknown> } | null;
  if (!change) return;
  org.ackedBy.get(writer)!.add(change.seq);
  org.ids.add(change.staffId);
  if (change.op === 'delete') {
    org.live.delete(change.staffId);
    org.deleted.add(change.staffId);
  } else org.live.set(change.staffId, { version: change.version, staff: change.staff });
}

/** One writer's share: `count` writes, a read every 20, each awaited before the next. */
export async function writeLoad(org: TenantOrg, writer: TestClient, count: number, rnd: () => number, figures: LoadFigures): Promise<void> {
  const pick = () => [...org.live.keys()][Math.floor(rnd() * org.live.size)]!;
  for (let i = 0; i < count; i++) {
    const r = rnd();
    let frame: { type: string; payload: Record<string, unknown> };
    if (r > 0.92 && org.live.size >= 6) {
      // 2–4 operations: creates and updates of live records at their current version.
      const operations = Array.from({ length: 2 + Math.floor(rnd() * 3) }, (_, k): Record<string, unknown> => {
        if (k === 0 || rnd() < 0.4) return { op: 'create', staff: { name: `${org.orgId} batch ${i}.${k}`, position: 'Porter' } };
        const id = pick();
        return { op: 'update', staffId: id, baseVersion: org.live.get(id)!.version, changes: { position: `batch ${i}.${k}` } };
      });
      // One record twice in a batch would need the first result's version: keep each record once.
      const seen = new Set<unknown>();
      frame = { type: 'STAFF_BATCH', payload: { operations: operations.filter((operation) => operation.op === 'create' || (!seen.has(operation.staffId) && seen.add(operation.staffId))) } };
    } else if (org.live.size < 6 || r < 0.16) {
      const staff = { name: `${org.orgId} staff ${i}`, position: ['Nurse', 'Doctor', 'Porter'][i % 3], ...(rnd() < 0.5 ? { id: randomUUID() } : {}) };
      frame = { type: 'STAFF_CREATE', payload: { staff } };
    } else if (r < 0.22 && org.live.size > 12) {
      const id = pick();
      frame = { type: 'STAFF_DELETE', payload: { staffId: id, baseVersion: org.live.get(id)!.version } };
    } else {
      const id = pick();
      const field = ['name', 'position', 'displayOrder', 'status', 'phone'][Math.floor(rnd() * 5)]!;
      const value = field === 'displayOrder' ? Math.floor(rnd() * 1000) : field === 'status' ? (rnd() < 0.5 ? 'active' : 'inactive') : `${field} ${i}`;
      frame = { type: 'STAFF_UPDATE', payload: { staffId: id, baseVersion: org.live.get(id)!.version, changes: { [field]: value } } };
    }
    const reply = await writer.request(frame);
    figures.writes += 1;
    bump(figures.outcomes, reply.type === 'ERROR' ? `ERROR ${String(reply.code)}` : `${String(reply.type)} ${frame.type}${reply.merged ? ' merged' : ''}${reply.type === 'ACK' && reply.change === null ? ' no-op' : ''}`);
    if (reply.type === 'ACK' && Array.isArray(reply.results)) applyBatchAck(org, reply, frame.payload.operations as Array<Record<string, unknown>>);
    else if (reply.type === 'ACK') applyAck(org, writer, reply);
    else if (reply.code === 'VERSION_CONFLICT' && reply.current) {
      const current = reply.current as { id: string; version: number };
      org.live.set(current.id, { version: current.version, staff: current as Record<string, unknown> });
    } else if (reply.code === 'NOT_FOUND') org.live.delete(String(frame.payload.staffId));
    else if (reply.type !== 'ACK') throw new Error(`${org.orgId}: ${frame.type} answered ${JSON.stringify(reply).slice(0, 300)}`);
    if (i % 20 === 19) {
      const read = await writer.request(rnd() < 0.5 ? { type: 'PING' } : { type: 'SYNC_REQUEST', payload: { sinceSeq: Math.max(0, Math.floor(rnd() * 20)) } });
      figures.reads += 1;
      bump(figures.outcomes, String(read.type));
    }
  }
}

/** Org ids and record ids (staffId, id) anywhere in a frame. */
export function idsIn(value: unknown, found: { orgIds: Set<string>; ids: Set<string> } = { orgIds: new Set(), ids: new Set() }) {
  if (Array.isArray(value)) for (const item of value) idsIn(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'orgId' && typeof item === 'string') found.orgIds.add(item);
      else if ((key === 'id' || key === 'staffId') && typeof item === 'string') found.ids.add(item.toLowerCase());
      else idsIn(item, found);
    }
  } else if (typeof value === 'string') {
    // An id or org quoted inside a message text counts as well.
    for (const match of value.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? []) found.ids.add(match.toLowerCase());
  }
  return found;
}

/** Frames a client of `org` received that name another org, or a record of another org. */
export function crossOrgFrames(org: TenantOrg, client: TestClient, orgs: readonly TenantOrg[]): Frame[] {
  const others = orgs.filter((other) => other !== org);
  return client.frames.filter((frame) => {
    const { orgIds, ids } = idsIn(frame);
    const text = JSON.stringify(frame);
    return (
      [...orgIds].some((orgId) => orgId !== org.orgId) ||
      others.some((other) => text.includes(other.orgId) || [...ids].some((id) => other.ids.has(id)))
    );
  });
}
