/** The racing clients' sockets: `ws` underneath the SDK, counting what arrives and keeping each request's exchange. */
import WebSocket from 'ws';
import type { Change, WebSocketConstructor } from '../../../client/src';

export interface Traffic {
  frames: number;
  broadcasts: number;
  /** requestId → what went out and came back for it, in order (to explain a broken invariant). */
  readonly history: Map<string, string[]>;
}

/** A `ws` WebSocket class that counts what its sockets receive and keeps each request's exchange (the SDK sees the same frames). */
export function recordingSocket(traffic: Traffic): WebSocketConstructor {
  const note = (requestId: unknown, entry: string): void => {
    if (typeof requestId !== 'string') return;
    const entries = traffic.history.get(requestId) ?? [];
    entries.push(entry);
    traffic.history.set(requestId, entries);
  };
  return class RecordingSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (data) => {
        traffic.frames += 1;
        const frame = JSON.parse(String(data)) as { type?: string; requestId?: string; code?: string; change?: Change | null; merged?: boolean };
        if (frame.type?.startsWith('STAFF_')) traffic.broadcasts += 1;
        else if (frame.type === 'ACK') note(frame.requestId, `← ACK ${frame.change ? `seq ${frame.change.seq} v${frame.change.version}${frame.merged ? ' merged' : ''}` : 'no-op'}`);
        else if (frame.type === 'ERROR') note(frame.requestId, `← ERROR ${frame.code}`);
      });
    }

    override send(data: string): void {
      const frame = JSON.parse(data) as { type?: string; requestId?: string; payload?: { baseVersion?: number } };
      if (frame.type?.startsWith('STAFF_')) note(frame.requestId, `→ ${frame.type} base ${frame.payload?.baseVersion ?? '-'}`);
      super.send(data);
    }
  };
}
