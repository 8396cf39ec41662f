/**
 * A device service's figures for Prometheus (GET /api/v3/metrics). Per
 * device: driver reads and how long they took (autoEvents and commands),
 * failed reads, skipped autoEvent ticks. The device label is bounded by
 * core-metadata: only devices the service holds are counted, and a device's
 * series go when it is removed, moved or renamed. Service-wide: events
 * published, failed and dropped, pushed values, devices held, all read at
 * scrape time from the components' stats().
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { MetricSet, scrapedCounter, scrapedGauge } from '@gw/service-kit';
import type { PublisherStats } from './event-publisher';
import type { PushStats } from './push-handler';
import type { SchedulerStats } from './scheduler';

/** What the SDK tells about each device's reads. */
export interface ReadObserver {
  /** A driver read ended after `ms`; failed when the driver failed or a value did not make a reading. */
  read(deviceName: string, ms: number, failed: boolean): void;
  /** autoEvent ticks of the device not run: its previous read was still running, or the process was stalled. */
  skipped(deviceName: string, ticks: number): void;
  /** The device is gone from the service: forget it. */
  forget(deviceName: string): void;
}

export const NO_READ_OBSERVER: ReadObserver = { read: () => undefined, skipped: () => undefined, forget: () => undefined };

/** Reads take from well under a millisecond (virtual) to the driver timeout (30 s); few buckets, as each device has its own. */
const READ_BUCKETS = [0.002, 0.01, 0.05, 0.25, 1, 5, 30];

export class DeviceMetrics implements ReadObserver {
  private readonly duration = new Histogram({
    name: 'gw_device_read_duration_seconds',
    help: 'Driver reads per device (autoEvents and commands) and how long each took; _count is the number of reads',
    labelNames: ['device'],
    buckets: READ_BUCKETS,
    registers: [],
  });
  private readonly errors = new Counter({
    name: 'gw_device_read_errors_total',
    help: 'Reads per device that failed (the driver failed or timed out, or a value did not make a reading)',
    labelNames: ['device'],
    registers: [],
  });
  private readonly skippedTicks = new Counter({
    name: 'gw_device_autoevent_skipped_ticks_total',
    help: "autoEvent ticks per device not run because the device's previous read was still running (or the process stalled)",
    labelNames: ['device'],
    registers: [],
  });
  /** Devices with series: their counters start at 0, so a rate is defined before the first error. */
  private readonly tracked = new Set<string>();

  /** `holds`: whether the service holds the device now (a read may end after its device was removed). */
  constructor(private readonly holds: (deviceName: string) => boolean) {}

  read(deviceName: string, ms: number, failed: boolean): void {
    if (!this.track(deviceName)) return;
    const labels = { device: deviceName };
    this.duration.observe(labels, ms / 1000);
    if (failed) this.errors.inc(labels);
  }

  skipped(deviceName: string, ticks: number): void {
    if (this.track(deviceName)) this.skippedTicks.inc({ device: deviceName }, ticks);
  }

  forget(deviceName: string): void {
    if (!this.tracked.delete(deviceName)) return;
    const labels = { device: deviceName };
    this.duration.remove(labels);
    this.errors.remove(labels);
    this.skippedTicks.remove(labels);
  }

  private track(deviceName: string): boolean {
    if (this.tracked.has(deviceName)) return true;
    if (!this.holds(deviceName)) return false;
    this.tracked.add(deviceName);
    const labels = { device: deviceName };
    this.errors.inc(labels, 0);
    this.skippedTicks.inc(labels, 0);
    return true;
  }

  readonly register = (registry: Registry): void => {
    for (const metric of [this.duration, this.errors, this.skippedTicks]) registry.registerMetric(metric);
  };
}

/** The service-wide figures, read at each scrape. */
export interface DeviceServiceFigures {
  devices(): number;
  autoEvents(): SchedulerStats;
  events(): PublisherStats;
  push(): PushStats;
}

export function deviceServiceMetrics(figures: DeviceServiceFigures): MetricSet {
  return (registry) => {
    const events = (name: string, help: string, pick: (s: PublisherStats) => number) =>
      scrapedCounter(registry, { name, help }, () => pick(figures.events()));
    events('gw_device_events_published_total', 'Events the bus accepted', (s) => s.published);
    events('gw_device_events_failed_total', 'Events the bus refused (logged)', (s) => s.failed);
    events('gw_device_events_dropped_total', 'Events dropped because too many were waiting for the bus', (s) => s.dropped);
    scrapedGauge(registry, { name: 'gw_device_events_in_flight', help: 'Events waiting for the bus' }, () => figures.events().inFlight);
    scrapedCounter(
      registry,
      { name: 'gw_device_pushed_events_total', help: 'Values devices reported on their own, by outcome (accepted, dropped)', labelNames: ['outcome'] },
      (emit) => {
        const push = figures.push();
        emit(push.accepted, { outcome: 'accepted' });
        emit(push.dropped, { outcome: 'dropped' });
      },
    );
    scrapedCounter(
      registry,
      { name: 'gw_device_autoevent_unchanged_total', help: 'onChange autoEvent readings not published because nothing changed' },
      () => figures.autoEvents().unchanged,
    );
    scrapedGauge(registry, { name: 'gw_device_devices', help: 'Devices the service holds' }, () => figures.devices());
    scrapedGauge(registry, { name: 'gw_device_autoevent_devices', help: 'Devices with running autoEvents' }, () => figures.autoEvents().devices);
    scrapedGauge(
      registry,
      { name: 'gw_device_autoevent_monitored', help: 'autoEvents the driver watches itself (monitored items, notifications), not polled' },
      () => figures.autoEvents().monitored,
    );
  };
}
