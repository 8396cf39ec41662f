/**
 * Group commit into the outbox. The pipelines hand in one record per bus
 * message (for each of its routes); everything handed in during one turn of
 * the event loop, whatever pipeline it came from, is committed as one
 * transaction (at most `maxGroupRecords` records per transaction: a longer
 * queue takes several). Each write's promise resolves only after the commit
 * that holds it, so the bus acknowledges only what is on disk; with a
 * subscription's maxInFlight above 1 the bus hands in the next messages
 * while earlier ones wait for their commit, which is where the groups come
 * from (the handler's pending promise is the backpressure: the bus hands in
 * no more than maxInFlight per subscription). With maxInFlight 1 every group
 * is one message, as before.
 *
 * Order: writes are committed in the order they were made, so each route
 * keeps the order the bus delivered in. When the outbox refuses a commit
 * (disk full, I/O error), the group stays at the head of the queue, later
 * writes wait behind it, and it is tried again with back-off until the
 * outbox takes it: nothing is acknowledged meanwhile, and nothing overtakes it.
 */
import { backoffDelay, Clock, systemClock, Timer } from '@gw/contracts';
import { ThrottledLog } from '@gw/messaging';
import type { ExportRecord, SinkLogger } from '../sinks/sink';
import type { OutboxStore, RouteRecord } from './outbox-store';

export interface GroupCommitOptions {
  logger: SinkLogger;
  /** Most records per transaction (default 1,000). A single write larger than this is one transaction of its own. */
  maxGroupRecords?: number;
  /** Back-off while the outbox refuses commits (default 500 ms to 30 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
  clock?: Clock;
  /** [0, 1), for the backoff jitter. */
  random?: () => number;
}

export interface GroupCommitStats {
  /** Transactions committed, and the writes (bus messages) and records they held. */
  commits: number;
  writes: number;
  records: number;
  /** Commits the outbox refused (each retried). */
  refused: number;
  /** Writes waiting for their commit now. */
  waiting: number;
}

interface Pending {
  items: RouteRecord[];
  resolve(): void;
  reject(err: Error): void;
  onRefused?: (err: Error) => void;
}

export const DEFAULT_MAX_GROUP_RECORDS = 1_000;

export class GroupCommitter {
  private readonly logger: SinkLogger;
  private readonly maxGroupRecords: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly refusedLog: ThrottledLog;
  private queue: Pending[] = [];
  private scheduled = false;
  /** Set while waiting to try a refused group again. */
  private retry?: Timer;
  /** Refused commits in a row, for the backoff. */
  private failures = 0;
  private stopping = false;
  private closed = false;
  private readonly figures = { commits: 0, writes: 0, records: 0, refused: 0 };

  constructor(
    private readonly store: OutboxStore,
    options: GroupCommitOptions,
  ) {
    this.logger = options.logger;
    this.maxGroupRecords = options.maxGroupRecords ?? DEFAULT_MAX_GROUP_RECORDS;
    if (!Number.isSafeInteger(this.maxGroupRecords) || this.maxGroupRecords < 1) {
      throw new Error(`maxGroupRecords must be a positive integer, got ${this.maxGroupRecords}`);
    }
    this.retryMinMs = options.retryMinMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.refusedLog = new ThrottledLog((o, m) => this.logger.error(o, m));
  }

  /**
   * Queues `record` for each of `routes`; resolves once the commit holding it
   * is done. `onRefused` is told each time a commit holding it was refused
   * (it is then retried: the promise neither resolves nor rejects meanwhile).
   * Rejects only when the outbox still refuses it at stop() or after close().
   */
  write(routes: readonly string[], record: ExportRecord, onRefused?: (err: Error) => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the outbox is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items: routes.map((route) => ({ route, record })), resolve, reject, onRefused });
      this.schedule();
    });
  }

  stats(): GroupCommitStats {
    return { ...this.figures, waiting: this.queue.length };
  }

  /**
   * Before the subscriptions stop (they wait for the messages in hand): a
   * group waiting for a retry is tried once more now, and refused for good
   * if the outbox still refuses it, so no stop waits for a back-off.
   */
  stop(): void {
    this.stopping = true;
    if (this.retry) {
      this.retry.cancel();
      this.retry = undefined;
      this.flush();
    }
  }

  /** After the subscriptions stopped: commits what is still queued, then refuses writes. */
  close(): void {
    this.stop();
    this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.scheduled || this.retry) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.retry) this.flush();
    });
  }

  /** Commits the queue from its head, a group at a time, until it is empty or a commit is refused. */
  private flush(): void {
    while (this.queue.length > 0) {
      const n = this.groupSize();
      const group = this.queue.slice(0, n);
      const items = n === 1 ? group[0].items : group.flatMap((p) => p.items);
      try {
        this.store.appendGroup(items);
      } catch (err) {
        this.refused(group, items.length, err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.queue.splice(0, n);
      this.figures.commits++;
      this.figures.writes += n;
      this.figures.records += items.length;
      if (this.failures > 0) {
        this.logger.info({ failures: this.failures }, 'app-service: the outbox takes writes again');
        this.failures = 0;
      }
      for (const p of group) p.resolve();
    }
  }

  /** How many writes from the head make the next group. */
  private groupSize(): number {
    let records = this.queue[0].items.length;
    let n = 1;
    while (n < this.queue.length && records + this.queue[n].items.length <= this.maxGroupRecords) records += this.queue[n++].items.length;
    return n;
  }

  private refused(group: Pending[], records: number, err: Error): void {
    this.failures++;
    this.figures.refused++;
    for (const p of group) p.onRefused?.(err);
    if (this.stopping) {
      // Stopping with a refusing outbox: the bus takes these messages as handled (it cannot be handed them back).
      this.logger.error({ err: err.message, writes: this.queue.length }, 'app-service: stopping while the outbox refuses writes; the messages waiting are not stored');
      for (const p of this.queue.splice(0)) p.reject(new Error(`the outbox refused the write while stopping: ${err.message}`));
      return;
    }
    const retryInMs = backoffDelay(this.failures, this.retryMinMs, this.retryMaxMs, this.random);
    this.refusedLog.write(
      { err: err.message, records, waiting: this.queue.length, failures: this.failures, retryInMs, refusedTotal: this.figures.refused },
      'app-service: the outbox refused a write; holding the bus messages and retrying',
    );
    this.retry = this.clock.setTimer(() => {
      this.retry = undefined;
      this.flush();
    }, retryInMs);
  }
}
