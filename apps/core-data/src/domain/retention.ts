import type { Logger } from '@gw/service-kit';
import type { EventStore } from '../persistence/event-store';
import { deleteInBatches } from './batched-delete';

export interface RetentionPolicy {
  /** Events whose origin is older than this are deleted; 0 = no age limit. */
  maxAgeMs: number;
  /** At most this many events are kept, the oldest go first; 0 = no cap. */
  maxEvents: number;
  intervalMs: number;
  /** Events per delete statement. */
  batch: number;
}

export interface RetentionResult {
  byAge: number;
  byCount: number;
}

const NANOS_PER_MS = 1_000_000;

/**
 * Periodic purge by age and by count, in bounded delete statements. Runs never
 * overlap: the next one is scheduled when the previous one has finished.
 */
export class Retention {
  private timer?: NodeJS.Timeout;
  private running?: Promise<RetentionResult>;
  private stopped = false;

  constructor(
    private readonly store: EventStore,
    private readonly policy: RetentionPolicy,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.policy.maxAgeMs > 0 || this.policy.maxEvents > 0;
  }

  start(): void {
    if (this.enabled && !this.stopped) this.scheduleNext();
  }

  /** Runs one purge now (or joins the one running). */
  runOnce(): Promise<RetentionResult> {
    this.running ??= this.purge().finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private scheduleNext(): void {
    this.timer = setTimeout(() => {
      this.runOnce()
        .catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'core-data: retention run failed; retrying next interval'))
        .finally(() => {
          if (!this.stopped) this.scheduleNext();
        });
    }, this.policy.intervalMs);
    this.timer.unref();
  }

  private async purge(): Promise<RetentionResult> {
    const { maxAgeMs, maxEvents, batch } = this.policy;
    const started = Date.now();
    const byAge = maxAgeMs > 0 ? await deleteInBatches(this.store, { originBefore: (this.clock() - maxAgeMs) * NANOS_PER_MS }, batch) : 0;
    let byCount = 0;
    if (maxEvents > 0) {
      const excess = (await this.store.countEvents({})) - maxEvents;
      const last = excess > 0 ? await this.store.nthOldestEvent(excess) : undefined;
      if (last) byCount = await deleteInBatches(this.store, { upTo: last }, batch);
    }
    if (byAge + byCount > 0) {
      this.logger.info({ byAge, byCount, ms: Date.now() - started }, 'core-data: retention deleted old events');
    }
    return { byAge, byCount };
  }
}
