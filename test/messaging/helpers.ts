import type { MessageEnvelope, MessageHandler } from '@gw/messaging';

export interface Received {
  topic: string;
  envelope: MessageEnvelope;
}

/** Records what a subscription receives and lets a test await it instead of sleeping. */
export class Collector {
  readonly received: Received[] = [];
  private waiters: Array<{ done: () => boolean; resolve: () => void }> = [];

  readonly handler: MessageHandler = (envelope, topic) => {
    this.received.push({ envelope, topic });
    this.waiters = this.waiters.filter((w) => {
      if (!w.done()) return true;
      w.resolve();
      return false;
    });
  };

  payloads<P = unknown>(): P[] {
    return this.received.map((r) => r.envelope.payload as P);
  }

  /** Resolves once `predicate` holds; rejects after `timeoutMs` saying what was awaited. */
  until(predicate: (received: Received[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const done = () => predicate(this.received);
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.done !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (received ${this.received.length})`));
      }, timeoutMs);
      this.waiters.push({
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  count(n: number, timeoutMs?: number): Promise<void> {
    return this.until((r) => r.length >= n, `${n} messages`, timeoutMs);
  }
}

/**
 * For conditions nothing announces (e.g. a subscription re-established after a
 * broker restart): retry `attempt` until it returns true or the deadline passes.
 */
export async function pollUntil(
  attempt: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await attempt()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves when `promise` settles, rejecting if it takes longer than `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
