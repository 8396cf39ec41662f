import type { Logger } from '@gw/service-kit';
import type { IngestStats } from './ingest-stats';

/** Logs the ingest counters at debug every interval, with the rates since the last line. */
export class StatsReporter {
  private timer?: NodeJS.Timeout;
  private last = { at: Date.now(), events: 0, readings: 0 };

  constructor(
    private readonly stats: IngestStats,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || !this.logger.isLevelEnabled('debug')) return;
    this.timer = setInterval(() => this.report(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private report(): void {
    const figures = this.stats.snapshot();
    const now = Date.now();
    const seconds = Math.max((now - this.last.at) / 1000, 0.001);
    const eventsPerSec = Math.round((figures.eventsPersisted - this.last.events) / seconds);
    const readingsPerSec = Math.round((figures.readingsPersisted - this.last.readings) / seconds);
    this.last = { at: now, events: figures.eventsPersisted, readings: figures.readingsPersisted };
    this.logger.debug({ ...figures, eventsPerSec, readingsPerSec }, 'core-data: ingest');
  }
}
