/**
 * Reports device twins to edgecore, one ReportDeviceStatus per device with
 * the latest value of each of its twins. Reports go one at a time: values
 * that change while one is in flight are coalesced into the next report of
 * their device (edgecore rate-limits DMI calls; a device reading every 100
 * ms must not queue up reports). A failed report is logged, at most every
 * 10 s per device, and dropped: the next value brings the twin up to date.
 */
import type { Clock } from '@gw/contracts';
import type { ReportDeviceStatusRequest } from './dmi-types';
import type { MapperLogger } from './log';

export class TwinReporter {
  private readonly dirty = new Map<string, () => ReportDeviceStatusRequest | undefined>();
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly lastWarned = new Map<string, number>();
  private counters = { reported: 0, failed: 0 };

  constructor(
    private readonly send: (request: ReportDeviceStatusRequest) => Promise<void>,
    private readonly logger: MapperLogger,
    private readonly clock: Clock,
  ) {}

  /** Marks a device for a report; `build` makes it when its turn comes (with the values of then). */
  touch(deviceId: string, build: () => ReportDeviceStatusRequest | undefined): void {
    this.dirty.set(deviceId, build);
    if (!this.running) {
      this.running = true;
      this.idle = this.drain();
    }
  }

  forget(deviceId: string): void {
    this.dirty.delete(deviceId);
    this.lastWarned.delete(deviceId);
  }

  stats(): { reported: number; failed: number; pending: number } {
    return { ...this.counters, pending: this.dirty.size };
  }

  /** Resolves when nothing is waiting (shutdown, tests). */
  drained(): Promise<void> {
    return this.idle;
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.dirty.entries().next(); !next.done; next = this.dirty.entries().next()) {
        const [deviceId, build] = next.value;
        this.dirty.delete(deviceId);
        const request = build();
        if (!request || (request.reportedDevice.twins ?? []).length === 0) continue;
        try {
          await this.send(request);
          this.counters.reported++;
        } catch (err) {
          this.counters.failed++;
          const now = this.clock.monotonicMs();
          if (now - (this.lastWarned.get(deviceId) ?? -Infinity) >= 10_000) {
            this.lastWarned.set(deviceId, now);
            this.logger.warn({ device: deviceId, err: (err as Error).message, failed: this.counters.failed }, 'device twins not reported to edgecore');
          }
        }
      }
    } finally {
      this.running = false;
    }
  }
}
