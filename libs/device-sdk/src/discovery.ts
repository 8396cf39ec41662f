/**
 * Device discovery: asks the driver what it can find, matches each found
 * device against the service's provision watchers, and adds the first match
 * to core-metadata (which announces it back to us like any new device).
 * Devices that already exist, in this or any service, are skipped. Runs on
 * `POST /api/v3/discovery` and, when configured, on a schedule; a run that is
 * asked for while one is going joins it. Each run has a request id (the
 * 202's); `DELETE /api/v3/discovery` (or `.../requestId/{id}`) stops it: the
 * driver's search is told through its signal, and nothing more is added.
 */
import { randomUUID } from 'node:crypto';
import { Clock, ErrorKind, GatewayError, Timer } from '@gw/contracts';
import { DeviceRegistry } from './device-registry';
import type { ProtocolDriver } from './driver/protocol-driver';
import type { SdkLogger } from './log';
import type { MetadataPort } from './metadata-sync';
import { deviceFromDiscovery, matchWatcher } from './watcher-match';

export interface DiscoveryResult {
  /** Devices the driver found. */
  found: number;
  /** Names of the devices added to metadata. */
  added: string[];
  /** Found devices that already exist. */
  existing: number;
  /** Found devices no watcher accepted (or a blocking identifier vetoed). */
  unmatched: number;
  /** Devices metadata refused. */
  failed: number;
  /** Stopped by DELETE /discovery before it finished. */
  cancelled?: boolean;
}

/** The run under way: its request id and how to stop it. */
interface Run {
  requestId: string;
  done: Promise<DiscoveryResult>;
  controller: AbortController;
}

export class Discovery {
  private running?: Run;
  private timer?: Timer;
  private stopped = false;

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly driver: ProtocolDriver,
    private readonly metadata: MetadataPort,
    private readonly clock: Clock,
    private readonly logger: SdkLogger,
  ) {}

  get supported(): boolean {
    return typeof this.driver.discover === 'function';
  }

  /** Refuses at once what cannot run (the REST endpoint answers with it), else starts or joins a run. */
  trigger(requestId: string = randomUUID()): Promise<DiscoveryResult> {
    return this.start(requestId).done;
  }

  /** As trigger, also telling the run's request id (a joined run keeps its own). */
  start(requestId: string = randomUUID()): { requestId: string; done: Promise<DiscoveryResult> } {
    if (!this.supported) throw new GatewayError(ErrorKind.ServiceUnavailable, `the driver of ${this.registry.serviceName} cannot discover devices`);
    if (!this.registry.synced) throw new GatewayError(ErrorKind.ServiceUnavailable, `${this.registry.serviceName} has not loaded its devices yet`);
    if (this.registry.serviceLocked) throw new GatewayError(ErrorKind.ServiceLocked, `device service ${this.registry.serviceName} is LOCKED`);
    if (!this.running) {
      const controller = new AbortController();
      const run: Run = { requestId, controller, done: Promise.resolve() as unknown as Promise<DiscoveryResult> };
      run.done = this.run(controller.signal).finally(() => {
        if (this.running === run) this.running = undefined;
      });
      this.running = run;
    }
    return { requestId: this.running.requestId, done: this.running.done };
  }

  /**
   * Stops the run under way (EdgeX's DELETE /discovery); given a request id,
   * only that run (404 when another or none runs). Nothing running and no id:
   * nothing to do.
   */
  cancel(requestId?: string): void {
    const run = this.running;
    if (requestId !== undefined && run?.requestId !== requestId) {
      throw new GatewayError(ErrorKind.EntityNotFound, `no discovery with request id ${requestId} is running${run ? ` (${run.requestId} is)` : ''}`);
    }
    if (!run) return;
    run.controller.abort();
    this.running = undefined;
    this.logger.info({ requestId: run.requestId }, 'discovery stopped on request');
  }

  /** Runs discovery every `intervalMs` (0: never) from now on. */
  schedule(intervalMs: number): void {
    if (intervalMs <= 0 || !this.supported) return;
    const next = () => {
      if (this.stopped) return;
      this.timer = this.clock.setTimer(() => {
        let run: Promise<unknown> = Promise.resolve();
        try {
          run = this.trigger();
        } catch (err) {
          this.logger.debug({ err: (err as Error).message }, 'scheduled discovery not run');
        }
        run.catch(() => undefined).finally(next);
      }, intervalMs);
    };
    next();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.running?.controller.abort();
  }

  private async run(signal: AbortSignal): Promise<DiscoveryResult> {
    const result: DiscoveryResult = { found: 0, added: [], existing: 0, unmatched: 0, failed: 0 };
    this.logger.info({}, 'discovery started');
    let found;
    try {
      found = await this.driver.discover!(signal);
    } catch (err) {
      if (signal.aborted) return { ...result, cancelled: true };
      this.logger.error({ err: (err as Error).message }, 'discovery failed in the driver');
      throw err;
    }
    result.found = found.length;
    const watchers = this.registry.allWatchers();
    for (const candidate of found) {
      if (signal.aborted) {
        result.cancelled = true;
        break;
      }
      if (this.registry.device(candidate.name) || (await this.existsInMetadata(candidate.name))) {
        result.existing++;
        continue;
      }
      const reasons: string[] = [];
      const watcher = watchers.find((w) => {
        const verdict = matchWatcher(candidate, w);
        if (!verdict.matches) reasons.push(`${w.name}: ${verdict.reason}`);
        return verdict.matches;
      });
      if (!watcher) {
        result.unmatched++;
        this.logger.debug({ device: candidate.name, reasons }, 'discovered device matches no provision watcher');
        continue;
      }
      try {
        await this.metadata.addDevice(deviceFromDiscovery(candidate, watcher, this.registry.serviceName));
        result.added.push(candidate.name);
        this.logger.info({ device: candidate.name, watcher: watcher.name }, 'discovered device added');
      } catch (err) {
        if (GatewayError.is(err, ErrorKind.DuplicateName)) {
          result.existing++;
          continue;
        }
        result.failed++;
        this.logger.warn({ device: candidate.name, watcher: watcher.name, err: (err as Error).message }, 'core-metadata refused a discovered device');
      }
    }
    this.logger.info({ ...result, added: result.added.length }, 'discovery finished');
    return result;
  }

  private async existsInMetadata(name: string): Promise<boolean> {
    try {
      await this.metadata.device(name);
      return true;
    } catch (err) {
      if (GatewayError.is(err, ErrorKind.EntityNotFound)) return false;
      throw err;
    }
  }
}
