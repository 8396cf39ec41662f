/**
 * The logger the SDK needs (pino's `(obj, msg)` call order), and a throttle so
 * a device that fails every 100 ms or a bus outage cannot flood the log.
 */
import type { Clock } from '@gw/contracts';
import type { DriverContext } from './driver/protocol-driver';

export type SdkLogger = DriverContext['logger'];

/**
 * Lets one message per key through every `periodMs`; the next one that gets
 * through carries how many were held back (`suppressed`).
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly periodMs = 10_000,
    private readonly maxKeys = 10_000,
  ) {}

  /** Returns undefined when the message should be dropped, else the number suppressed since the last one. */
  allow(key: string): number | undefined {
    const now = this.clock.monotonicMs();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.periodMs) {
      entry.suppressed++;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    // Keys are device/resource names: bounded in practice, but never let the map grow without limit.
    if (!entry && this.last.size >= this.maxKeys) this.last.clear();
    this.last.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }
}
