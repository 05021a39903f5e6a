/**
 * The opaque `cursor` of a paged `SYNC_RESPONSE`: base64url JSON that binds the org, the mode,
 * the `seq` the next page continues from (delta) or is fixed at (snapshot), and the last staff id
 * served (snapshot). The org always comes from the connection; a cursor that does not parse or
 * names another org is `VALIDATION_FAILED` at `payload.cursor`.
 */
import * as z from 'zod/mini';
import { StaffSyncError } from '../errors';

const cursorSchema = z.discriminatedUnion('m', [
  z.strictObject({ v: z.literal(1), o: z.string().check(z.minLength(1)), m: z.literal('delta'), s: z.int().check(z.minimum(0)) }),
  z.strictObject({ v: z.literal(1), o: z.string().check(z.minLength(1)), m: z.literal('snapshot'), s: z.int().check(z.minimum(0)), a: z.guid() }),
]);

export type SyncCursor =
  | { readonly mode: 'delta'; readonly seq: number }
  | { readonly mode: 'snapshot'; readonly seq: number; readonly afterId: string };

export function encodeCursor(orgId: string, cursor: SyncCursor): string {
  const body =
    cursor.mode === 'delta'
      ? { v: 1, o: orgId, m: 'delta', s: cursor.seq }
      : { v: 1, o: orgId, m: 'snapshot', s: cursor.seq, a: cursor.afterId };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** VALIDATION_FAILED at `payload.cursor`; never says whether the cursor was another org's. */
export const invalidCursor = (cause?: unknown): StaffSyncError =>
  new StaffSyncError('VALIDATION_FAILED', 'the sync cursor is not valid for this connection', {
    details: [{ path: 'payload.cursor', message: 'is not a cursor issued to this connection' }],
    ...(cause === undefined ? {} : { cause }),
  });

export function decodeCursor(orgId: string, text: string): SyncCursor {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw invalidCursor();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch (error) {
    throw invalidCursor(error);
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw invalidCursor(parsed.error);
  if (parsed.data.o !== orgId) throw invalidCursor();
  return parsed.data.m === 'delta' ? { mode: 'delta', seq: parsed.data.s } : { mode: 'snapshot', seq: parsed.data.s, afterId: parsed.data.a };
}
