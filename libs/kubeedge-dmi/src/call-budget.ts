/**
 * The mapper's share of edgecore's DMI rate limit: edgecore's dmiserver
 * allows 1 call per second with a burst of 100 (rate.Every(1000ms), 100),
 * shared by every mapper and by MapperRegister, ReportDeviceStatus and
 * ReportDeviceStates alike; a call over it is refused ("too many request").
 * This token bucket, a little smaller, keeps the mapper under it: a call waits
 * for a token, and waiting calls go by priority (registration, then device
 * states, then twins), so a state change is never queued behind twin
 * reports. Waiters are few: twins go one report at a time, states one per
 * device.
 */
import type { Clock, Timer } from '@gw/contracts';

export type CallPriority = 'register' | 'state' | 'twin';
const ORDER: CallPriority[] = ['register', 'state', 'twin'];

export interface CallBudgetOptions {
  /** Calls per second (edgecore: 1). */
  perSecond: number;
  /** Calls that may go at once after a quiet time (edgecore: 100). */
  burst: number;
}

export const EDGECORE_DMI_LIMIT: CallBudgetOptions = { perSecond: 1, burst: 100 };
/** The mapper's budget: 95% of edgecore's, so transit and the two buckets' different start never tip a call over. */
export const MAPPER_DMI_BUDGET: CallBudgetOptions = { perSecond: 0.95 * EDGECORE_DMI_LIMIT.perSecond, burst: 0.95 * EDGECORE_DMI_LIMIT.burst };

export class CallBudget {
  private tokens: number;
  private last: number;
  private readonly waiting: Record<CallPriority, Array<{ resolve: () => void; reject: (err: Error) => void }>> = { register: [], state: [], twin: [] };
  private timer: Timer | undefined;
  private closed = false;

  constructor(
    private readonly options: CallBudgetOptions,
    private readonly clock: Clock,
  ) {
    this.tokens = options.burst;
    this.last = clock.monotonicMs();
  }

  /** Resolves when a call of this priority may go (rejects once closed). */
  take(priority: CallPriority): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the mapper is closing'));
    return new Promise((resolve, reject) => {
      this.waiting[priority].push({ resolve, reject });
      this.pump();
    });
  }

  /** Edgecore refused a call as over its limit (other mappers share it): no token until one has built up again. */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }

  get available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    for (const priority of ORDER) for (const waiter of this.waiting[priority].splice(0)) waiter.reject(new Error('the mapper is closing'));
  }

  private refill(): void {
    const now = this.clock.monotonicMs();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.last) / 1000) * this.options.perSecond);
    this.last = now;
  }

  private pump(): void {
    this.refill();
    for (const priority of ORDER) {
      const queue = this.waiting[priority];
      while (queue.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        queue.shift()!.resolve();
      }
    }
    if (this.timer || !ORDER.some((p) => this.waiting[p].length > 0)) return;
    const wait = Math.ceil(((1 - this.tokens) / this.options.perSecond) * 1000);
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.pump();
    }, wait);
    this.timer.unref();
  }
}
