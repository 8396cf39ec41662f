import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, ErrorKind, Event, GatewayError } from '@gw/contracts';
import { HandBack, ThrottledLog } from '@gw/messaging';
import type { Logger } from '@gw/service-kit';
import type { EventStore, InsertResult } from '../persistence/event-store';
import type { IngestStats } from './ingest-stats';

export interface BatchWriterOptions {
  /** A batch is written once it holds this many readings... */
  batchSize: number;
  /** ...or once its first event has waited this long (0: at the next turn of the event loop). */
  flushIntervalMs: number;
  /** Readings accepted but not yet written; add() waits beyond it. */
  queueLimit: number;
  /** How long close() keeps retrying a database that fails before it gives up (and logs the loss). */
  closeTimeoutMs?: number;
  /** First and longest pause between retries of a batch the database failed to take (doubling, ±20% jitter). */
  retryDelayMs?: { initial: number; max: number };
  /** Told after each commit (the benchmark measures origin-to-persisted latency with it). */
  onCommitted?: (events: readonly Event[], committedAtMs: number) => void;
}

/** What became of the events of one batch. */
export interface BatchOutcome {
  /** Ids that were already stored: not written again. */
  duplicates: readonly string[];
  /** Events the database refused even alone, with the reason. */
  refused?: ReadonlyMap<string, GatewayError>;
  /** Set when nothing of the batch could be written (the database stayed down through close()). */
  failed?: GatewayError;
}

/** A group of events written in one transaction. */
export class Batch {
  readonly events: Event[] = [];
  readings = 0;
  /** No more events join; the batch waits only for the writer to be free. */
  sealed = false;
  /** Someone waits for the commit: write as soon as the writer is free instead of waiting out the interval. */
  urgent = false;
  /** Events and readings it held when its write was last put off: many more a turn later means events are pouring in. */
  seen = { events: 0, readings: 0 };
  /** Settles once the batch is written (or given up); never rejects. */
  readonly done: Promise<BatchOutcome>;
  settle!: (outcome: BatchOutcome) => void;
  private committedOnce?: Promise<void>;

  constructor() {
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  /**
   * `done` without the outcome: one promise per batch that every bus message
   * of it can return (none per event). Rejects with HandBack when nothing of
   * the batch could be written (the database kept failing through close()):
   * the bus then leaves those messages to the broker's next session.
   */
  get committed(): Promise<void> {
    return (this.committedOnce ??= this.done.then(handBackIfFailed));
  }

  /** The fate of one of its events: undefined when it was stored now. */
  problemWith(id: string, outcome: BatchOutcome): GatewayError | undefined {
    if (outcome.failed) return outcome.failed;
    const refused = outcome.refused?.get(id);
    if (refused) return refused;
    if (outcome.duplicates.includes(id)) return new GatewayError(ErrorKind.DuplicateName, `event ${id} already exists`);
    return undefined;
  }
}

interface Waiter {
  event: Event;
  urgent: boolean;
  resolve: (batch: Batch) => void;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 30_000;
/** A turn that brings 1/POURING of a full batch or more means events are pouring in (see schedule). */
const POURING = 50;
const DEFAULT_RETRY = { initial: 100, max: 5_000 };

/**
 * The write path of core-data: events are grouped into batches, one
 * transaction per batch, one batch at a time (group commit: while one batch
 * is being written the next one fills, so batches grow with the load).
 *
 * Bounded: beyond `queueLimit` readings, add() returns a promise that settles
 * when there is room, in arrival order; the bus handler awaits it, so the bus
 * (and behind it the broker) holds what core-data cannot take yet.
 *
 * Failures: a batch the database failed to take is retried with backoff for
 * as long as the failure looks transient (connection lost, locked, disk full);
 * one refused for its content is written event by event, so one bad event is
 * refused alone (logged, counted) and never holds back the others.
 */
export class BatchWriter {
  private readonly batches: Batch[] = [];
  private readonly waiters: Waiter[] = [];
  private queuedReadingCount = 0;
  private queuedEventCount = 0;
  private timer?: NodeJS.Timeout;
  private scheduled?: NodeJS.Immediate;
  private draining?: Promise<void>;
  private closing?: Promise<void>;
  private closeDeadline = Infinity;
  private readonly failureLog: ThrottledLog;
  private readonly refusedLog: ThrottledLog;

  constructor(
    private readonly store: EventStore,
    private readonly options: BatchWriterOptions,
    private readonly stats: IngestStats,
    private readonly logger: Logger,
  ) {
    this.failureLog = new ThrottledLog((o, m) => logger.error(o, m));
    this.refusedLog = new ThrottledLog((o, m) => logger.warn(o, m));
    stats.watchQueue({ queuedReadings: () => this.queuedReadingCount, queuedEvents: () => this.queuedEventCount });
  }

  get queuedReadings(): number {
    return this.queuedReadingCount;
  }

  /**
   * Queues an event and returns the batch it joined (its `done` settles at
   * commit). Returns a promise instead while the queue is full. `urgent`: the
   * caller will wait for the commit, so the batch is written as soon as possible.
   */
  add(event: Event, urgent = false): Batch | Promise<Batch> {
    if (this.closing) throw new GatewayError(ErrorKind.ServiceUnavailable, 'core-data is shutting down');
    if (this.waiters.length === 0 && this.fits(event)) return this.enqueue(event, urgent);
    return new Promise<Batch>((resolve) => this.waiters.push({ event, urgent, resolve }));
  }

  /** Stops taking events, writes everything queued, and resolves when it is stored (or given up on). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closeDeadline = Date.now() + (this.options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
      clearTimeout(this.timer);
      if (this.scheduled) clearImmediate(this.scheduled);
      this.scheduled = undefined;
      this.releaseWaiters();
      while (this.batches.length > 0) await this.drain();
    })();
    return this.closing;
  }

  private fits(event: Event): boolean {
    return this.queuedReadingCount === 0 || this.queuedReadingCount + event.readings.length <= this.options.queueLimit;
  }

  private enqueue(event: Event, urgent: boolean): Batch {
    let batch = this.batches[this.batches.length - 1];
    if (!batch || batch.sealed) {
      batch = new Batch();
      this.batches.push(batch);
      if (this.options.flushIntervalMs > 0) {
        const open = batch;
        this.timer = setTimeout(() => this.seal(open), this.options.flushIntervalMs);
      }
    }
    batch.events.push(event);
    batch.readings += event.readings.length;
    this.queuedReadingCount += event.readings.length;
    this.queuedEventCount++;
    if (batch.readings >= this.options.batchSize) this.seal(batch);
    else if (urgent || this.options.flushIntervalMs === 0) {
      batch.urgent = true;
      this.schedule();
    }
    return batch;
  }

  private seal(batch: Batch): void {
    if (batch.sealed) return;
    batch.sealed = true;
    if (batch === this.batches[this.batches.length - 1]) clearTimeout(this.timer);
    this.schedule();
  }

  /**
   * Drains on the next turn of the event loop, so a burst arriving in this
   * turn shares the batch. An urgent batch into which events pour (a turn
   * brought several events and at least 1/POURING of a full batch: a bus
   * handing over its whole window) waits one more turn, until a turn brings less, it is full, or its
   * flush interval ends: under load the commits stay large, while at a steady
   * sustainable rate each event is written at the next turn.
   */
  private schedule(): void {
    if (this.scheduled || this.draining || this.closing) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      const open = this.batches[0];
      const pouring =
        open !== undefined &&
        open.events.length - open.seen.events > 1 &&
        open.readings - open.seen.readings >= this.options.batchSize / POURING;
      if (pouring && !open.sealed && open.urgent && this.options.flushIntervalMs > 0 && !this.closing) {
        open.seen = { events: open.events.length, readings: open.readings };
        this.schedule();
        return;
      }
      void this.drain();
    });
  }

  private drain(): Promise<void> {
    this.draining ??= this.writeReady().finally(() => {
      this.draining = undefined;
      if (!this.closing && this.headReady()) this.schedule();
    });
    return this.draining;
  }

  private headReady(): boolean {
    const head = this.batches[0];
    return head !== undefined && (head.sealed || head.urgent || this.closing !== undefined);
  }

  private async writeReady(): Promise<void> {
    while (this.headReady()) {
      const batch = this.batches[0];
      // Taken while still open (urgent, or closing): nothing may join it any more.
      if (!batch.sealed) {
        batch.sealed = true;
        clearTimeout(this.timer);
      }
      const outcome = await this.write(batch.events);
      this.batches.shift();
      this.queuedReadingCount -= batch.readings;
      this.queuedEventCount -= batch.events.length;
      batch.settle(outcome);
      this.releaseWaiters();
    }
  }

  private releaseWaiters(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0].event)) {
      const waiter = this.waiters.shift() as Waiter;
      waiter.resolve(this.enqueue(waiter.event, waiter.urgent));
    }
  }

  /** Writes events in one transaction, retrying transient failures and isolating refused events. */
  private async write(events: readonly Event[]): Promise<BatchOutcome> {
    const retry = this.options.retryDelayMs ?? DEFAULT_RETRY;
    for (let failures = 1; ; failures++) {
      const started = performance.now();
      let result: InsertResult;
      try {
        result = await this.store.insert(events);
      } catch (err) {
        this.stats.writeErrors++;
        if (!this.store.isTransient(err)) return this.writeOneByOne(events, err);
        const delay = backoffDelay(failures, retry.initial, retry.max);
        if (Date.now() + delay > this.closeDeadline) return this.giveUp(events, err);
        this.failureLog.write(
          { err: messageOf(err), events: events.length, retryInMs: delay, queuedReadings: this.queuedReadingCount },
          'core-data: writing a batch failed; retrying',
        );
        await sleep(delay);
        continue;
      }
      this.recordCommit(events, result, performance.now() - started);
      return { duplicates: result.duplicates };
    }
  }

  private async writeOneByOne(events: readonly Event[], err: unknown): Promise<BatchOutcome> {
    if (events.length === 1) {
      const refused = new GatewayError(ErrorKind.ContractInvalid, `the database refused event ${events[0].id}: ${messageOf(err)}`);
      this.stats.rejected++;
      this.stats.refusedByDatabase++;
      this.refusedLog.write(
        { eventId: events[0].id, deviceName: events[0].deviceName, err: messageOf(err), refusedTotal: this.stats.refusedByDatabase },
        'core-data: the database refused an event; skipped it',
      );
      return { duplicates: [], refused: new Map([[events[0].id, refused]]) };
    }
    const duplicates: string[] = [];
    const refused = new Map<string, GatewayError>();
    for (const event of events) {
      const outcome = await this.write([event]);
      if (outcome.failed) return outcome;
      duplicates.push(...outcome.duplicates);
      outcome.refused?.forEach((error, id) => refused.set(id, error));
    }
    return { duplicates, refused };
  }

  private giveUp(events: readonly Event[], err: unknown): BatchOutcome {
    const failed = new GatewayError(ErrorKind.Database, `core-data stopped before the database took the events: ${messageOf(err)}`);
    this.logger.error(
      { err: messageOf(err), lostEvents: events.length, lostReadings: events.reduce((n, e) => n + e.readings.length, 0) },
      'core-data: the database kept failing while stopping; queued events were not stored (those from the bus are left unacknowledged, for the next start)',
    );
    return { duplicates: [], failed };
  }

  private recordCommit(events: readonly Event[], result: InsertResult, ms: number): void {
    const stats = this.stats;
    stats.batches++;
    stats.eventsPersisted += result.events;
    stats.readingsPersisted += result.readings;
    stats.duplicates += result.duplicates.length;
    stats.lastBatchMs = ms;
    this.options.onCommitted?.(events, Date.now());
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function handBackIfFailed(outcome: BatchOutcome): void {
  if (outcome.failed) throw new HandBack(outcome.failed.message);
}
