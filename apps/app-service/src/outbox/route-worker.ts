/**
 * Delivers one route's outbox to its sink, in order, one page at a time:
 * a page is removed only after the sink accepted all of it, so after a crash
 * or a forced stop the unremoved page is delivered again (at-least-once, the
 * only duplicates there are). A failure keeps the page at the head and backs
 * off; nothing behind it overtakes it.
 */
import { backoffDelay, Clock, systemClock, Timer } from '@gw/contracts';
import { DeliveryError, type DeliveryOptions, type OutboxRecord, type Sink, type SinkLogger } from '../sinks/sink';
import type { DropCounts } from './drop-log';
import type { RouteOptions } from './outbox-options';
import type { OutboxStore } from './outbox-store';

export interface RouteWorkerDeps {
  store: OutboxStore;
  sink: Sink;
  logger: SinkLogger;
  clock?: Clock;
  /** [0, 1), for the backoff jitter. */
  random?: () => number;
  /**
   * While backing off after a failure with the sink disconnected, how often
   * to look whether it reconnected, so a backlog starts draining when the
   * destination returns instead of after the rest of a backoff of up to retryMax.
   */
  reconnectCheckMs?: number;
}

/** A route's figures (REST and Prometheus). Counters start at zero with the process. */
export interface RouteStats {
  route: string;
  sink: string;
  /** Records delivered. */
  exported: number;
  /** Records waiting, and the bytes of their bodies. */
  pending: number;
  pendingBytes: number;
  dropped: DropCounts;
  /** Failed deliveries that were retried. */
  retries: number;
  lastError: { message: string; at: number } | null;
  /** ms since the epoch. */
  lastDeliveredAt: number | null;
  connected: boolean;
}

interface Waiter {
  done(): void;
  /** Whether an append ends the wait. */
  wakeOnAppend(): boolean;
}

export class RouteWorker {
  readonly route: string;
  private readonly store: OutboxStore;
  private readonly sink: Sink;
  private readonly logger: SinkLogger;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly reconnectCheckMs: number;
  private readonly delivery: DeliveryOptions;
  private readonly batchCount: number;
  private readonly intervalMs?: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private waiter?: Waiter;
  private loop?: Promise<void>;
  private stopping = false;
  /** Set by stop(force): an in-flight delivery's result is ignored (and its page delivered again later). */
  private abandoned = false;
  /** Failures in a row, for the backoff. */
  private failures = 0;
  private exported = 0;
  private retries = 0;
  private lastError: RouteStats['lastError'] = null;
  private lastDeliveredAt: number | null = null;

  constructor(options: RouteOptions, deps: RouteWorkerDeps) {
    this.route = options.route;
    this.store = deps.store;
    this.sink = deps.sink;
    this.logger = deps.logger;
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.reconnectCheckMs = deps.reconnectCheckMs ?? 1_000;
    this.delivery = { batched: options.batch !== undefined, gzip: options.gzip };
    const { count, intervalMs } = options.batch ?? {};
    if (count !== undefined && (!Number.isSafeInteger(count) || count < 1)) {
      throw new Error(`route ${this.route}: batch count must be a positive integer, got ${count}`);
    }
    if (intervalMs !== undefined && !(intervalMs >= 0)) {
      throw new Error(`route ${this.route}: batch interval must not be negative, got ${intervalMs}`);
    }
    this.batchCount = count ?? Infinity;
    this.intervalMs = intervalMs || undefined;
    this.retryMinMs = options.bounds.retryMinMs;
    this.retryMaxMs = options.bounds.retryMaxMs;
    this.store.openRoute(this.route, options.bounds, () => this.notify());
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** A record was appended: ends an idle wait at once (the store calls this on every append). */
  notify(): void {
    if (this.waiter?.wakeOnAppend()) this.waiter.done();
  }

  /**
   * Stops after the delivery in flight settles (its records are removed if it
   * succeeded); `force` returns at once and leaves that delivery's records in
   * the outbox, to be delivered again by the next run.
   */
  async stop(force = false): Promise<void> {
    this.stopping = true;
    if (force) this.abandoned = true;
    this.store.closeRoute(this.route);
    this.waiter?.done();
    if (!force) await this.loop;
  }

  stats(): RouteStats {
    return {
      route: this.route,
      sink: this.sink.name,
      exported: this.exported,
      pending: this.store.count(this.route),
      pendingBytes: this.store.bytes(this.route),
      dropped: this.store.dropped(this.route),
      retries: this.retries,
      lastError: this.lastError && { ...this.lastError },
      lastDeliveredAt: this.lastDeliveredAt,
      connected: this.sink.connected,
    };
  }

  /** Most records per deliver() call. */
  private get limit(): number {
    return Math.max(1, Math.min(this.sink.maxBatch, this.batchCount));
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step();
      } catch (err) {
        // The store failed (disk full, I/O error): nothing was lost; try again later.
        this.failures++;
        this.logger.error({ err: messageOf(err) }, 'outbox failed');
        await this.wait(backoffDelay(this.failures, this.retryMinMs, this.retryMaxMs, this.random), () => false);
      }
    }
  }

  /** Waits for records or for a batch to fill, or delivers one page. */
  private async step(): Promise<void> {
    this.store.expire(this.route);
    const waiting = this.store.count(this.route);
    if (waiting === 0) return this.wait(undefined, () => true);
    const limit = this.limit;
    if (this.intervalMs !== undefined && waiting < limit) {
      const now = this.clock.now();
      const due = (this.store.oldestCreatedAt(this.route) ?? now) + this.intervalMs;
      if (due > now) {
        // Capped at one interval: a clock set back must not hold a batch for the size of the jump.
        return this.wait(Math.min(due - now, this.intervalMs), () => this.store.count(this.route) >= limit);
      }
    }
    const page = this.store.page(this.route, limit);
    // Only if another process removed records from this file behind the counters' back.
    if (page.length === 0) return this.wait(undefined, () => true);
    await this.deliver(page);
  }

  private async deliver(page: OutboxRecord[]): Promise<void> {
    const upTo = page[page.length - 1].id;
    try {
      await this.sink.deliver(page, this.delivery);
    } catch (err) {
      if (this.abandoned) return;
      const message = messageOf(err);
      this.lastError = { message, at: this.clock.now() };
      // What the sink did accept before failing is done: never sent again.
      const delivered = err instanceof DeliveryError ? Math.min(Math.max(0, err.delivered), page.length) : 0;
      if (delivered > 0) {
        this.store.remove(this.route, page[delivered - 1].id);
        this.exported += delivered;
        this.lastDeliveredAt = this.clock.now();
      }
      if (delivered === page.length) return;
      if (err instanceof DeliveryError && err.disposition === 'reject') {
        // Only the refused record goes; the ones after it get their own attempt.
        this.failures = 0;
        this.store.reject(this.route, page[delivered].id, message);
        return;
      }
      this.failures++;
      this.retries++;
      this.store.markFailed(this.route, upTo);
      const delay = backoffDelay(this.failures, this.retryMinMs, this.retryMaxMs, this.random);
      const wasConnected = this.sink.connected;
      this.logger.warn(
        { sink: this.sink.name, err: message, records: page.length, failures: this.failures, retryInMs: delay },
        'delivery failed; retrying',
      );
      return this.wait(delay, () => false, !wasConnected);
    }
    if (this.abandoned) return;
    this.store.remove(this.route, upTo);
    this.exported += page.length;
    this.lastDeliveredAt = this.clock.now();
    if (this.failures > 0) this.logger.info({ sink: this.sink.name, failures: this.failures }, 'delivery resumed');
    this.failures = 0;
    // A sink that resolves without I/O (or a backlog that never ends) must not starve the event loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * Waits until `ms` passed (never, if undefined), stop(), an append for which
   * `wakeOnAppend` says yes, or, with `untilConnected`, the sink reconnecting.
   */
  private wait(ms: number | undefined, wakeOnAppend: () => boolean, untilConnected = false): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: Timer | undefined;
      let check: Timer | undefined;
      const done = () => {
        if (this.waiter !== waiter) return;
        this.waiter = undefined;
        timer?.cancel();
        check?.cancel();
        resolve();
      };
      const waiter: Waiter = { done, wakeOnAppend };
      this.waiter = waiter;
      if (ms !== undefined) timer = this.clock.setTimer(done, ms);
      if (untilConnected) {
        const look = () => {
          if (this.sink.connected) done();
          else check = this.clock.setTimer(look, this.reconnectCheckMs);
        };
        check = this.clock.setTimer(look, this.reconnectCheckMs);
      }
    });
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
