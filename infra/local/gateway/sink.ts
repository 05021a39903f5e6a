/**
 * A connection without a socket, for benchmarks and fault injection: it answers `@connections`
 * posts after an injected latency (or never), with a chosen status.
 */
import type { PostTarget } from './management';
import type { SinkOptions } from './types';

export class Sink implements PostTarget {
  readonly connectedAt = Date.now();
  lastActiveAt = this.connectedAt;
  readonly identity = { sourceIp: '127.0.0.1' };
  private open = true;
  private readonly timers = new Map<NodeJS.Timeout, (status: number) => void>();

  constructor(
    private readonly connectionId: string,
    private readonly options: SinkOptions,
    private readonly onRemoved: () => void,
  ) {}

  isOpen(): boolean {
    return this.open;
  }

  post(data: Buffer): Promise<number> {
    this.lastActiveAt = Date.now();
    const { latencyMs, onData, status = 200 } = this.options;
    if (latencyMs === Infinity) return new Promise(() => undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (status < 300) onData?.(data, this.connectionId);
        resolve(status);
      }, latencyMs);
      this.timers.set(timer, resolve);
    });
  }

  disconnect(): void {
    this.remove();
  }

  remove(): void {
    if (!this.open) return;
    this.open = false;
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve(410);
    }
    this.timers.clear();
    this.onRemoved();
  }
}
