/**
 * Notifications -> the SDK's push path, one AsyncValues per source: the
 * values of one publish (and whatever else arrives in the same event-loop
 * turn) for the same device and source become one push, carrying every
 * resource of the source that has a value (the last value of those that did
 * not change), so each becomes one event.
 *
 * Duplicates: only the first notification of a monitored item just created
 * (after a reconnect, an unlock, a profile change) is compared with the last
 * one of the same resource, and dropped when it repeats it exactly (source
 * timestamp, status and value): that is the server's initial value of an
 * item it already reported. Any other notification is a change the server
 * saw and is kept, even if the server reuses or never advances its source
 * timestamps.
 *
 * A Bad notification removes the resource's value (counted, logged at debug)
 * and makes no event: the source's next events go without it rather than
 * repeating a stale value as current. A resource whose item the server refused is also left out, so the
 * rest of its source still publishes.
 */
import { systemClock } from '@gw/contracts';
import { AsyncValues, LogThrottle, RawValue } from '@gw/device-sdk/driver';
import { DataValue, sameVariant } from 'node-opcua-client';
import { decodeVariant } from './codec';
import type { MonitorSpec, NotificationSink } from './monitor';
import type { Logger } from './session-pool';
import { isBad } from './status';

interface SourceState {
  deviceName: string;
  sourceName: string;
  resources: readonly string[];
  latest: Map<string, { spec: MonitorSpec; dataValue: DataValue }>;
  /** Resources with no value to give: a Bad status, or an item the server refused. */
  missing: Set<string>;
}

export interface CoalescerStats {
  notifications: number;
  duplicates: number;
  bad: number;
  /** Items the server refused (their resources are left out of their source's events). */
  unavailable: number;
  decodeFailures: number;
  pushes: number;
}

/** Device time of a DataValue in ns since the epoch (source timestamp, else server timestamp). */
export function originOf(dv: DataValue): number | undefined {
  const at = dv.sourceTimestamp ?? dv.serverTimestamp;
  if (!at) return undefined;
  const pico = dv.sourceTimestamp ? dv.sourcePicoseconds : dv.serverPicoseconds;
  return at.getTime() * 1e6 + Math.floor((pico ?? 0) / 1000);
}

/** Whether `b` repeats `a`: same source timestamp, status and value (no source timestamp: never). */
export function repeats(a: DataValue, b: DataValue): boolean {
  if (!a.sourceTimestamp || !b.sourceTimestamp) return false;
  return (
    a.sourceTimestamp.getTime() === b.sourceTimestamp.getTime() &&
    (a.sourcePicoseconds ?? 0) === (b.sourcePicoseconds ?? 0) &&
    a.statusCode.value === b.statusCode.value &&
    sameVariant(a.value, b.value)
  );
}

const itemKeyOf = (spec: MonitorSpec) => `${spec.deviceName}\u0000${spec.sourceName}\u0000${spec.resourceName}`;

export class SourceCoalescer implements NotificationSink {
  private readonly sources = new Map<string, SourceState>();
  /** The last notification of each item, to recognise a recreated item's initial value. */
  private readonly last = new Map<string, DataValue>();
  private readonly dirty = new Set<SourceState>();
  private scheduled = false;
  /** Decode failures are logged once per source and 10 s, with how many were held back. */
  private readonly decodeWarnings = new LogThrottle(systemClock);
  readonly stats: CoalescerStats = { notifications: 0, duplicates: 0, bad: 0, unavailable: 0, decodeFailures: 0, pushes: 0 };

  constructor(
    private readonly push: (values: AsyncValues) => void,
    private readonly logger: Logger,
  ) {}

  /** A data-change notification; `first` when it is the first of an item just created. */
  readonly offer = (spec: MonitorSpec, dataValue: DataValue, first = false): void => {
    this.stats.notifications++;
    const itemKey = itemKeyOf(spec);
    const previous = this.last.get(itemKey);
    this.last.set(itemKey, dataValue);
    if (first && previous && repeats(previous, dataValue)) {
      this.stats.duplicates++;
      return;
    }
    const state = this.stateOf(spec);
    if (isBad(dataValue.statusCode)) {
      this.stats.bad++;
      this.logger.debug({ device: spec.deviceName, resource: spec.resourceName, node: spec.node.text, status: dataValue.statusCode.name }, 'opcua notification with a bad status: the resource is left out until it is good again');
      state.latest.delete(spec.resourceName);
      state.missing.add(spec.resourceName);
      return; // no event for it: the next good value of the source's resources makes one
    }
    state.latest.set(spec.resourceName, { spec, dataValue });
    state.missing.delete(spec.resourceName);
    this.markDirty(state);
  };

  /** The server refused the item of `spec`: its source publishes without it. */
  readonly unavailable = (spec: MonitorSpec): void => {
    this.stats.unavailable++;
    const state = this.stateOf(spec);
    state.latest.delete(spec.resourceName);
    state.missing.add(spec.resourceName);
    this.markDirty(state);
  };

  /** Forgets a device's last values (removed, or its items rebuilt for a new profile). */
  forget(deviceName: string): void {
    const prefix = `${deviceName}\u0000`;
    for (const key of this.sources.keys()) if (key.startsWith(prefix)) this.sources.delete(key);
    for (const key of this.last.keys()) if (key.startsWith(prefix)) this.last.delete(key);
  }

  private stateOf(spec: MonitorSpec): SourceState {
    const sourceKey = `${spec.deviceName}\u0000${spec.sourceName}`;
    let state = this.sources.get(sourceKey);
    if (!state || state.resources !== spec.sourceResources) {
      state = { deviceName: spec.deviceName, sourceName: spec.sourceName, resources: spec.sourceResources, latest: new Map(), missing: new Set() };
      this.sources.set(sourceKey, state);
    }
    return state;
  }

  private markDirty(state: SourceState): void {
    this.dirty.add(state);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const states = [...this.dirty];
    this.dirty.clear();
    for (const state of states) {
      if (state.latest.size === 0) continue;
      // Until every resource of the source has a value (or is known to have none), wait for the rest.
      if (state.resources.some((r) => !state.latest.has(r) && !state.missing.has(r))) continue;
      const values: AsyncValues['values'] = [];
      try {
        for (const resourceName of state.resources) {
          const entry = state.latest.get(resourceName);
          if (!entry) continue;
          const value: RawValue = decodeVariant(entry.dataValue.value, entry.spec.valueType);
          values.push({ resourceName, value, origin: originOf(entry.dataValue) });
        }
      } catch (err) {
        this.stats.decodeFailures++;
        const suppressed = this.decodeWarnings.allow(`${state.deviceName}\u0000${state.sourceName}`);
        if (suppressed !== undefined) {
          this.logger.warn({ device: state.deviceName, source: state.sourceName, err: (err as Error).message, suppressed }, 'opcua notification could not be decoded');
        }
        continue;
      }
      this.stats.pushes++;
      this.push({ deviceName: state.deviceName, sourceName: state.sourceName, values });
    }
  };
}
