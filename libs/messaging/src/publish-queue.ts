import { ErrorKind, GatewayError } from '@gw/contracts';
import { BoundedQueue } from './bounded-queue';

interface Entry {
  send: () => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
  settled: boolean;
}

/**
 * Outbound flow control shared by the broker buses. Publishes go out in call
 * order, at most `window` at a time (MQTT 5 Receive Maximum); the rest wait
 * here, so during an outage publish() simply stays pending until the broker is
 * back, but only up to `limit` messages: the next one is refused with a
 * Communication error the caller can act on.
 */
export class PublishQueue {
  private readonly waiting: BoundedQueue<Entry>;
  private readonly inflight = new Set<Entry>();
  private pending = 0;
  private window = Number.POSITIVE_INFINITY;
  private closed?: GatewayError;
  private idle: Array<() => void> = [];

  constructor(
    readonly limit: number,
    private readonly what: string,
  ) {
    this.waiting = new BoundedQueue<Entry>(limit);
  }

  /** Publishes not yet acknowledged, in flight or waiting. */
  get size(): number {
    return this.pending;
  }

  run(send: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    if (this.pending >= this.limit) {
      return Promise.reject(
        new GatewayError(
          ErrorKind.Communication,
          `${this.what}: ${this.limit} publishes already wait for the broker (is it down?); refusing more`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.pending++;
      this.waiting.push({ send, resolve, reject, settled: false });
      this.pump();
    });
  }

  setWindow(window: number): void {
    this.window = Math.max(1, window);
    this.pump();
  }

  /** Resolves once nothing is pending, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.pending === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idle.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /** Rejects everything pending and everything published later. */
  close(err: GatewayError): void {
    this.closed = err;
    for (let e = this.waiting.shift(); e; e = this.waiting.shift()) this.settle(e, err);
    for (const e of this.inflight) this.settle(e, err);
  }

  private pump(): void {
    while (this.inflight.size < this.window && this.waiting.length > 0 && !this.closed) {
      const entry = this.waiting.shift() as Entry;
      this.inflight.add(entry);
      let sent: Promise<void>;
      try {
        sent = entry.send();
      } catch (err) {
        sent = Promise.reject(err);
      }
      sent.then(
        () => this.finish(entry),
        (err: unknown) => this.finish(entry, err),
      );
    }
  }

  private finish(entry: Entry, err?: unknown): void {
    this.inflight.delete(entry);
    this.settle(entry, err);
    this.pump();
  }

  private settle(entry: Entry, err?: unknown): void {
    if (entry.settled) return;
    entry.settled = true;
    this.pending--;
    if (err === undefined) entry.resolve();
    else entry.reject(err);
    if (this.pending === 0 && this.idle.length > 0) {
      const waiters = this.idle;
      this.idle = [];
      for (const resolve of waiters) resolve();
    }
  }
}
