/**
 * The BLE ProtocolDriver (device-ble) on noble. Devices are `BLE: { MAC }`;
 * resources read characteristics (one queued GATT exchange per read, in
 * request order), advertisements (no connection), the RSSI or the connection
 * state. `notify` resources are subscribed (autoEvents on them are not
 * polled: notifications reach the SDK's push path), advertised values are
 * pushed as they are heard (at most once per GW_BLE_ADVERTISEMENT_INTERVAL),
 * connection state changes too. Without a usable adapter the driver still
 * runs: the adapter reports why, device operations answer 503.
 * noble loads when the driver starts (adapter.ts), never at import.
 */
import { AutoEvent, Clock, Device, DeviceProfile, ErrorKind, GatewayError, systemClock, Timer } from '@gw/contracts';
import type { AsyncValues, CommandRequest, DiscoveredDevice, DriverContext, DriverRoute, ProtocolDriver, RawValue, ReadResult, WriteRequest } from '@gw/device-sdk/driver';
import { BleAdapter } from './adapter';
import { AdvertisementPoint, BlePoint, GattPoint, parseBleAddress, parseBlePoint } from './attributes';
import { advertisedBytes, decodeValue, encodeValue, needsCurrentValue } from './codec';
import type { BleSettings } from './descriptor';
import { DeviceLink, LinkState } from './link';
import { loadNoble, Noble, NobleCharacteristic } from './noble-types';
import { bleRoutes } from './routes';
import { ConnectionSlots } from './slots';
import { resourcesOfSource } from './sources';

export interface BleDriverOptions {
  /** Makes noble: default the kernel's HCI socket for GW_BLE_HCI_DEVICE; tests pass noble on fake bindings. */
  loadNoble?: () => Promise<Noble>;
  clock?: Clock;
  /** Devices the adapter remembers (tests of the bound). */
  maxKnownDevices?: number;
}

interface DeviceEntry {
  device: Device;
  address: string;
  link: DeviceLink;
  /** Parsed points of the profile's resources, by resource name. */
  points: Map<string, BlePoint>;
  /** Sources of autoEvents the driver watches, by the resources they cover. */
  watchedBy: Map<string, string[]>;
  /** Stops the scan kept for advertised values. */
  releaseScan?: () => void;
  lastAdvertisementPushMs?: number;
  /** Pushes the last advertisement heard when the interval ends. */
  advertisementTimer?: Timer;
}

const DECODE_LOG_INTERVAL_MS = 60_000;

const SILENT: DriverContext['logger'] = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export class BleDriver implements ProtocolDriver {
  private context?: DriverContext;
  private adapterInstance?: BleAdapter;
  private slotsInstance?: ConnectionSlots;
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly clock: Clock;
  private unsubscribe: Array<() => void> = [];
  /** Values that could not be decoded (a notification or advertisement that does not fit its attributes). */
  decodeFailures = 0;
  /** When each resource's decode failure was last logged, and how many since were not (bounded). */
  private readonly decodeLogs = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    readonly settings: BleSettings,
    private readonly options: BleDriverOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async initialize(context: DriverContext): Promise<void> {
    this.context = context;
  }

  /** The SDK's logger (silent before initialize), for the driver's parts. */
  get logger(): DriverContext['logger'] {
    return this.context?.logger ?? SILENT;
  }

  /** The adapter (made on first use; opened by start()). */
  get adapter(): BleAdapter {
    this.adapterInstance ??= new BleAdapter({
      hciDevice: this.settings.hciDevice,
      load: this.options.loadNoble ?? (() => loadNoble(this.settings.hciDevice)),
      retryMinMs: this.settings.adapterRetryMin,
      retryMaxMs: this.settings.adapterRetryMax,
      logger: this.logger,
      clock: this.clock,
      maxKnown: this.options.maxKnownDevices,
    });
    return this.adapterInstance;
  }

  get slots(): ConnectionSlots {
    this.slotsInstance ??= new ConnectionSlots(this.settings.maxConnections, this.settings.maxQueue, this.clock);
    return this.slotsInstance;
  }

  async start(): Promise<void> {
    const adapter = this.adapter;
    this.unsubscribe.push(
      adapter.onPowerChange((powered) => {
        for (const entry of this.devices.values()) {
          if (powered) entry.link.powerRestored();
          else entry.link.powerLost();
        }
      }),
      adapter.onAdvertisement((address) => this.onAdvertisement(address)),
    );
    await adapter.open();
  }

  async stop(_force: boolean): Promise<void> {
    for (const entry of this.devices.values()) this.forget(entry, 'the driver is stopping');
    this.devices.clear();
    for (const off of this.unsubscribe.splice(0)) off();
    this.adapterInstance?.close();
  }

  /** GET adapter, POST scan, GET services and profiledraft, under /api/v3/ble/. */
  routes(): DriverRoute[] {
    return bleRoutes({ driver: this, settings: this.settings });
  }

  async discover(): Promise<DiscoveredDevice[]> {
    const { discoverDevices } = await import('./discovery');
    return discoverDevices(this, {
      durationMs: this.settings.scanDuration,
      nameRegex: this.settings.scanNameRegex,
      serviceUuids: this.settings.scanServiceUuids,
      minRssi: this.settings.scanMinRssi,
    });
  }

  /**
   * A connection to `address` for discovery and the routes: the added device's
   * own when there is one (two links to one peripheral would fight over it),
   * else one of its own, closed by `done`.
   */
  linkAt(address: string, name: string): { link: DeviceLink; done(): void } {
    for (const entry of this.devices.values()) if (entry.address === address) return { link: entry.link, done: () => undefined };
    const link = this.newLink(name, address);
    return { link, done: () => link.close('done') };
  }

  private newLink(name: string, address: string): DeviceLink {
    return new DeviceLink(name, address, this.adapter, this.slots, {
      ...this.linkTimings(),
      onNotification: () => undefined,
      onState: () => undefined,
    });
  }

  private linkTimings() {
    const s = this.settings;
    return {
      connectTimeoutMs: s.connectTimeout,
      gattTimeoutMs: s.gattTimeout,
      reconnectMinMs: s.reconnectMin,
      reconnectMaxMs: s.reconnectMax,
      maxQueue: s.maxQueue,
      logger: this.logger,
      clock: this.clock,
    };
  }

  // --- devices ---

  async validateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    this.check(device, profile);
  }

  private check(device: Device, profile?: DeviceProfile): { address: string; points: Map<string, BlePoint> } {
    const address = parseBleAddress(device.name, device.protocols);
    const points = new Map<string, BlePoint>();
    for (const resource of profile?.deviceResources ?? []) {
      points.set(resource.name, parseBlePoint(device.name, resource.name, resource.properties.valueType, resource.attributes));
    }
    return { address, points };
  }

  async addDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    const { address, points } = this.check(device, profile);
    let entry = this.devices.get(device.name);
    if (entry && entry.address !== address) {
      this.forget(entry, 'its address changed');
      entry = undefined;
    }
    if (!entry) {
      const name = device.name;
      const link: DeviceLink = new DeviceLink(name, address, this.adapter, this.slots, {
        ...this.linkTimings(),
        onNotification: (points, data) => this.onNotification(name, points, data),
        onState: (state) => this.onLinkState(name, state),
      });
      entry = { device, address, link, points, watchedBy: new Map() };
      this.devices.set(name, entry);
    }
    entry.device = device;
    entry.points = points;
    entry.watchedBy = profile ? this.watchedSources(device, profile, points) : new Map();
    const advertised = [...points.values()].some((p) => p.source === 'advertisement');
    if (advertised && !entry.releaseScan) entry.releaseScan = this.adapter.wantScan();
    if (!advertised && entry.releaseScan) {
      entry.releaseScan();
      entry.releaseScan = undefined;
    }
    entry.link.setNotifyPoints([...points.values()].filter((p): p is GattPoint => p.source === 'gatt' && p.notify));
  }

  async updateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    await this.addDevice(device, profile);
  }

  async removeDevice(device: Device): Promise<void> {
    const entry = this.devices.get(device.name);
    if (!entry) return;
    this.devices.delete(device.name);
    this.forget(entry, 'it was removed');
  }

  private forget(entry: DeviceEntry, why: string): void {
    entry.advertisementTimer?.cancel();
    entry.advertisementTimer = undefined;
    entry.releaseScan?.();
    entry.releaseScan = undefined;
    entry.link.close(why);
  }

  /**
   * An autoEvent is watched (not polled) when every resource of its source
   * reports on its own: a `notify` characteristic, an advertised value or the
   * connection state.
   */
  monitorsAutoEvent(device: Device, profile: DeviceProfile, autoEvent: AutoEvent): boolean {
    const resources = resourcesOfSource(profile, autoEvent.sourceName);
    if (!resources || resources.length === 0) return false;
    return resources.every((name) => {
      const resource = profile.deviceResources.find((r) => r.name === name);
      if (!resource) return false;
      try {
        return pushes(parseBlePoint(device.name, name, resource.properties.valueType, resource.attributes));
      } catch {
        return false;
      }
    });
  }

  private watchedSources(device: Device, profile: DeviceProfile, points: Map<string, BlePoint>): Map<string, string[]> {
    const watched = new Map<string, string[]>();
    for (const autoEvent of device.autoEvents ?? []) {
      const resources = resourcesOfSource(profile, autoEvent.sourceName);
      if (!resources?.every((r) => points.has(r) && pushes(points.get(r)!))) continue;
      for (const r of resources) watched.set(r, [...new Set([...(watched.get(r) ?? []), autoEvent.sourceName])]);
    }
    return watched;
  }

  private entryOf(device: Device, what: string): DeviceEntry {
    const entry = this.devices.get(device.name);
    if (!entry) throw new GatewayError(ErrorKind.EntityNotFound, `${what}: device "${device.name}" is not served by this BLE driver (not added, or removed)`);
    return entry;
  }

  // --- read / write ---

  async read(device: Device, _profile: DeviceProfile, requests: CommandRequest[]): Promise<ReadResult[]> {
    if (requests.length === 0) return [];
    const what = `reading ${requests.length} resource(s) of device "${device.name}"`;
    const points = requests.map((r) => parseBlePoint(device.name, r.resource.name, r.valueType, r.attributes));
    const entry = this.entryOf(device, what);
    const results = new Array<ReadResult>(points.length);
    const gatt = points.flatMap((p, i) => (p.source === 'gatt' ? [{ p, i }] : []));
    if (gatt.length > 0) {
      await entry.link.run(what, async (connection) => {
        const bytes = new Map<string, Uint8Array>();
        // Every characteristic checked before any is read: a refused one fails the lot, as one operation.
        const targets = gatt.map(({ p, i }) => ({ p, i, characteristic: offering(connection.characteristic(p), p, 'read') }));
        for (const { p, i, characteristic } of targets) {
          const key = `${p.serviceUuid ?? ''}/${p.characteristicUuid}`;
          let data = bytes.get(key);
          if (!data) {
            data = await characteristic.readAsync();
            bytes.set(key, data);
          }
          results[i] = { value: decodeValue(data, p.decoding, p.valueType, where(p)) };
        }
      });
    }
    for (const [i, p] of points.entries()) {
      if (p.source === 'advertisement') results[i] = { value: await this.advertisedValue(entry, p, what) };
      else if (p.source === 'rssi') results[i] = { value: rssiValue(await entry.link.rssi(what), p.valueType) };
      else if (p.source === 'connection') results[i] = { value: connectionValue(entry.link.state, p.valueType) };
    }
    return results;
  }

  private async advertisedValue(entry: DeviceEntry, point: AdvertisementPoint, what: string): Promise<RawValue> {
    await this.adapter.settled(this.settings.connectTimeout);
    this.adapter.requirePowered(what);
    const heard = this.adapter.heard(entry.address);
    if (!heard) throw new GatewayError(ErrorKind.Communication, `${where(point)}: ${entry.address.toUpperCase()} has not been heard advertising`);
    const ageMs = this.clock.monotonicMs() - heard.lastSeenMs;
    if (ageMs > this.settings.advertisementMaxAge) {
      throw new GatewayError(ErrorKind.Communication, `${where(point)}: last heard ${Math.round(ageMs / 1000)} s ago (GW_BLE_ADVERTISEMENT_MAX_AGE)`);
    }
    const data = advertisedBytes(heard.peripheral.advertisement, point);
    if (!data) {
      const which = point.manufacturerId !== undefined ? `manufacturer data of company 0x${point.manufacturerId.toString(16).padStart(4, '0')}` : `service data of ${point.serviceDataUuid}`;
      throw new GatewayError(ErrorKind.Communication, `${where(point)}: the last advertisement carries no ${which}`);
    }
    return decodeValue(data, point.decoding, point.valueType, where(point));
  }

  async write(device: Device, _profile: DeviceProfile, requests: WriteRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const what = `writing ${requests.length} resource(s) of device "${device.name}"`;
    const writes = requests.map((r) => {
      const p = parseBlePoint(device.name, r.resource.name, r.valueType, r.attributes);
      if (p.source !== 'gatt') throw new GatewayError(ErrorKind.NotAllowed, `${where(p)}: source ${p.source} is read only`);
      // Checked before any I/O; a partial write is checked against zeros of the right length here, then made on the value read.
      const partial = needsCurrentValue(p.decoding);
      encodeValue(r.value, p.decoding, p.valueType, where(p), partial ? new Uint8Array(512) : undefined);
      return { p, value: r.value, partial };
    });
    const entry = this.entryOf(device, what);
    await entry.link.run(what, async (connection) => {
      // One write per characteristic: several resources in one (bits of a configuration byte) are combined.
      const byCharacteristic = new Map<NobleCharacteristic, typeof writes>();
      for (const w of writes) {
        const characteristic = offering(connection.characteristic(w.p), w.p, w.partial ? 'patch' : 'write');
        byCharacteristic.set(characteristic, [...(byCharacteristic.get(characteristic) ?? []), w]);
      }
      for (const [characteristic, list] of byCharacteristic) {
        let bytes: Uint8Array | undefined = list.some((w) => w.partial) ? await characteristic.readAsync() : undefined;
        for (const w of list) bytes = encodeValue(w.value, w.p.decoding, w.p.valueType, where(w.p), bytes);
        const withoutResponse = !characteristic.properties.includes('write') && characteristic.properties.includes('writeWithoutResponse');
        await characteristic.writeAsync(Buffer.from(bytes!), withoutResponse);
      }
    });
  }

  // --- values reported on their own ---

  private push(entry: DeviceEntry, values: Array<{ resourceName: string; value: RawValue }>): void {
    const bySource = new Map<string, AsyncValues['values']>();
    for (const value of values) {
      for (const source of entry.watchedBy.get(value.resourceName) ?? [value.resourceName]) {
        bySource.set(source, [...(bySource.get(source) ?? []), value]);
      }
    }
    for (const [sourceName, list] of bySource) this.context?.pushValues({ deviceName: entry.device.name, sourceName, values: list });
  }

  private onNotification(deviceName: string, points: GattPoint[], data: Uint8Array): void {
    const entry = this.devices.get(deviceName);
    if (!entry) return;
    const values: Array<{ resourceName: string; value: RawValue }> = [];
    for (const p of points) {
      const value = this.decodeOrCount(data, p);
      if (value !== undefined) values.push({ resourceName: p.resourceName, value });
    }
    if (values.length > 0) this.push(entry, values);
  }

  /**
   * Pushes the advertised values of the devices at `address`: at most once per
   * GW_BLE_ADVERTISEMENT_INTERVAL, the last one heard pushed when the interval ends.
   */
  private onAdvertisement(address: string): void {
    const now = this.clock.monotonicMs();
    for (const entry of this.devices.values()) {
      if (entry.address !== address || !entry.releaseScan || entry.advertisementTimer) continue;
      const wait = entry.lastAdvertisementPushMs === undefined ? 0 : entry.lastAdvertisementPushMs + this.settings.advertisementInterval - now;
      if (wait <= 0) {
        this.pushAdvertised(entry);
        continue;
      }
      entry.advertisementTimer = this.clock.setTimer(() => {
        entry.advertisementTimer = undefined;
        if (this.devices.get(entry.device.name) === entry) this.pushAdvertised(entry);
      }, wait);
    }
  }

  private pushAdvertised(entry: DeviceEntry): void {
    const heard = this.adapter.heard(entry.address);
    if (!heard) return;
    const values: Array<{ resourceName: string; value: RawValue }> = [];
    for (const p of entry.points.values()) {
      if (p.source !== 'advertisement') continue;
      const data = advertisedBytes(heard.peripheral.advertisement, p);
      const value = data && this.decodeOrCount(data, p);
      if (value !== undefined) values.push({ resourceName: p.resourceName, value });
    }
    if (values.length === 0) return;
    entry.lastAdvertisementPushMs = this.clock.monotonicMs();
    this.push(entry, values);
  }

  private onLinkState(deviceName: string, state: LinkState): void {
    const entry = this.devices.get(deviceName);
    if (!entry) return;
    const values = [...entry.points.values()].filter((p) => p.source === 'connection').map((p) => ({ resourceName: p.resourceName, value: connectionValue(state, p.valueType) }));
    if (values.length > 0) this.push(entry, values);
  }

  private decodeOrCount(data: Uint8Array, point: GattPoint | AdvertisementPoint): RawValue | undefined {
    try {
      return decodeValue(data, point.decoding, point.valueType, where(point));
    } catch (err) {
      this.decodeFailures++;
      // Once per resource per minute, with how many were not logged: a device may notify many times a second.
      const key = `${point.deviceName}\u0000${point.resourceName}`;
      const now = this.clock.monotonicMs();
      const last = this.decodeLogs.get(key);
      if (last && now - last.atMs < DECODE_LOG_INTERVAL_MS) {
        last.suppressed++;
        return undefined;
      }
      this.decodeLogs.delete(key);
      if (this.decodeLogs.size >= 1_000) this.decodeLogs.delete(this.decodeLogs.keys().next().value!);
      this.decodeLogs.set(key, { atMs: now, suppressed: 0 });
      this.logger.warn({ device: point.deviceName, resource: point.resourceName, err: (err as Error).message, notLoggedBefore: last?.suppressed ?? 0 }, 'BLE value not decoded');
      return undefined;
    }
  }

  /** The device's link, for routes and tests. */
  linkOf(deviceName: string): DeviceLink | undefined {
    return this.devices.get(deviceName)?.link;
  }
}

const where = (p: BlePoint) => `device "${p.deviceName}" resource "${p.resourceName}"`;

/**
 * The characteristic, when it offers `operation` (`patch`: a write of part of
 * it, which reads it first); else NotAllowed naming it. Checked before asking:
 * noble answers a refused read with no bytes (an empty value, no error) and
 * never finishes a refused write (the GATT timeout would then drop the
 * connection and its subscriptions).
 */
function offering(characteristic: NobleCharacteristic, point: GattPoint, operation: 'read' | 'write' | 'patch'): NobleCharacteristic {
  const properties = characteristic.properties ?? [];
  const readable = properties.includes('read');
  const writable = properties.includes('write') || properties.includes('writeWithoutResponse');
  if (operation === 'read' ? readable : operation === 'write' ? writable : readable && writable) return characteristic;
  const notifies = properties.includes('notify') || properties.includes('indicate');
  const why =
    operation === 'read'
      ? `cannot be read${notifies ? ' (its values come only as notifications: with notify: true they are pushed)' : ''}`
      : !writable
        ? 'cannot be written'
        : 'cannot be read, and writing part of it (startByte past 0, bitShift) reads it first';
  throw new GatewayError(ErrorKind.NotAllowed, `${where(point)}: attribute characteristicUuid: characteristic ${point.characteristicUuid} ${why}; it offers ${properties.join(', ') || 'nothing'}`);
}

function pushes(point: BlePoint): boolean {
  return (point.source === 'gatt' && point.notify) || point.source === 'advertisement' || point.source === 'connection';
}

function connectionValue(state: LinkState, valueType: string): RawValue {
  return valueType === 'Bool' ? state === 'connected' : state;
}

function rssiValue(rssi: number, valueType: string): RawValue {
  return valueType === 'Int64' ? BigInt(Math.round(rssi)) : rssi;
}
