/**
 * Discovery: one scan with filters (advertised name, service UUIDs, RSSI),
 * bounded in time and in devices, then (GW_BLE_SCAN_READ_DEVICE_INFO) a short
 * connection to each connectable device to read Device Information for its
 * labels. What is found becomes DiscoveredDevices whose protocol properties
 * provision watchers match: MAC, Name, ServiceUUIDs, Manufacturer.
 */
import { delay, ErrorKind, GatewayError } from '@gw/contracts';
import type { DiscoveredDevice } from '@gw/device-sdk/driver';
import type { BleDriver } from './ble-driver';
import { decodeValue } from './codec';
import { DEVICE_INFORMATION, standardCharacteristic } from './gatt';
import type { Connected } from './link';

export interface ScanFilters {
  durationMs: number;
  /** Whole advertised name (JavaScript regular expression). */
  nameRegex?: string;
  /** Any of these services advertised (normalized UUIDs). */
  serviceUuids?: string[];
  /** dBm. */
  minRssi?: number;
  maxDevices?: number;
}

export interface FoundDevice {
  /** AA:BB:CC:DD:EE:FF */
  mac: string;
  address: string;
  name?: string;
  rssi: number;
  connectable: boolean;
  serviceUuids: string[];
  /** Company id of the manufacturer data, when advertised. */
  manufacturerId?: number;
  /** Device Information, when read. */
  manufacturer?: string;
  model?: string;
}

/** Scans listening at once (REST callers and discovery); more are refused. */
export const MAX_CONCURRENT_SCANS = 4;
const running = new WeakMap<BleDriver, number>();

/** Listens to the shared scan for `durationMs` and reports the devices that pass the filters. */
export async function scan(driver: BleDriver, filters: ScanFilters, signal?: AbortSignal): Promise<FoundDevice[]> {
  const active = running.get(driver) ?? 0;
  if (active >= MAX_CONCURRENT_SCANS) throw new GatewayError(ErrorKind.ServiceUnavailable, `scanning: ${active} scans are already running; try again when one has ended`);
  running.set(driver, active + 1);
  try {
    return await scanOnce(driver, filters, signal);
  } finally {
    running.set(driver, (running.get(driver) ?? 1) - 1);
  }
}

async function scanOnce(driver: BleDriver, filters: ScanFilters, signal?: AbortSignal): Promise<FoundDevice[]> {
  const adapter = driver.adapter;
  await adapter.settled(driver.settings.connectTimeout);
  adapter.requirePowered('scanning');
  const max = filters.maxDevices ?? driver.settings.scanMaxDevices;
  const nameRegex = filters.nameRegex === undefined ? undefined : new RegExp(`^(?:${filters.nameRegex})$`, 'u');
  const found = new Map<string, FoundDevice>();
  const off = adapter.onAdvertisement((address, heard) => {
    const p = heard.peripheral;
    const adv = p.advertisement ?? {};
    const existing = found.get(address);
    if (!existing && found.size >= max) return;
    const serviceUuids = [...new Set([...(existing?.serviceUuids ?? []), ...(adv.serviceUuids ?? []), ...(adv.serviceData ?? []).map((s) => s.uuid)])];
    const name = adv.localName || existing?.name;
    const device: FoundDevice = { mac: address.toUpperCase(), address, rssi: p.rssi, connectable: p.connectable !== false, serviceUuids };
    if (name) device.name = name;
    const m = adv.manufacturerData;
    if (m && m.length >= 2) device.manufacturerId = m[0] | (m[1] << 8);
    else if (existing?.manufacturerId !== undefined) device.manufacturerId = existing.manufacturerId;
    found.set(address, device);
  });
  const release = adapter.wantScan();
  try {
    await delay(filters.durationMs, undefined, signal);
  } finally {
    off();
    release();
  }
  return [...found.values()].filter(
    (d) =>
      (nameRegex === undefined || (d.name !== undefined && nameRegex.test(d.name))) &&
      (filters.serviceUuids === undefined || filters.serviceUuids.length === 0 || filters.serviceUuids.some((u) => d.serviceUuids.includes(u))) &&
      (filters.minRssi === undefined || d.rssi >= filters.minRssi),
  );
}

/** Reads manufacturer (0x2A29) and model (0x2A24) of a device over a short connection of its own; leaves them unset when it cannot (never throws). */
export async function readDeviceInformation(driver: BleDriver, device: FoundDevice): Promise<void> {
  const { link, done } = driver.linkAt(device.address, `discovery-${device.address}`);
  try {
    Object.assign(device, await link.run(`reading Device Information of ${device.mac}`, (connection) => deviceInformationOn(connection, device.mac)));
  } catch (err) {
    // Out of range, busy, refusing, or noble failing on this one device: discovery goes on without its labels.
    const unexpected = !GatewayError.is(err) || err.kind === ErrorKind.Unknown;
    driver.logger[unexpected ? 'warn' : 'debug']({ device: device.mac, err: (err as Error)?.message ?? String(err) }, 'BLE Device Information not read');
  } finally {
    done();
  }
}

/** Manufacturer (0x2A29) and model (0x2A24) from the Device Information service of a connected device (what it has of them). */
export async function deviceInformationOn(connection: Connected, mac: string): Promise<{ manufacturer?: string; model?: string }> {
  const info: { manufacturer?: string; model?: string } = {};
  const service = connection.services.find((s) => s.uuid === DEVICE_INFORMATION.service);
  for (const c of service?.characteristics ?? []) {
    const standard = standardCharacteristic(c.uuid);
    if (!standard || (c.uuid !== DEVICE_INFORMATION.manufacturer && c.uuid !== DEVICE_INFORMATION.model) || !c.properties.includes('read')) continue;
    const text = String(decodeValue(await c.readAsync(), { kind: 'standard', characteristic: standard }, 'String', `device ${mac}`)).trim();
    if (!text) continue;
    if (c.uuid === DEVICE_INFORMATION.manufacturer) info.manufacturer = text;
    else info.model = text;
  }
  return info;
}

/** Scan (GW_BLE_SCAN_* filters), Device Information, and the devices as provision watchers see them. */
export async function discoverDevices(driver: BleDriver, filters: ScanFilters): Promise<DiscoveredDevice[]> {
  const found = await scan(driver, filters);
  if (driver.settings.scanReadDeviceInfo) {
    // A few at a time (the connection slots allow no more), and a bounded number in all.
    const targets = found.filter((d) => d.connectable).slice(0, driver.settings.scanDeviceInfoMax);
    const worker = async () => {
      for (let next = targets.shift(); next; next = targets.shift()) await readDeviceInformation(driver, next);
    };
    await Promise.all(Array.from({ length: Math.min(driver.settings.maxConnections, targets.length) }, worker));
  }
  return found.map((d) => toDiscovered(d, driver.settings.discoveryNamePrefix ?? ''));
}

/** A device name EdgeX takes: the advertised name without characters names may not hold, then the MAC. */
export function discoveredName(device: FoundDevice, prefix = ''): string {
  const label = (device.name ?? '').replace(/[\s/#+?&%\p{Cc}\p{Cs}\u200E\u200F\u202A-\u202E\u2066-\u2069]+/gu, '_').slice(0, 64) || 'BLE';
  return `${prefix}${label}-${device.mac.replace(/:/gu, '')}`;
}

export function toDiscovered(device: FoundDevice, prefix = ''): DiscoveredDevice {
  const manufacturer = device.manufacturer ?? (device.manufacturerId !== undefined ? `0x${device.manufacturerId.toString(16).toUpperCase().padStart(4, '0')}` : '');
  const discovered: DiscoveredDevice = {
    name: discoveredName(device, prefix),
    description: `BLE device ${device.name ?? device.mac} (RSSI ${device.rssi} dBm when found)`,
    protocols: {
      BLE: {
        MAC: device.mac,
        Name: device.name ?? '',
        ServiceUUIDs: device.serviceUuids.join(','),
        Manufacturer: manufacturer,
      },
    },
  };
  const labels = ['ble', device.manufacturer, device.model].filter((l): l is string => !!l);
  discovered.labels = labels;
  return discovered;
}
