/**
 * Connection slots: adapters hold few connections at once (GW_BLE_MAX_CONNECTIONS,
 * default 5). A device that needs one takes a free slot, or waits in a
 * bounded queue (giving up after the connect timeout) while the least
 * recently used idle connection that keeps no notifications is asked to
 * disconnect: its slot passes on when it has disconnected (release), not
 * when it starts to, so the adapter never holds more than the limit.
 */
import { Clock, ErrorKind, GatewayError, systemClock, Timer } from '@gw/contracts';

export interface SlotHolder {
  readonly name: string;
  /** Monotonic ms of its last operation. */
  readonly lastUsedMs: number;
  /** Idle and without notifications: may give its slot away. */
  evictable(): boolean;
  /** Gives its slot away: disconnects, and calls release() once it has disconnected. */
  evict(): void;
}

interface Waiter {
  holder: SlotHolder;
  resolve(): void;
  reject(err: Error): void;
  timer: Timer;
}

export class ConnectionSlots {
  private readonly holders = new Set<SlotHolder>();
  /** Holders asked to give their slot away and not yet disconnected (they still hold it). */
  private readonly evicting = new Set<SlotHolder>();
  private waiters: Waiter[] = [];
  /** Most slots held at once since start (tests and the adapter status read it). */
  peak = 0;

  constructor(
    readonly max: number,
    private readonly maxWaiting: number,
    private readonly clock: Clock = systemClock,
  ) {}

  get inUse(): number {
    return this.holders.size;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  holds(holder: SlotHolder): boolean {
    return this.holders.has(holder);
  }

  async acquire(holder: SlotHolder, timeoutMs: number, what: string): Promise<void> {
    if (this.holders.has(holder) || (this.waiters.length === 0 && this.take(holder))) return;
    if (this.waiters.length >= this.maxWaiting) {
      throw new GatewayError(ErrorKind.ServiceUnavailable, `${what}: all ${this.max} BLE connections are in use and ${this.waiters.length} devices wait for one (GW_BLE_MAX_CONNECTIONS, GW_BLE_MAX_QUEUE)`);
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        holder,
        resolve,
        reject,
        timer: this.clock.setTimer(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new GatewayError(ErrorKind.ServiceUnavailable, `${what}: no BLE connection became free within ${timeoutMs} ms (all ${this.max} busy or keeping notifications; GW_BLE_MAX_CONNECTIONS)`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
      this.evictForWaiters();
    });
  }

  /** Stops waiting for `holder` (device removed), rejecting its wait with `err`. */
  cancel(holder: SlotHolder, err: Error): void {
    for (const waiter of this.waiters.filter((w) => w.holder === holder)) {
      waiter.timer.cancel();
      waiter.reject(err);
    }
    this.waiters = this.waiters.filter((w) => w.holder !== holder);
  }

  /** `holder` disconnected (or will not connect): its slot goes to the first waiter. */
  release(holder: SlotHolder): void {
    this.evicting.delete(holder);
    if (this.holders.delete(holder)) this.serveWaiters();
  }

  /** A holder became idle: its slot may now be asked for. */
  idle(): void {
    this.serveWaiters();
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0 && this.take(this.waiters[0].holder)) {
      const next = this.waiters.shift()!;
      next.timer.cancel();
      next.resolve();
    }
    this.evictForWaiters();
  }

  /** A free slot: true when `holder` now holds one. */
  private take(holder: SlotHolder): boolean {
    if (this.holders.size >= this.max) return false;
    this.holders.add(holder);
    this.peak = Math.max(this.peak, this.holders.size);
    return true;
  }

  /** Asks idle holders (least recently used first) to disconnect, one for each waiter no slot is already coming back for. */
  private evictForWaiters(): void {
    while (this.evicting.size < this.waiters.length) {
      let victim: SlotHolder | undefined;
      for (const h of this.holders) if (!this.evicting.has(h) && h.evictable() && (!victim || h.lastUsedMs < victim.lastUsedMs)) victim = h;
      if (!victim) return;
      this.evicting.add(victim);
      victim.evict(); // may release() at once (nothing to disconnect), serving a waiter
    }
  }
}
