/** A scripted stand-in for the browser `WebSocket`: the test opens, refuses, drops and feeds it. */
import type { WebSocketLike } from '../../../client/src/connection';

type Handler = ((event: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any

export class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  readonly sent: Array<Record<string, any>> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  onopen: Handler = null;
  onmessage: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;
  closedWith: number | undefined;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  static get last(): FakeSocket {
    const socket = FakeSocket.instances.at(-1);
    if (!socket) throw new Error('no socket created yet');
    return socket;
  }

  static reset(): void {
    FakeSocket.instances = [];
  }

  get token(): string | null {
    return new URL(this.url).searchParams.get('token');
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data));
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  refuse(): void {
    this.readyState = 3;
    this.onerror?.({ message: 'Unexpected server response: 401' });
    this.onclose?.({ code: 1006 });
  }

  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  /** The frames of one type sent so far. */
  sentOf(type: string) {
    return this.sent.filter((frame) => frame.type === type);
  }
}
