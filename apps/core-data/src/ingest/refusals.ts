import { ThrottledLog } from '@gw/messaging';
import type { Logger } from '@gw/service-kit';
import type { IngestStats, RefusalReason } from './ingest-stats';

const MESSAGES: Record<RefusalReason, string> = {
  unknownDevice: 'core-data: refused an event of a device core-metadata does not know',
  wrongProfile: 'core-data: refused an event whose profile is not its device’s',
  wrongService: 'core-data: refused an event sent for another service than its device’s',
  topicMismatch: 'core-data: refused an event whose topic or readings name another profile, device or source',
  unverified: 'core-data: refused an event core-metadata could not vouch for',
};

/** Counts a refusal under its reason and logs it, at most once per reason every 10 s (with how many were suppressed). */
export class Refusals {
  private readonly logs = {} as Record<RefusalReason, ThrottledLog>;

  constructor(
    private readonly stats: IngestStats,
    logger: Logger,
  ) {
    for (const reason of Object.keys(MESSAGES) as RefusalReason[]) this.logs[reason] = new ThrottledLog((o, m) => logger.warn(o, m));
  }

  count(reason: RefusalReason, context: Record<string, unknown>): void {
    this.stats.rejected++;
    this.stats.refused[reason]++;
    this.logs[reason].write({ reason, ...context, refusedTotal: this.stats.refused[reason] }, MESSAGES[reason]);
  }
}
