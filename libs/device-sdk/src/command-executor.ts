/**
 * The command pipeline shared by REST, the bus, and autoEvents: find the
 * device and the command (a deviceCommand or a plain deviceResource), check
 * admin state and readWrite, call the driver once for all resources involved,
 * turn raw values into readings (transforms, assertion, mappings) or SET
 * parameters into raw values (mappings, parsing, min/max, reverse transforms),
 * and tell the operating-state tracker how the device answered.
 */
import { Clock, Device, ErrorKind, Event, GatewayError, toGatewayError, withTimeout } from '@gw/contracts';
import { NO_READ_OBSERVER, ReadObserver } from './device-metrics';
import { DeviceRegistry } from './device-registry';
import type { ProtocolDriver, ReadResult, WriteRequest } from './driver/protocol-driver';
import { buildEvent, EventPublisher } from './event-publisher';
import { OperatingStateTracker } from './operating-state';
import { ProfileView, Source } from './profile-view';
import { makeReading } from './readings';
import { mapForWrite, ReadingContext, toWriteValue } from './values';
import { SetOptions, wantsReadBack, writtenEvent } from './write-report';

export type { SetOptions };

export interface GetOptions {
  /** Also publish the event on the bus (`ds-pushevent`, default false). */
  pushEvent?: boolean;
  /** Return the event to the caller (`ds-returnevent`, default true). */
  returnEvent?: boolean;
}

export interface SourceOutcome {
  source: Source;
  event?: Event;
  error?: GatewayError;
}

export interface Target {
  device: Device;
  view: ProfileView;
  source: Source;
}

/** No answer from a driver within this long is a Timeout, so one hung call cannot block a device for ever. */
export const DEFAULT_DRIVER_TIMEOUT_MS = 30_000;

export class CommandExecutor {
  constructor(
    private readonly registry: DeviceRegistry,
    private readonly driver: ProtocolDriver,
    private readonly tracker: OperatingStateTracker,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
    private readonly driverTimeoutMs = DEFAULT_DRIVER_TIMEOUT_MS,
    private readonly observer: ReadObserver = NO_READ_OBSERVER,
  ) {}

  async get(deviceName: string, commandName: string, options: GetOptions = {}): Promise<Event | undefined> {
    const { device, view, source } = this.resolve(deviceName, commandName);
    if (source.readProblem) throw new GatewayError(ErrorKind.NotAllowed, `GET ${deviceName}/${commandName}: ${source.readProblem}`);
    const [outcome] = await this.readSources(device, view, [source]);
    if (outcome.error) throw outcome.error;
    const event = outcome.event!;
    if (options.pushEvent) this.publisher.publish(event);
    return options.returnEvent === false ? undefined : event;
  }

  /**
   * Writes, then (unless `pushEvent` is false) publishes the event of the
   * write before answering: read back when the source can be read, else as
   * written (write-report.ts). A read-back that fails does not fail the SET:
   * the driver took the write, so the written values are published instead.
   */
  async set(deviceName: string, commandName: string, params: unknown, options: SetOptions = {}): Promise<void> {
    const { device, view, source } = this.resolve(deviceName, commandName);
    if (source.writeProblem) throw new GatewayError(ErrorKind.NotAllowed, `SET ${deviceName}/${commandName}: ${source.writeProblem}`);
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new GatewayError(ErrorKind.ContractInvalid, `SET ${deviceName}/${commandName}: expected a JSON object of resource names and values`);
    }
    const settings = params as Record<string, unknown>;
    const known = new Set(source.operations.map((op) => op.resource.name));
    const unknown = Object.keys(settings).filter((key) => !known.has(key));
    if (unknown.length > 0) {
      // EdgeX ignores them; a typo silently doing nothing is worse than a clear 400.
      throw new GatewayError(
        ErrorKind.ContractInvalid,
        `SET ${deviceName}/${commandName}: ${unknown.map((k) => `"${k}"`).join(', ')} not among its resources (${[...known].join(', ')})`,
      );
    }
    const requests: WriteRequest[] = source.operations.map((op) => {
      let input = settings[op.resource.name] ?? op.defaultValue;
      if (input === undefined) {
        throw new GatewayError(
          ErrorKind.ContractInvalid,
          `SET ${deviceName}/${commandName}: no value for resource "${op.resource.name}", and it has no defaultValue`,
        );
      }
      if (op.mappings && typeof input === 'string') input = mapForWrite(input, op.mappings);
      return { ...op.request, value: toWriteValue(input, op.resource, device.name) };
    });
    try {
      await this.callDriver(() => this.driver.write(device, view.profile, requests), `write to ${device.name}`);
    } catch (err) {
      this.tracker.failed(device.name, err);
      throw toGatewayError(err);
    }
    this.tracker.succeeded(device.name);
    if (options.pushEvent === false) return;
    this.publisher.publish(await this.eventAfterWrite(device, view, source, requests));
  }

  private async eventAfterWrite(device: Device, view: ProfileView, source: Source, written: WriteRequest[]): Promise<Event> {
    if (wantsReadBack(source)) {
      const outcome = await this.readSources(device, view, [source]).then(([o]) => o, () => undefined);
      if (outcome?.event) return outcome.event;
    }
    return writtenEvent(device, view, source, written.map((w) => w.value), this.clock.nowNs());
  }

  /**
   * Reads every resource of `sources` with ONE driver.read (so a driver can
   * coalesce them) and returns one event per source. A driver failure rejects;
   * a value that cannot be turned into a reading fails only its source. The
   * observer hears how long it took and whether anything failed.
   */
  async readSources(device: Device, view: ProfileView, sources: Source[]): Promise<SourceOutcome[]> {
    const started = this.clock.monotonicMs();
    let failed = true;
    try {
      const outcomes = await this.readOnce(device, view, sources);
      failed = outcomes.some((o) => o.error !== undefined);
      return outcomes;
    } finally {
      this.observer.read(device.name, this.clock.monotonicMs() - started, failed);
    }
  }

  private async readOnce(device: Device, view: ProfileView, sources: Source[]): Promise<SourceOutcome[]> {
    const requests = sources.length === 1 ? sources[0].requests : sources.flatMap((s) => s.requests);
    let results: ReadResult[];
    try {
      results = await this.callDriver(() => this.driver.read(device, view.profile, requests), `read from ${device.name}`);
    } catch (err) {
      this.tracker.failed(device.name, err);
      throw toGatewayError(err);
    }
    if (!Array.isArray(results) || results.length !== requests.length) {
      throw new GatewayError(
        ErrorKind.Unknown,
        `device ${device.name}: the driver returned ${Array.isArray(results) ? results.length : 'no'} values for ${requests.length} resources`,
      );
    }
    const origin = this.clock.nowNs();
    const ctx: ReadingContext = { deviceName: device.name, profileName: view.name, origin };
    const assertionFailures: string[] = [];
    let offset = 0;
    const outcomes = sources.map((source): SourceOutcome => {
      const start = offset;
      offset += source.operations.length;
      const failuresBefore = assertionFailures.length;
      try {
        const readings = source.operations.map((op, i) => {
          const result = results[start + i];
          const readingCtx = result.origin === undefined ? ctx : { ...ctx, origin: result.origin };
          return makeReading(result.value, op.resource, op.mappings, readingCtx, assertionFailures);
        });
        if (assertionFailures.length > failuresBefore) {
          return { source, error: new GatewayError(ErrorKind.Unknown, assertionFailures[failuresBefore]) };
        }
        return { source, event: buildEvent(device.name, view.name, source.name, origin, readings) };
      } catch (err) {
        return { source, error: toGatewayError(err) };
      }
    });
    if (assertionFailures.length > 0) this.tracker.assertionFailed(device.name, assertionFailures[0]);
    else this.tracker.succeeded(device.name);
    return outcomes;
  }

  /**
   * EdgeX's order of checks: service synchronised and unlocked, device known
   * and unlocked and with a profile, then the command.
   */
  resolve(deviceName: string, commandName: string): Target {
    if (!this.registry.synced) {
      throw new GatewayError(ErrorKind.ServiceUnavailable, `${this.registry.serviceName} has not loaded its devices from core-metadata yet`);
    }
    if (this.registry.serviceLocked) throw new GatewayError(ErrorKind.ServiceLocked, `device service ${this.registry.serviceName} is LOCKED`);
    const device = this.registry.device(deviceName);
    if (!device) {
      throw new GatewayError(ErrorKind.EntityNotFound, `device ${deviceName} does not exist in device service ${this.registry.serviceName}`);
    }
    if (device.adminState === 'LOCKED') throw new GatewayError(ErrorKind.ServiceLocked, `device ${deviceName} is LOCKED`);
    const view = this.registry.viewOf(device);
    if (!view) {
      throw new GatewayError(
        ErrorKind.ServiceLocked,
        device.profileName
          ? `device ${deviceName}: profile ${device.profileName} is not loaded`
          : `device ${deviceName} has no profile`,
      );
    }
    const source = view.source(commandName);
    if (!source) {
      throw new GatewayError(ErrorKind.EntityNotFound, `device ${deviceName}: profile ${view.name} has no command or resource named ${commandName}`);
    }
    return { device, view, source };
  }

  /** A driver call bounded by driverTimeoutMs; a driver that throws instead of rejecting fails the same way. */
  private callDriver<T>(call: () => Promise<T>, what: string): Promise<T> {
    return withTimeout(new Promise<T>((resolve) => resolve(call())), this.driverTimeoutMs, `driver ${what}`, { clock: this.clock });
  }
}
