/**
 * Commands core-command ran (REST and bus callers alike) for Prometheus: one
 * histogram by method and answer status, from the request to the device
 * service's answer (metadata lookup included); its _count is the number of
 * commands. 504 = the device service did not answer in time, 503 = the bus
 * did not take the request, 423 = locked, 404 = unknown device or command.
 */
import { Histogram, Registry } from 'prom-client';
import { Clock, GatewayError, systemClock } from '@gw/contracts';
import { LATENCY_BUCKETS, statusForKind } from '@gw/service-kit';
import type { CommandMethod } from './query-params';

export class CommandMetrics {
  private readonly duration = new Histogram({
    name: 'gw_core_command_duration_seconds',
    help: 'Commands by method (get, set) and answer status, and how long each took until answered',
    labelNames: ['method', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [],
  });

  constructor(private readonly clock: Clock = systemClock) {}

  /** Runs one command, timing it and counting its outcome. */
  async time<T>(method: CommandMethod, command: () => Promise<T>): Promise<T> {
    const started = this.clock.monotonicMs();
    let status = 200;
    try {
      return await command();
    } catch (err) {
      status = GatewayError.is(err) ? statusForKind(err.kind) : 500;
      throw err;
    } finally {
      this.duration.observe({ method, status }, (this.clock.monotonicMs() - started) / 1000);
    }
  }

  /** For createServiceApp's `metrics` option. */
  readonly register = (registry: Registry): void => registry.registerMetric(this.duration);
}
