/**
 * device-ble as the hosts see it: name, EdgeX service name and port, its
 * GW_BLE_* settings, and a create() that makes the driver without loading
 * noble: noble (and its HCI socket) loads when the driver starts, and only
 * on a host that enables device-ble (GW_DEVICE_SERVICES=ble, or the ble
 * device-service container). This module must stay free of noble.
 */
import { z } from 'zod';
import { bool, defineDriver, field, int, positiveDuration, text } from '@gw/device-sdk/driver';
import { normalizeUuid } from './gatt';

/** `GW_BLE_SCAN_SERVICE_UUIDS`: UUIDs separated by spaces or commas. */
export function parseUuidList(value: string): string[] | undefined {
  const list = value.split(/[\s,;]+/u).filter(Boolean).map(normalizeUuid);
  return list.every((u): u is string => u !== undefined) ? [...new Set(list)] : undefined;
}

/** A regular expression, checked at boot. */
const regex = () =>
  field('a regular expression', (v) => {
    try {
      new RegExp(String(v), 'u');
      return String(v);
    } catch {
      return undefined;
    }
  });

export const bleSettings = z.object({
  // --- Adapter ---
  /** The adapter: N of hciN (default: the first one, or NOBLE_HCI_DEVICE_ID). */
  hciDevice: int(0, 63).optional(),
  /** First wait before trying the adapter again when it cannot be opened (no Bluetooth, no permission); doubles per failure, with jitter. */
  adapterRetryMin: positiveDuration().default('5s'),
  /** Longest wait between tries of the adapter. */
  adapterRetryMax: positiveDuration().default('5m'),

  // --- Connections ---
  /** Devices connected at once (adapters allow few); an idle connection gives way to a device that needs one. */
  maxConnections: int(1, 32).default(5),
  /** Operations waiting per device, and devices waiting for a connection slot; more is refused (503). */
  maxQueue: int(1, 10_000).default(100),
  /** Longest wait to see a device advertise and connect to it. */
  connectTimeout: positiveDuration().default('10s'),
  /** Longest wait for one GATT operation (discover, read, write, subscribe); a timeout drops the connection. */
  gattTimeout: positiveDuration().default('5s'),
  /** First wait before connecting again to a device with notifications after its connection is lost; doubles per failure, with jitter. */
  reconnectMin: positiveDuration().default('1s'),
  /** Longest wait between reconnects. */
  reconnectMax: positiveDuration().default('60s'),

  // --- Advertisements ---
  /** An advertised value older than this is not read (the device is out of range or off). */
  advertisementMaxAge: positiveDuration().default('60s'),
  /** Advertised values are pushed at most once per this interval per device (beacons advertise many times a second). */
  advertisementInterval: positiveDuration().default('1s'),

  // --- Discovery (POST /api/v3/discovery and POST /api/v3/ble/scan) ---
  /** How long discovery scans. */
  scanDuration: positiveDuration().default('10s'),
  /** Only devices whose advertised name matches (whole name, JavaScript regular expression). */
  scanNameRegex: regex().optional(),
  /** Only devices advertising one of these services (space or comma separated UUIDs). */
  scanServiceUuids: field('UUIDs separated by spaces or commas', (v) => parseUuidList(String(v))).optional(),
  /** Only devices heard at least this loud (dBm, e.g. -80). */
  scanMinRssi: int(-127, 20).optional(),
  /** Most devices one scan reports. */
  scanMaxDevices: int(1, 10_000).default(200),
  /** Connect to each device found to read Device Information (manufacturer 0x2A29, model 0x2A24) for its labels. */
  scanReadDeviceInfo: bool().default(true),
  /** Most devices of one discovery whose Device Information is read (GW_BLE_MAX_CONNECTIONS at a time). */
  scanDeviceInfoMax: int(0, 1_000).default(20),
  /** Name prefix of discovered devices: <prefix><advertised name>-<MAC>. */
  discoveryNamePrefix: text().optional(),
});

export type BleSettings = z.output<typeof bleSettings>;

export const bleDriver = defineDriver({
  name: 'ble',
  serviceName: 'device-ble',
  defaultPort: 59903,
  // parseBleAddress (attributes.ts) reads BLE.MAC, the key in any case; discovery writes BLE.
  edgexProtocols: ['BLE', 'ble'],
  // Needs a Bluetooth adapter (and host networking in a container): hosted when GW_DEVICE_SERVICES names it.
  hostedByDefault: false,
  settings: bleSettings,
  async create(settings) {
    const { BleDriver } = await import('./ble-driver');
    return new BleDriver(settings);
  },
});
