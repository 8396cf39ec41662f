import { ThrottledLog } from '@gw/messaging';
import type { Logger } from '@gw/service-kit';
import { IngestStats, REFUSAL_REASONS, REFUSALS, RefusalReason } from './ingest-stats';

/** Counts a refusal under its reason and logs it, at most once per reason every 10 s (with how many were suppressed). */
export class Refusals {
  private readonly logs = {} as Record<RefusalReason, ThrottledLog>;

  constructor(
    private readonly stats: IngestStats,
    logger: Logger,
  ) {
    for (const reason of REFUSAL_REASONS) this.logs[reason] = new ThrottledLog((o, m) => logger.warn(o, m));
  }

  count(reason: RefusalReason, context: Record<string, unknown>): void {
    this.stats.rejected++;
    this.stats.refused[reason]++;
    this.logs[reason].write({ reason, ...context, refusedTotal: this.stats.refused[reason] }, REFUSALS[reason].log);
  }
}
