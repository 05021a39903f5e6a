/** A dependency built on first use (a client whose secret is resolved once), shared by every later call. */
export type Lazy<T> = () => Promise<T>;

/**
 * Cold-start work done once per execution environment: the first call starts it, every
 * later call (and every concurrent first call) shares the same promise. A failure is not
 * cached, so the next invocation retries (a secret that was briefly unreadable).
 */
export function lazy<T>(init: () => Promise<T>): Lazy<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= init().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
