/**
 * Reports device twins to edgecore, one ReportDeviceStatus per device with
 * the latest value of each of its twins, at most once per the device's
 * collect cycle (KubeEdge's mappers report twins every collectCycle, default
 * 1 s). Reports go one at a time, each waiting for its turn in edgecore's
 * rate limit (call-budget.ts): values that change meanwhile are coalesced
 * into the next report of their device, so nothing queues up. A failed report
 * is logged, at most every 10 s per device, and dropped: the next value brings
 * the twin up to date.
 */
import type { Clock, Timer } from '@gw/contracts';
import type { ReportDeviceStatusRequest } from './dmi-types';
import type { MapperLogger } from './log';

type Build = () => ReportDeviceStatusRequest | undefined;

export class TwinReporter {
  /** Devices whose report may go now, with how to make it. */
  private readonly due = new Map<string, Build>();
  /** Devices waiting for their report cycle to pass. */
  private readonly waiting = new Map<string, { build: Build; timer: Timer }>();
  private readonly lastSent = new Map<string, number>();
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly lastWarned = new Map<string, number>();
  private counters = { reported: 0, failed: 0 };

  constructor(
    private readonly send: (request: ReportDeviceStatusRequest) => Promise<void>,
    private readonly logger: MapperLogger,
    private readonly clock: Clock,
  ) {}

  /** Marks a device for a report, sent no sooner than `cycleMs` after its last; `build` makes it when its turn comes. */
  touch(deviceId: string, build: Build, cycleMs: number): void {
    const waiting = this.waiting.get(deviceId);
    if (waiting) {
      waiting.build = build;
      return;
    }
    const wait = (this.lastSent.get(deviceId) ?? -Infinity) + cycleMs - this.clock.monotonicMs();
    if (wait > 0 && !this.due.has(deviceId)) {
      const entry = {
        build,
        timer: this.clock.setTimer(() => {
          this.waiting.delete(deviceId);
          this.makeDue(deviceId, entry.build);
        }, wait),
      };
      this.waiting.set(deviceId, entry);
      return;
    }
    this.makeDue(deviceId, build);
  }

  forget(deviceId: string): void {
    this.due.delete(deviceId);
    this.waiting.get(deviceId)?.timer.cancel();
    this.waiting.delete(deviceId);
    this.lastSent.delete(deviceId);
    this.lastWarned.delete(deviceId);
  }

  close(): void {
    for (const id of [...this.waiting.keys()]) this.forget(id);
    this.due.clear();
  }

  stats(): { reported: number; failed: number; pending: number } {
    return { ...this.counters, pending: this.due.size + this.waiting.size };
  }

  /** Resolves when no report is being sent (shutdown, tests). */
  drained(): Promise<void> {
    return this.idle;
  }

  private makeDue(deviceId: string, build: Build): void {
    this.due.set(deviceId, build);
    if (!this.running) {
      this.running = true;
      this.idle = this.drain();
    }
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.due.entries().next(); !next.done; next = this.due.entries().next()) {
        const [deviceId, build] = next.value;
        this.due.delete(deviceId);
        const request = build();
        if (!request || (request.reportedDevice.twins ?? []).length === 0) continue;
        this.lastSent.set(deviceId, this.clock.monotonicMs());
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
