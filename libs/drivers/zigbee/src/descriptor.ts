/**
 * device-zigbee as the hosts see it: name, EdgeX service name and port, its
 * GW_ZIGBEE_* settings and a create() that makes the driver WITHOUT loading
 * zigbee-herdsman (~68 MB) or the converters: herdsman loads when a
 * coordinator is configured (GW_ZIGBEE_SERIAL_PORT) and the service starts;
 * converter definitions load one model at a time, when a device is
 * interviewed or a profile is asked for. Not hosted by default: it needs a
 * coordinator. This module must stay free of herdsman and the converters.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { bool, defineDriver, field, int, oneOf, positiveDuration, secret, text } from '@gw/device-sdk/driver';

/** Adapters zigbee-herdsman 10.9 drives, or `auto` (herdsman probes the port). */
export const ADAPTERS = ['auto', 'zstack', 'ember', 'deconz', 'zigate', 'zboss'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/** A 128-bit network key: 32 hex digits (spaces, commas, `0x` and colons allowed between bytes), or 16 numbers 0-255. */
export function parseNetworkKey(value: unknown): number[] | undefined {
  if (Array.isArray(value)) return value.length === 16 && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255) ? (value as number[]) : undefined;
  if (typeof value !== 'string') return undefined;
  const hex = value.replace(/0x/gi, '').replace(/[\s,:[\]-]/g, '');
  if (/^[0-9a-f]{32}$/i.test(hex)) return hex.match(/../g)!.map((b) => parseInt(b, 16));
  const numbers = value.replace(/[[\]]/g, '').split(/[\s,]+/).filter(Boolean).map(Number);
  return numbers.length === 16 && numbers.every((b) => Number.isInteger(b) && b >= 0 && b <= 255) ? numbers : undefined;
}

/** An extended PAN ID: 16 hex digits (or 8 numbers 0-255). */
export function parseExtendedPanId(value: unknown): number[] | undefined {
  if (typeof value !== 'string') return undefined;
  const hex = value.replace(/0x/gi, '').replace(/[\s,:[\]-]/g, '');
  return /^[0-9a-f]{16}$/i.test(hex) ? hex.match(/../g)!.map((b) => parseInt(b, 16)) : undefined;
}

/** The serial device (`/dev/ttyACM0`) or a network coordinator (`tcp://192.168.1.20:6638`). */
export function parseSerialPort(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const port = value.trim();
  if (port.startsWith('tcp://')) {
    try {
      const u = new URL(port);
      return u.hostname !== '' && u.port !== '' ? port : undefined;
    } catch {
      return undefined;
    }
  }
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(port) ? undefined : port;
}

/** herdsman's database, network backup and the generated network key in GW_DATA_DIR/zigbee (default ./data/zigbee). */
export function defaultZigbeeDir(env: Record<string, string | undefined> = process.env): string {
  return join(env.GW_DATA_DIR?.trim() || './data', 'zigbee');
}

export const zigbeeSettings = z.object({
  // --- Coordinator ---
  /** Serial device of the coordinator (/dev/ttyACM0, /dev/serial/by-id/...) or tcp://host:port; unset: no coordinator (profiles on demand only). */
  serialPort: field('a serial device path or tcp://host:port', parseSerialPort).optional(),
  /** The coordinator's firmware family; auto lets herdsman probe the port. */
  adapter: oneOf(ADAPTERS).default('auto'),
  /** Serial speed (zstack and zigate 115200, ember/ezsp 115200, deconz 38400; unset: the adapter's own default). */
  baudRate: int(1200, 4_000_000).optional(),
  /** Hardware flow control (RTS/CTS). */
  rtscts: bool().default(false),
  /** PAN ID of the network formed on first start. */
  panId: int(1, 0xfffe).default(0x1a62),
  /** Extended PAN ID, 16 hex digits (Zigbee2MQTT's default dddddddddddddddd). */
  extendedPanId: field('16 hex digits, such as 00124b0012345678', parseExtendedPanId).default('dddddddddddddddd'),
  /** 2.4 GHz channel 11-26; 11, 15, 20 and 25 stay clear of most Wi-Fi. */
  channel: int(11, 26).default(11),
  /**
   * Network key, 32 hex digits (or GW_ZIGBEE_NETWORK_KEY_FILE naming a secret file, as for every setting).
   * Unset: one is generated on first start and kept in <dataDir>/network-key (mode 0600); never logged.
   */
  networkKey: secret(field('a 128-bit key: 32 hex digits or 16 numbers 0-255', parseNetworkKey)).optional(),
  /** herdsman's database, network backup and the generated key. Unset: GW_DATA_DIR/zigbee (./data/zigbee). */
  dataDir: text().default(() => defaultZigbeeDir()),
  /** First wait before reopening a lost coordinator; doubles per failure, with jitter. */
  reconnectMin: positiveDuration().default('2s'),
  /** Longest wait between attempts. */
  reconnectMax: positiveDuration().default('60s'),

  /** Longest wait for a device's answer to a read (GET of a resource the converter can ask for). */
  readTimeout: positiveDuration().default('10s'),

  // --- Joining ---
  /** Longest permit-join window a request may open, in seconds (herdsman's limit is 254). */
  permitJoinMax: int(1, 254).default(254),

  // --- Availability ---
  /** How often routers (mains-powered devices) are pinged when silent; 0 disables pinging. */
  availabilityPing: positiveDuration().default('10m'),
  /** Silence after which an end device (battery) counts as DOWN. */
  endDeviceTimeout: positiveDuration().default('25h'),
  /** Silence after which a router that does not answer its ping counts as DOWN. */
  routerTimeout: positiveDuration().default('10m'),
});

export type ZigbeeSettings = z.output<typeof zigbeeSettings>;

export const zigbeeDriver = defineDriver({
  name: 'zigbee',
  serviceName: 'device-zigbee',
  defaultPort: 59904,
  // attributes.ts reads zigbee.IEEEAddress.
  edgexProtocols: ['zigbee'],
  // Needs a coordinator (USB stick or network coordinator): hosted only when GW_DEVICE_SERVICES names it.
  hostedByDefault: false,
  settings: zigbeeSettings,
  async create(settings) {
    const { ZigbeeDriver } = await import('./zigbee-driver');
    return new ZigbeeDriver(settings);
  },
});
