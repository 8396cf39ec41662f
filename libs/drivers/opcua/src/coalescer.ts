/**
 * Notifications -> the SDK's push path, one AsyncValues per source: the
 * values of one publish (and whatever else arrives in the same event-loop
 * turn) for the same device and source become one push, carrying every
 * resource of the source (the last value of those that did not change), so
 * each becomes one event. A notification repeating the last one of its item
 * (same source timestamp and status: the initial value of an item recreated
 * after a reconnect) is dropped, so a reconnect publishes no duplicate.
 */
import type { AsyncValues, RawValue } from '@gw/device-sdk/driver';
import type { DataValue } from 'node-opcua-client';
import { decodeVariant } from './codec';
import type { MonitorSpec } from './monitor';
import type { Logger } from './session-pool';
import { isBad } from './status';

interface SourceState {
  deviceName: string;
  sourceName: string;
  resources: readonly string[];
  latest: Map<string, { spec: MonitorSpec; dataValue: DataValue }>;
}

export interface CoalescerStats {
  notifications: number;
  duplicates: number;
  bad: number;
  pushes: number;
}

/** Device time of a DataValue in ns since the epoch (source timestamp, else server timestamp). */
export function originOf(dv: DataValue): number | undefined {
  const at = dv.sourceTimestamp ?? dv.serverTimestamp;
  if (!at) return undefined;
  const pico = dv.sourceTimestamp ? dv.sourcePicoseconds : dv.serverPicoseconds;
  return at.getTime() * 1e6 + Math.floor((pico ?? 0) / 1000);
}

export class SourceCoalescer {
  private readonly sources = new Map<string, SourceState>();
  private readonly lastStamp = new Map<string, string>();
  private readonly dirty = new Set<SourceState>();
  private scheduled = false;
  readonly stats: CoalescerStats = { notifications: 0, duplicates: 0, bad: 0, pushes: 0 };

  constructor(
    private readonly push: (values: AsyncValues) => void,
    private readonly logger: Logger,
  ) {}

  readonly offer = (spec: MonitorSpec, dataValue: DataValue): void => {
    this.stats.notifications++;
    const itemKey = `${spec.deviceName}\u0000${spec.sourceName}\u0000${spec.resourceName}`;
    if (dataValue.sourceTimestamp) {
      const stamp = `${dataValue.sourceTimestamp.getTime()}.${dataValue.sourcePicoseconds}:${dataValue.statusCode.value}`;
      if (this.lastStamp.get(itemKey) === stamp) {
        this.stats.duplicates++;
        return;
      }
      this.lastStamp.set(itemKey, stamp);
    }
    if (isBad(dataValue.statusCode)) {
      this.stats.bad++;
      this.logger.debug({ device: spec.deviceName, resource: spec.resourceName, node: spec.node.text, status: dataValue.statusCode.name }, 'opcua notification with a bad status skipped');
      return;
    }
    const sourceKey = `${spec.deviceName}\u0000${spec.sourceName}`;
    let state = this.sources.get(sourceKey);
    if (!state || state.resources !== spec.sourceResources) {
      state = { deviceName: spec.deviceName, sourceName: spec.sourceName, resources: spec.sourceResources, latest: new Map() };
      this.sources.set(sourceKey, state);
    }
    state.latest.set(spec.resourceName, { spec, dataValue });
    this.dirty.add(state);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  };

  /** Forgets a device's last values (removed, or its items rebuilt for a new profile). */
  forget(deviceName: string): void {
    const prefix = `${deviceName}\u0000`;
    for (const key of this.sources.keys()) if (key.startsWith(prefix)) this.sources.delete(key);
    for (const key of this.lastStamp.keys()) if (key.startsWith(prefix)) this.lastStamp.delete(key);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const states = [...this.dirty];
    this.dirty.clear();
    for (const state of states) {
      if (state.latest.size < state.resources.length) continue; // not every resource of the source has a value yet
      const values: AsyncValues['values'] = [];
      try {
        for (const resourceName of state.resources) {
          const { spec, dataValue } = state.latest.get(resourceName)!;
          const value: RawValue = decodeVariant(dataValue.value, spec.valueType);
          values.push({ resourceName, value, origin: originOf(dataValue) });
        }
      } catch (err) {
        this.logger.warn({ device: state.deviceName, source: state.sourceName, err: (err as Error).message }, 'opcua notification could not be decoded');
        continue;
      }
      this.stats.pushes++;
      this.push({ deviceName: state.deviceName, sourceName: state.sourceName, values });
    }
  };
}
