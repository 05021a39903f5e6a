import WebSocket from 'ws';
import { resolveOptions } from '../../../client/src/options';

describe('resolveOptions', () => {
  it('defaults to a 60 s heartbeat, 10 s requests and 5 write attempts', () => {
    const options = resolveOptions({ WebSocket });
    expect(options).toMatchObject({ heartbeatMs: 60_000, requestTimeoutMs: 10_000, maxWriteAttempts: 5, gapTimeoutMs: 1000 });
  });

  it.each([29, 541, 0, Number.NaN])('refuses a heartbeat of %p seconds', (heartbeatSeconds) => {
    expect(() => resolveOptions({ WebSocket, heartbeatSeconds })).toThrow(RangeError);
  });

  it('accepts a short heartbeat when tests ask for it', () => {
    expect(resolveOptions({ WebSocket, heartbeatSeconds: 0.2, allowShortHeartbeat: true }).heartbeatMs).toBe(200);
  });

  it('says what to pass when there is no global WebSocket', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      expect(() => resolveOptions({})).toThrow(/pass one/);
    } finally {
      if (saved) (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});
