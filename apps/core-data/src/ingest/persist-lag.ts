/**
 * How far core-data trails its devices: for every event committed, the time
 * from its origin (the device's timestamp) to its commit, as a Prometheus
 * histogram (gw_core_data_persist_lag_seconds). A backlog in the broker, a slow
 * database or a stalled event loop all show here first. Device clocks ahead
 * of ours count as 0.
 */
import { Histogram, Registry } from 'prom-client';
import type { Event } from '@gw/contracts';
import { LATENCY_BUCKETS } from '@gw/service-kit';

export class PersistLag {
  private readonly histogram = new Histogram({
    name: 'gw_core_data_persist_lag_seconds',
    help: 'Events committed and how long after their origin each was: how far core-data trails its devices',
    buckets: [...LATENCY_BUCKETS, 30, 60, 300],
    registers: [],
  });

  /** After each commit: one observation per event. */
  observe(events: readonly Event[], committedAtMs: number): void {
    for (const event of events) this.histogram.observe(Math.max(0, committedAtMs - event.origin / 1e6) / 1000);
  }

  readonly register = (registry: Registry): void => {
    registry.registerMetric(this.histogram);
  };
}
