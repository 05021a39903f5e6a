/** A small typed event emitter. A throwing listener never breaks the client: its error is rethrown asynchronously. */

export type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners: { [K in keyof Events]?: Set<Listener<Events[K]>> } = {};

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    (this.listeners[event] ??= new Set()).add(listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners[event]?.delete(listener);
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const listener of [...(this.listeners[event] ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  clear(): void {
    for (const key of Object.keys(this.listeners) as (keyof Events)[]) delete this.listeners[key];
  }
}
