/**
 * The push path: values a device reports on its own (OPC UA monitored items,
 * BLE notifications, ZigBee reports) go through the same readings pipeline as
 * polled ones (transforms, assertion, mappings of the source's
 * resourceOperations), the onChange filter when an onChange autoEvent covers
 * the source, and the same publisher. Runs synchronously inside the driver's
 * callback and never throws into it: problems are logged and counted.
 */
import { Clock, Reading } from '@gw/contracts';
import { DeviceRegistry } from './device-registry';
import type { AsyncValues } from './driver/protocol-driver';
import { buildEvent, EventPublisher } from './event-publisher';
import { LogThrottle, SdkLogger } from './log';
import type { OnChangeFilter } from './on-change-filter';
import type { OperatingStateTracker } from './operating-state';
import { makeReading } from './readings';
import type { ReadingContext } from './values';

export interface PushStats {
  /** Events made from pushed values and handed to the publisher. */
  accepted: number;
  /** Pushes dropped: unknown or locked device, unknown resource, bad value, or unchanged under onChange. */
  dropped: number;
}

export class PushHandler {
  private readonly counters: PushStats = { accepted: 0, dropped: 0 };
  private readonly throttle: LogThrottle;

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly tracker: OperatingStateTracker,
    private readonly onChange: OnChangeFilter,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
    private readonly logger: SdkLogger,
  ) {
    this.throttle = new LogThrottle(clock);
  }

  stats(): PushStats {
    return { ...this.counters };
  }

  readonly push = (pushed: AsyncValues): void => {
    try {
      this.handle(pushed);
    } catch (err) {
      this.drop(pushed, err instanceof Error ? err.message : String(err));
    }
  };

  private handle(pushed: AsyncValues): void {
    const device = this.registry.device(pushed.deviceName);
    if (!device) return this.drop(pushed, `device ${pushed.deviceName} is not a device of this service`);
    if (device.adminState === 'LOCKED' || this.registry.serviceLocked) return this.drop(pushed, `device ${device.name} is LOCKED`, 'debug');
    const view = this.registry.viewOf(device);
    if (!view) return this.drop(pushed, `device ${device.name} has no loaded profile`);
    if (pushed.values.length === 0) return;
    const source = view.source(pushed.sourceName);
    if (!source) return this.drop(pushed, `profile ${view.name} has no command or resource named ${pushed.sourceName}`);
    const origin = this.clock.nowNs();
    const ctx: ReadingContext = { deviceName: device.name, profileName: view.name, origin };
    const readings: Reading[] = [];
    const assertionFailures: string[] = [];
    for (const { resourceName, value, origin: valueOrigin } of pushed.values) {
      const op = source.operations.find((o) => o.resource.name === resourceName);
      const resource = op?.resource ?? view.resource(resourceName);
      if (!resource) return this.drop(pushed, `profile ${view.name} has no resource named ${resourceName}`);
      const readingCtx = valueOrigin === undefined ? ctx : { ...ctx, origin: valueOrigin };
      readings.push(makeReading(value, resource, op?.mappings, readingCtx, assertionFailures));
    }
    if (assertionFailures.length > 0) {
      this.tracker.assertionFailed(device.name, assertionFailures[0]);
      return this.drop(pushed, assertionFailures[0]);
    }
    this.tracker.succeeded(device.name);
    const onChange = device.autoEvents?.find((a) => a.sourceName === pushed.sourceName && a.onChange);
    if (onChange && !this.onChange.admit(device.name, pushed.sourceName, readings, onChange.onChangeThreshold)) {
      this.counters.dropped++;
      return;
    }
    this.counters.accepted++;
    this.publisher.publish(buildEvent(device.name, view.name, pushed.sourceName, origin, readings));
  }

  private drop(pushed: AsyncValues, reason: string, level: 'debug' | 'warn' = 'warn'): void {
    this.counters.dropped++;
    const suppressed = this.throttle.allow(`${pushed.deviceName}/${pushed.sourceName}`);
    if (suppressed === undefined) return;
    this.logger[level]({ device: pushed.deviceName, sourceName: pushed.sourceName, suppressed }, `pushed values dropped: ${reason}`);
  }
}
