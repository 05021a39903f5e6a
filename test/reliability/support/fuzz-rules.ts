/**
 * The rules the fuzzer's model shares: ids held by every org of the run, jsonb-like equality, the
 * trimming the server does, and what the idempotency key's hash sees of a request.
 */
import type { ParsedFrame } from './fuzz-frames';
import { TEXT_FIELDS } from './fuzz-values';

export type Json = Record<string, unknown>;

/** Every id any org of the run holds (live or deleted): "other orgs' ids" and the taken-id rule. */
export class IdRegistry {
  readonly ids = new Map<string, { orgId: string; staff?: Json }>();
  readonly orgIds = new Set<string>();
  private cache = new Map<string, { at: number; list: { id: string; staff?: Json }[] }>();

  add(id: string, orgId: string, staff?: Json): void {
    this.ids.set(id.toLowerCase(), staff ? { orgId, staff } : { orgId });
    this.orgIds.add(orgId);
  }

  /** Ids of every org but this one (refreshed every 50 additions). */
  foreignTo(orgId: string): { id: string; staff?: Json }[] {
    const cached = this.cache.get(orgId);
    if (cached && this.ids.size - cached.at < 50) return cached.list;
    const list = [...this.ids].filter(([, entry]) => entry.orgId !== orgId).map(([id, entry]) => (entry.staff ? { id, staff: entry.staff } : { id }));
    this.cache.set(orgId, { at: this.ids.size, list });
    return list;
  }
}

/** JSON with sorted keys: equality as jsonb sees it. */
export function canon(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canon).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canon((value as Json)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What the server does to a value before comparing or storing it (zod trims text). */
export const normalize = (input: Json): Json =>
  Object.fromEntries(Object.entries(input).map(([key, value]) => [key, (TEXT_FIELDS as readonly string[]).includes(key) && typeof value === 'string' ? value.trim() : value]));

/** endDate before startDate in one object: refused by the frame parser already. */
export function crossedDates(input: Json): boolean {
  return typeof input.startDate === 'string' && typeof input.endDate === 'string' && input.endDate < input.startDate;
}

/** The request as the idempotency key's hash sees it: type and the parsed payload (text trimmed, uuids of existing records lower-cased). */
export function hashOf(frame: ParsedFrame): string {
  if (frame.type === 'STAFF_CREATE') return canon({ type: frame.type, staff: normalize(frame.staff) });
  if (frame.type === 'STAFF_UPDATE') return canon({ type: frame.type, staffId: frame.staffId.toLowerCase(), baseVersion: frame.baseVersion, changes: normalize(frame.changes) });
  if (frame.type === 'STAFF_DELETE') return canon({ type: frame.type, staffId: frame.staffId.toLowerCase(), baseVersion: frame.baseVersion });
  if (frame.type === 'STAFF_BATCH') {
    const operations = frame.operations.map((operation) =>
      operation.op === 'create' ? { op: 'create', staff: normalize(operation.staff) } : operation.op === 'update' ? { ...operation, changes: normalize(operation.changes) } : operation,
    );
    return canon({ type: frame.type, operations });
  }
  return canon(frame);
}
