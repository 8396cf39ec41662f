import type { SinkLogger } from '../sinks/sink';
import type { Clock, Timer } from '@gw/contracts';

/** Why records left an outbox without being delivered. */
export type DropReason = 'full' | 'expired' | 'rejected';
export type DropCounts = Record<DropReason, number>;

export const noDrops = (): DropCounts => ({ full: 0, expired: 0, rejected: 0 });

/**
 * Logs a route's drops as one warning per interval with the counts since the
 * last one, so a full outbox dropping thousands of records a second writes
 * one line, not thousands. The first drop after a quiet interval is logged
 * at once; later ones are summed and logged when the interval ends.
 */
export class DropLog {
  private pending = noDrops();
  private rejection?: string;
  private lastWarnAt = -Infinity;
  private timer?: Timer;

  constructor(
    private readonly route: string,
    private readonly logger: SinkLogger,
    private readonly intervalMs: number,
    private readonly clock: Clock,
  ) {}

  /** `rejection`: what the destination said, for `rejected`. */
  add(reason: DropReason, count: number, rejection?: string): void {
    this.pending[reason] += count;
    if (rejection !== undefined) this.rejection = rejection;
    const now = this.clock.now();
    if (now - this.lastWarnAt >= this.intervalMs) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = this.clock.setTimer(() => {
        this.timer = undefined;
        this.flush();
      }, this.lastWarnAt + this.intervalMs - now);
      // A summary due later must not keep a stopping process alive.
      this.timer.unref();
    }
  }

  /** Logs what is pending now (at close). */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const { full, expired, rejected } = this.pending;
    if (full + expired + rejected === 0) return;
    const fields: Record<string, unknown> = { route: this.route, dropped: this.pending };
    if (this.rejection !== undefined) fields.rejection = this.rejection;
    this.logger.warn(fields, `outbox ${this.route} dropped ${full + expired + rejected} record(s)`);
    this.pending = noDrops();
    this.rejection = undefined;
    this.lastWarnAt = this.clock.now();
  }
}
