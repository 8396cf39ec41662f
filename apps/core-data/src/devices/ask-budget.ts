import { Clock, systemClock } from '@gw/contracts';

/** Requests to core-metadata about devices core-data's view does not vouch for, per second (GW_CORE_DATA_DEVICE_ASK_RATE). */
export const DEFAULT_DEVICE_ASK_RATE = 20;

/**
 * How many questions about devices core-data may send core-metadata: a token
 * bucket of `perSecond` tokens a second, at most one second's worth saved up.
 * Each distinct unknown name costs a request, and events wait for its answer;
 * the bound keeps a publisher inventing names from holding up every other
 * device's events (what it cannot ask about is refused at once).
 */
export class AskBudget {
  private tokens: number;
  private at: number;

  constructor(
    readonly perSecond: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = perSecond;
    this.at = clock.monotonicMs();
  }

  /** Takes one token when there is one. */
  take(): boolean {
    const now = this.clock.monotonicMs();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) * this.perSecond) / 1_000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
