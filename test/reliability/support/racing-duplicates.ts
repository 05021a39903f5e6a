/**
 * A retry racing its original: the same write frame sent twice at once (API Gateway runs both
 * frames' Lambdas concurrently). docs/protocol.md §8: two concurrent sends of one key produce
 * exactly one change.
 */
import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import type { Change } from '../../../shared/protocol/staff';
import { mintLocalToken } from '../../../infra/local/tokens';
import type { RaceOptions } from './racing';

/**
 * Each of `clients` users sends one create twice at once: each pair must produce exactly one
 * change — both replies the same ACK (same seq) — and one log entry. Returns the broken invariants.
 */
export async function raceDuplicateSends(options: Pick<RaceOptions, 'websocketUrl' | 'jwtSecret' | 'databaseUrl' | 'orgId'> & { readonly clients: number }): Promise<{ pairs: number; problems: string[] }> {
  const problems: string[] = [];
  const sockets = await Promise.all(
    Array.from({ length: options.clients }, async () => {
      const token = await mintLocalToken({ orgId: options.orgId, role: 'manager', sub: randomUUID(), secret: options.jwtSecret, expiresInSeconds: 600 });
      const socket = new WebSocket(`${options.websocketUrl}?token=${encodeURIComponent(token)}`);
      await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
      return socket;
    }),
  );
  try {
    const requestIds = sockets.map(() => randomUUID());
    const replies = await Promise.all(
      sockets.map(
        (socket, index) =>
          new Promise<Array<Record<string, unknown>>>((resolve, reject) => {
            const requestId = requestIds[index]!;
            const got: Array<Record<string, unknown>> = [];
            const timer = setTimeout(() => reject(new Error(`duplicate send ${requestId}: ${got.length} of 2 replies`)), 15_000);
            socket.on('message', (data) => {
              const frame = JSON.parse(String(data)) as Record<string, unknown>;
              if (frame.requestId !== requestId) return;
              got.push(frame);
              if (got.length === 2) {
                clearTimeout(timer);
                resolve(got);
              }
            });
            const frame = JSON.stringify({ type: 'STAFF_CREATE', requestId, payload: { staff: { name: `Sent twice ${index}` } } });
            socket.send(frame);
            socket.send(frame);
          }),
      ),
    );
    replies.forEach((pair, index) => {
      const seqs = pair.map((frame) => (frame.type === 'ACK' ? (frame.change as Change | null)?.seq : `${String(frame.type)} ${String(frame.code)}`));
      if (seqs[0] !== seqs[1] || typeof seqs[0] !== 'number') problems.push(`pair ${index}: replies ${JSON.stringify(seqs)}, expected one ACK twice`);
    });
    const db = new PgClient({ connectionString: options.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ request_id: string; n: string }>(
        'select request_id, count(*)::text as n from public.staff_changes where org_id = $1 and request_id = any($2::text[]) group by request_id',
        [options.orgId, requestIds],
      );
      const counts = new Map(rows.map((row) => [row.request_id, Number(row.n)]));
      requestIds.forEach((requestId, index) => {
        if (counts.get(requestId) !== 1) problems.push(`pair ${index}: ${counts.get(requestId) ?? 0} log entries for one requestId`);
      });
    } finally {
      await db.end();
    }
    return { pairs: sockets.length, problems };
  } finally {
    for (const socket of sockets) socket.close();
  }
}
