import { ErrorKind, GatewayError } from '@gw/contracts';
import type { SubscribeOptions } from './message-bus';

/** The most a durable subscription may hold: MQTT 5's Receive Maximum is a 16-bit number, and one rule holds for every bus. */
export const MAX_IN_FLIGHT_LIMIT = 65_535;

/** SubscribeOptions.maxInFlight checked once: 1 when not given; a ContractInvalid error naming the option otherwise. */
export function inFlightLimit(options: SubscribeOptions): number {
  const value = options.maxInFlight;
  if (value === undefined) return 1;
  if (!options.durable) {
    throw new GatewayError(ErrorKind.ContractInvalid, 'maxInFlight applies to durable subscriptions only (set durable too, or leave it out)');
  }
  if (!Number.isInteger(value) || value < 1 || value > MAX_IN_FLIGHT_LIMIT) {
    throw new GatewayError(ErrorKind.ContractInvalid, `maxInFlight must be an integer from 1 to ${MAX_IN_FLIGHT_LIMIT}, got ${String(value)}`);
  }
  return value;
}

/**
 * At most `limit` messages handed to a handler and not yet settled. Each one's
 * acknowledgement runs as soon as its own handler settles, in whatever order
 * they settle; the next message may be handed out as soon as there is room.
 */
export class InFlightWindow {
  private count = 0;
  private roomWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  /** `total` counts this window's messages together with those of the bus's other windows (BusStats.inFlight). */
  constructor(
    readonly limit: number,
    private readonly total: { inFlight: number } = { inFlight: 0 },
  ) {}

  /** Messages handed out whose handler has not settled yet. */
  get inHand(): number {
    return this.count;
  }

  get free(): number {
    return this.limit - this.count;
  }

  /**
   * Resolves once a message may be handed out (at once when there is room
   * now), or once `signal` aborts: a subscriber that stops waits no longer.
   */
  room(signal?: AbortSignal): Promise<void> {
    if (this.free > 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.roomWaiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Resolves once nothing is in hand. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Starts `work` for one message and runs `settle` once it settled, telling
   * whether to acknowledge it (what `work` resolved to; undefined counts as
   * yes). The caller has made sure there is room; `work` must not reject
   * (DeliveryContext.invoke never does).
   */
  hand(work: () => Promise<boolean | void>, settle: (acknowledge: boolean) => void): void {
    if (this.count >= this.limit) throw new Error(`in-flight window of ${this.limit} is full`);
    this.count++;
    this.total.inFlight++;
    const settled = (acknowledge: boolean | void) => {
      this.count--;
      this.total.inFlight--;
      settle(acknowledge !== false);
      for (const wake of this.roomWaiters.splice(0)) wake();
      if (this.count === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    };
    void work().then(settled, () => settled(true));
  }
}
