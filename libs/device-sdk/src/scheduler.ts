/**
 * autoEvents. Each device has one schedule and one timer. Every autoEvent is
 * due at anchor + k * interval on the monotonic clock, so ticks never drift
 * however long reads take; autoEvents due at the same moment (equal intervals,
 * or 1s and 2s every other second) are read with ONE driver.read. While a
 * device's read is still running, ticks that fall due are skipped and counted
 * rather than queued, so a slow device never piles up work; ticks missed
 * outright (the process was stalled) are skipped and counted too.
 *
 * Each device's grid starts at its own phase within its shortest interval
 * (a hash of its name), so a thousand devices with a 100 ms autoEvent are
 * spread over those 100 ms instead of all being read in one burst; the first
 * reading comes within one interval of the start.
 */
import { AutoEvent, Clock, Device, DeviceProfile, parseDuration, Timer } from '@gw/contracts';
import type { CommandExecutor } from './command-executor';
import { NO_READ_OBSERVER, ReadObserver } from './device-metrics';
import { DeviceRegistry } from './device-registry';
import type { EventPublisher } from './event-publisher';
import { LogThrottle, SdkLogger } from './log';
import type { OnChangeFilter } from './on-change-filter';
import type { ProfileView, Source } from './profile-view';

export interface SchedulerStats {
  /** Devices with at least one running autoEvent. */
  devices: number;
  /** autoEvents the driver watches itself (not polled; their values come by the push path). */
  monitored: number;
  /** Driver reads started by autoEvents. */
  reads: number;
  /** autoEvent ticks not run because the device's previous read was still running, or the process was stalled. */
  skipped: number;
  /** Reads (or single sources) that failed. */
  failures: number;
  /** onChange events not published because nothing changed. */
  unchanged: number;
}

interface Entry {
  autoEvent: AutoEvent;
  source: Source;
  intervalMs: number;
  /** Ticks done since the anchor; the next is due at anchor + (k + 1) * interval. */
  k: number;
  nextDue: number;
}

type Counters = Omit<SchedulerStats, 'devices' | 'monitored'>;

/** Where in [0, intervalMs) a device's grid starts. */
export type PhaseOf = (deviceName: string, intervalMs: number) => number;

/** FNV-1a of the name: stable across restarts, well spread for names such as D1..D5000. */
export const hashedPhase: PhaseOf = (deviceName, intervalMs) => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < deviceName.length; i++) hash = Math.imul(hash ^ deviceName.charCodeAt(i), 0x01000193);
  return ((hash >>> 0) / 2 ** 32) * intervalMs;
};

export interface SchedulerOptions {
  /** Off: devices are still served on command, but nothing is polled (default on). */
  enabled?: boolean;
  /** Default hashedPhase; tests pass `(_, interval) => interval` for reads at exact multiples of the interval. */
  phaseOf?: PhaseOf;
  /** Hears of skipped ticks per device. */
  observer?: ReadObserver;
  /**
   * Whether the driver watches an autoEvent itself (ProtocolDriver.monitorsAutoEvent):
   * such autoEvents are left out of the device's schedule, their values come by the push path.
   */
  monitoredByDriver?: (device: Device, profile: DeviceProfile, autoEvent: AutoEvent) => boolean;
}

class DeviceSchedule {
  private timer?: Timer;
  private busy = false;
  private stopped = false;
  private readonly anchor: number;

  constructor(
    readonly deviceName: string,
    readonly view: ProfileView,
    readonly autoEventsKey: string,
    private readonly entries: Entry[],
    private readonly owner: AutoEventScheduler,
  ) {
    const shortest = Math.min(...entries.map((e) => e.intervalMs));
    this.anchor = owner.clock.monotonicMs() + owner.phaseOf(deviceName, shortest) - shortest;
    for (const e of entries) e.nextDue = this.anchor + e.intervalMs;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(): void {
    if (this.stopped) return;
    let next = Infinity;
    for (const e of this.entries) if (e.nextDue < next) next = e.nextDue;
    this.timer = this.owner.clock.setTimer(() => this.fire(), next - this.owner.clock.monotonicMs());
  }

  private fire(): void {
    if (this.stopped) return;
    const now = this.owner.clock.monotonicMs();
    const due: Entry[] = [];
    for (const e of this.entries) {
      if (e.nextDue > now) continue;
      due.push(e);
      const missed = Math.floor((now - e.nextDue) / e.intervalMs);
      if (missed > 0) this.owner.skipped(this.deviceName, missed);
      e.k += missed + 1;
      e.nextDue = this.anchor + (e.k + 1) * e.intervalMs;
    }
    if (due.length > 0) {
      if (this.busy) {
        this.owner.skipped(this.deviceName, due.length);
        this.owner.logSlow(this.deviceName);
      } else {
        this.busy = true;
        this.owner
          .run(this, due)
          .catch((err: unknown) => this.owner.logFailure(this.deviceName, 'autoEvent', err))
          .finally(() => (this.busy = false));
      }
    }
    this.arm();
  }

  get active(): boolean {
    return !this.stopped;
  }
}

export class AutoEventScheduler {
  readonly counters: Counters = { reads: 0, skipped: 0, failures: 0, unchanged: 0 };
  private readonly schedules = new Map<string, DeviceSchedule>();
  private readonly throttle: LogThrottle;
  private running = false;
  private readonly enabled: boolean;
  readonly phaseOf: PhaseOf;
  private readonly observer: ReadObserver;
  private readonly monitoredByDriver?: SchedulerOptions['monitoredByDriver'];
  /** Per device, how many of its autoEvents the driver watches itself. */
  private readonly monitored = new Map<string, number>();

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly executor: CommandExecutor,
    private readonly publisher: EventPublisher,
    private readonly onChange: OnChangeFilter,
    readonly clock: Clock,
    private readonly logger: SdkLogger,
    options: SchedulerOptions = {},
  ) {
    this.throttle = new LogThrottle(clock);
    this.enabled = options.enabled ?? true;
    this.phaseOf = options.phaseOf ?? hashedPhase;
    this.observer = options.observer ?? NO_READ_OBSERVER;
    this.monitoredByDriver = options.monitoredByDriver;
  }

  stats(): SchedulerStats {
    let monitored = 0;
    for (const n of this.monitored.values()) monitored += n;
    return { devices: this.schedules.size, monitored, ...this.counters };
  }

  /** Starts scheduling (after the first load from metadata). */
  start(): void {
    this.running = true;
    this.syncAll();
  }

  stop(): void {
    this.running = false;
    for (const schedule of this.schedules.values()) schedule.stop();
    this.schedules.clear();
    this.monitored.clear();
  }

  syncAll(): void {
    for (const device of this.registry.allDevices()) this.sync(device.name);
    for (const name of [...this.schedules.keys()]) if (!this.registry.device(name)) this.sync(name);
  }

  /**
   * Brings one device's schedule in line with the registry: started, stopped,
   * or rebuilt when its autoEvents, profile or admin state changed. Other
   * changes (operatingState, labels) keep the running schedule and its phase.
   */
  sync(deviceName: string): void {
    const device = this.registry.device(deviceName);
    const view = device && this.registry.viewOf(device);
    const current = this.schedules.get(deviceName);
    const wanted = this.running && this.enabled && device && view && this.runnable(device);
    if (!wanted) {
      this.monitored.delete(deviceName);
      if (current) {
        current.stop();
        this.schedules.delete(deviceName);
        this.logger.debug({ device: deviceName }, 'autoEvents stopped');
      }
      return;
    }
    const key = JSON.stringify(device.autoEvents);
    if (current && current.view === view && current.autoEventsKey === key) return;
    current?.stop();
    const entries = this.entriesFor(device, view);
    if (entries.length === 0) {
      this.schedules.delete(deviceName);
      return;
    }
    this.schedules.set(deviceName, new DeviceSchedule(deviceName, view, key, entries, this));
    this.logger.debug(
      { device: deviceName, autoEvents: entries.map((e) => `${e.source.name}@${e.autoEvent.interval}`) },
      current ? 'autoEvents rescheduled' : 'autoEvents started',
    );
  }

  /** Reads what is due for one device and publishes the events; never throws. */
  async run(schedule: DeviceSchedule, due: Entry[]): Promise<void> {
    const device = this.registry.device(schedule.deviceName);
    if (!device || !this.runnable(device)) return;
    this.counters.reads++;
    let outcomes;
    try {
      outcomes = await this.executor.readSources(device, schedule.view, due.map((e) => e.source));
    } catch (err) {
      this.counters.failures++;
      this.logFailure(device.name, due.map((e) => e.source.name).join(','), err);
      return;
    }
    if (!schedule.active) return; // stopped (locked, removed) while reading
    for (let i = 0; i < due.length; i++) {
      const { event, error, source } = outcomes[i];
      const { autoEvent } = due[i];
      if (error || !event) {
        this.counters.failures++;
        this.logFailure(device.name, source.name, error);
        continue;
      }
      if (autoEvent.onChange && !this.onChange.admit(device.name, source.name, event.readings, autoEvent.onChangeThreshold)) {
        this.counters.unchanged++;
        continue;
      }
      this.publisher.publish(event);
    }
  }

  skipped(deviceName: string, ticks: number): void {
    this.counters.skipped += ticks;
    this.observer.skipped(deviceName, ticks);
  }

  logSlow(deviceName: string): void {
    const suppressed = this.throttle.allow(`slow:${deviceName}`);
    if (suppressed === undefined) return;
    this.logger.warn(
      { device: deviceName, skipped: this.counters.skipped, suppressed },
      `autoEvent tick skipped: the previous read of ${deviceName} is still running (device slower than its interval)`,
    );
  }

  private runnable(device: Device): boolean {
    return device.adminState !== 'LOCKED' && !this.registry.serviceLocked && (device.autoEvents?.length ?? 0) > 0;
  }

  private entriesFor(device: Device, view: ProfileView): Entry[] {
    const entries: Entry[] = [];
    let monitored = 0;
    for (const autoEvent of device.autoEvents ?? []) {
      if (this.monitoredByDriver?.(device, view.profile, autoEvent)) {
        monitored++;
        continue;
      }
      const source = view.source(autoEvent.sourceName);
      const problem = !source
        ? `profile ${view.name} has no command or resource named ${autoEvent.sourceName}`
        : source.readProblem;
      if (problem || !source) {
        this.logger.warn({ device: device.name, sourceName: autoEvent.sourceName }, `autoEvent ignored: ${problem}`);
        continue;
      }
      const intervalMs = Math.max(1, Math.round(parseDuration(autoEvent.interval)));
      entries.push({ autoEvent, source, intervalMs, k: 0, nextDue: 0 });
    }
    if (monitored > 0) this.monitored.set(device.name, monitored);
    else this.monitored.delete(device.name);
    return entries;
  }

  logFailure(deviceName: string, sourceName: string, err: unknown): void {
    const suppressed = this.throttle.allow(`fail:${deviceName}`);
    if (suppressed === undefined) return;
    this.logger.warn(
      { device: deviceName, sourceName, err: err instanceof Error ? err.message : String(err), failures: this.counters.failures, suppressed },
      'autoEvent read failed',
    );
  }
}
