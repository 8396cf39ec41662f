/**
 * SQLite WAL checkpoints off the event loop while writes pour in. A
 * checkpoint copies the pages the write-ahead log gathered back into the
 * database file and syncs it; run by the writing connection (SQLite's
 * auto-checkpoint), it lands inside whichever commit crosses the threshold,
 * and with better-sqlite3 that commit holds the service's only thread: on
 * this machine 45-65 ms every second or so at 20,000 readings/s (10,000
 * pages), during which no event is committed, no device polled, no request
 * answered.
 *
 * So while rows are written fast (CHECKPOINT_ROWS within BUSY_WINDOW_MS), a
 * worker thread with its own connection to the same file runs a PASSIVE
 * checkpoint (it never blocks the writer nor waits for it) each time another
 * CHECKPOINT_ROWS were written, asked right after a commit: a small one (a few
 * ms) is usually over before the next commit, so the writer can start the WAL
 * over and it stays small. Measured with 200-event commits every 50 ms (20,000
 * readings/s): commit p99 11-12 ms and max 13-17 ms, WAL 13-16 MB, against
 * p99 45-59 ms and max 50-66 ms with the writer checkpointing itself.
 *
 * The worker costs about 11 MB: it starts only when writes are fast and stops
 * after WORKER_IDLE_MS without work; at a trickle the writer's own
 * auto-checkpoint (still on) does the job, rarely. Nothing here is needed for
 * durability: WAL with synchronous=NORMAL keeps committed data whatever
 * checkpoints run.
 */
import { Worker } from 'node:worker_threads';
import { Clock, systemClock, Timer } from '@gw/contracts';

/** Rows written between two worker checkpoints (about 200 ms at 20,000 readings/s). */
export const CHECKPOINT_ROWS = 4_000;
/** CHECKPOINT_ROWS written within this long means writes pour in: the worker takes over. */
export const BUSY_WINDOW_MS = 1_000;
/** The worker stops after this long without a checkpoint to run. */
export const WORKER_IDLE_MS = 60_000;

/**
 * The worker: plain JavaScript run from a string (no build step, works where
 * the sources run as TypeScript), its only module better-sqlite3, resolved
 * by the main thread. Each message asks for one passive checkpoint; the
 * answer is empty or the error.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
parentPort.on('message', () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({});
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
});
`;

export interface CheckpointerLogger {
  warn(obj: object, msg?: string): void;
}

export interface CheckpointerStats {
  /** Checkpoints the worker ran. */
  checkpoints: number;
  /** Checkpoints that failed (logged); the writer's own auto-checkpoint covers meanwhile. */
  failures: number;
}

export class SqliteCheckpointer {
  private worker?: Worker;
  private running = false;
  private ran?: () => void;
  private current: Promise<void> = Promise.resolve();
  private rows = 0;
  private windowStart: number;
  private idleTimer?: Timer;
  private closed = false;
  private readonly clock: Clock;
  readonly stats: CheckpointerStats = { checkpoints: 0, failures: 0 };

  constructor(
    private readonly file: string,
    private readonly logger: CheckpointerLogger,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.windowStart = this.clock.monotonicMs();
  }

  /** Whether the worker thread is there now. */
  get workerRunning(): boolean {
    return this.worker !== undefined;
  }

  /** After a commit that wrote `rows` rows: asks the worker for a checkpoint when enough were written, fast enough. */
  committed(rows: number): void {
    this.rows += rows;
    if (this.rows < CHECKPOINT_ROWS || this.closed) return;
    const now = this.clock.monotonicMs();
    const pouring = now - this.windowStart <= BUSY_WINDOW_MS;
    this.rows = 0;
    this.windowStart = now;
    if (!pouring && !this.worker) return;
    if (this.running) return;
    this.running = true;
    this.current = new Promise((resolve) => (this.ran = resolve));
    this.startWorker().postMessage(null);
    this.idleTimer?.cancel();
    this.idleTimer = this.clock.setTimer(() => void this.stopWorker(), WORKER_IDLE_MS);
    this.idleTimer.unref();
  }

  /** Resolves once no checkpoint runs (for tests and benchmarks). */
  settled(): Promise<void> {
    return this.current;
  }

  /** Stops the worker (a checkpoint under way completes or is rolled back by SQLite; either is safe). */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopWorker();
  }

  private startWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.file, driver: require.resolve('better-sqlite3') } });
    // It must never keep the process alive.
    worker.unref();
    worker.on('message', (reply: { error?: string }) => this.answered(reply));
    worker.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'sqlite: the checkpoint worker failed; the writer checkpoints itself until it is needed again');
      if (this.worker === worker) this.worker = undefined;
      this.finished();
    });
    this.worker = worker;
    return worker;
  }

  private async stopWorker(): Promise<void> {
    this.idleTimer?.cancel();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
    this.finished();
  }

  private finished(): void {
    this.running = false;
    this.ran?.();
    this.ran = undefined;
  }

  private answered(reply: { error?: string }): void {
    this.finished();
    if (reply.error === undefined) {
      this.stats.checkpoints++;
      return;
    }
    this.stats.failures++;
    this.logger.warn({ err: reply.error }, 'sqlite: a background checkpoint failed; the next one is asked after more writes');
  }
}
