/** Small builders for staff frames used across the end-to-end suites. */
import { randomUUID } from 'node:crypto';
import type { Frame, TestClient } from './client';

export const newStaff = (overrides: Record<string, unknown> = {}) => ({
  name: `Staff ${randomUUID().slice(0, 8)}`,
  email: 'someone@example.com',
  position: 'Nurse',
  ...overrides,
});

export async function createStaff(client: TestClient, overrides: Record<string, unknown> = {}): Promise<{ ack: Frame; staff: Record<string, unknown>; seq: number }> {
  const ack = await client.request({ type: 'STAFF_CREATE', payload: { staff: newStaff(overrides) } });
  if (ack.type !== 'ACK') throw new Error(`create failed: ${JSON.stringify(ack)}`);
  const change = ack.change as { staff: Record<string, unknown>; seq: number };
  return { ack, staff: change.staff, seq: change.seq };
}

export const changeOf = (frame: Frame) => frame.change as { seq: number; op: string; staffId: string; version: number; staff: Record<string, unknown>; changedFields: string[]; actor: string; origin: string; at: string };

/** A write whose broadcast must be the next frame an observer sees: proves nothing else came first. */
export async function barrier(writer: TestClient, observer: TestClient): Promise<void> {
  const { seq } = await createStaff(writer, { name: 'barrier' });
  const next = await observer.nextFrame();
  if (next.type !== 'STAFF_CREATE' || changeOf(next).seq !== seq) {
    throw new Error(`expected the barrier's broadcast (seq ${seq}) next, got ${JSON.stringify(next)}`);
  }
}

/** Waits until the observer has received the broadcast of `seq`, then marks everything so far as seen. */
export async function skipThrough(observer: TestClient, seq: number): Promise<void> {
  await observer.waitFor((frame) => typeof frame.change === 'object' && frame.change !== null && changeOf(frame).seq >= seq);
  observer.skipReceived();
}

/**
 * Brings an observer (who never writes) up to date: it has received the broadcast of every
 * change committed so far, and `nextFrame` returns only what comes after.
 */
export async function settle(observer: TestClient): Promise<void> {
  const pong = await observer.request({ type: 'PING' });
  if (typeof pong.seq === 'number' && pong.seq > 0) await skipThrough(observer, pong.seq);
  else observer.skipReceived();
}
