/**
 * Standard GATT characteristics (Bluetooth SIG assigned numbers) the driver
 * decodes without a byte map: a resource on one of these characteristics
 * that sets no `rawType` gets its value as the specification defines it.
 * Pure: no I/O.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';

/** The 128-bit form of a 16-bit SIG UUID is 0000xxxx-0000-1000-8000-00805f9b34fb. */
const SIG_BASE_SUFFIX = '00001000800000805f9b34fb';

/**
 * A UUID as noble spells it: lower case, no dashes, 16-bit SIG UUIDs short
 * (`2a19`). Accepts `2A19`, `0x2A19`, `00002a19-0000-1000-8000-00805f9b34fb`
 * and any 128-bit UUID with or without dashes; undefined when it is none of those.
 */
export function normalizeUuid(text: string): string | undefined {
  const bare = text.trim().toLowerCase().replace(/^0x/u, '').replace(/-/gu, '');
  if (/^[0-9a-f]{4}$/u.test(bare)) return bare;
  if (/^[0-9a-f]{8}$/u.test(bare)) return bare.startsWith('0000') ? bare.slice(4) : bare;
  if (!/^[0-9a-f]{32}$/u.test(bare)) return undefined;
  if (bare.startsWith('0000') && bare.endsWith(SIG_BASE_SUFFIX)) return bare.slice(4, 8);
  return bare;
}

export type GattValueKind = 'integer' | 'decimal' | 'text';

export interface StandardCharacteristic {
  uuid: string;
  /** The SIG name, used in profile drafts and messages. */
  name: string;
  kind: GattValueKind;
  units?: string;
  decode(data: Uint8Array): number | string;
  /** Absent: the characteristic is not written as a value (measurements). */
  encode?(value: number | string): Uint8Array;
}

const view = (data: Uint8Array) => new DataView(data.buffer, data.byteOffset, data.byteLength);

function need(data: Uint8Array, bytes: number, name: string): void {
  if (data.length < bytes) {
    throw new GatewayError(ErrorKind.Communication, `${name}: the device sent ${data.length} byte(s), the characteristic needs at least ${bytes}`);
  }
}

/** `value` as a number within min..max (the characteristic's definition), else ContractInvalid saying so (the codec names the attribute). */
function within(value: number | string, min: number, max: number, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new GatewayError(ErrorKind.ContractInvalid, `${name} takes ${min}..${max}, not ${String(value)}`);
  return n;
}

/** 16-bit value scaled by 0.01 (Temperature 0x2A6E, Humidity 0x2A6F); the "unknown" code is an error. */
function hundredths(name: string, signed: boolean, unknown: number, range: [number, number], units: string, uuid: string): StandardCharacteristic {
  return {
    uuid,
    name,
    kind: 'decimal',
    units,
    decode(data) {
      need(data, 2, name);
      const raw = signed ? view(data).getInt16(0, true) : view(data).getUint16(0, true);
      if (raw === unknown) throw new GatewayError(ErrorKind.Communication, `${name}: the device reports the value as unknown`);
      return raw / 100;
    },
    encode(value) {
      const out = new Uint8Array(2);
      const raw = Math.round(within(value, range[0], range[1], name) * 100);
      if (signed) view(out).setInt16(0, raw, true);
      else view(out).setUint16(0, raw, true);
      return out;
    },
  };
}

/**
 * IEEE-11073 32-bit FLOAT (Health Thermometer and other medical profiles): a
 * signed 24-bit mantissa and a signed 8-bit exponent of ten, little endian,
 * with reserved mantissas for NaN, NRes and the infinities.
 */
export function decodeIeee11073Float(data: Uint8Array, offset = 0): number {
  need(data, offset + 4, 'IEEE-11073 FLOAT');
  const raw = view(data).getUint32(offset, true);
  const mantissaBits = raw & 0xffffff;
  switch (mantissaBits) {
    case 0x7fffff: // NaN
    case 0x800000: // NRes
    case 0x800001: // reserved
      return Number.NaN;
    case 0x7ffffe:
      return Number.POSITIVE_INFINITY;
    case 0x800002:
      return Number.NEGATIVE_INFINITY;
  }
  const mantissa = mantissaBits >= 0x800000 ? mantissaBits - 0x1000000 : mantissaBits;
  const exponent = (raw >>> 24) >= 0x80 ? (raw >>> 24) - 0x100 : raw >>> 24;
  // Scaling by a power of ten that is exact in decimal keeps 3655e-2 at 36.55.
  return exponent < 0 ? mantissa / 10 ** -exponent : mantissa * 10 ** exponent;
}

/** IEEE-11073 16-bit SFLOAT: 12-bit mantissa, 4-bit exponent. */
export function decodeIeee11073SFloat(data: Uint8Array, offset = 0): number {
  need(data, offset + 2, 'IEEE-11073 SFLOAT');
  const raw = view(data).getUint16(offset, true);
  const mantissaBits = raw & 0x0fff;
  if (mantissaBits === 0x07ff || mantissaBits === 0x0800 || mantissaBits === 0x0801) return Number.NaN;
  if (mantissaBits === 0x07fe) return Number.POSITIVE_INFINITY;
  if (mantissaBits === 0x0802) return Number.NEGATIVE_INFINITY;
  const mantissa = mantissaBits >= 0x0800 ? mantissaBits - 0x1000 : mantissaBits;
  const e = raw >>> 12;
  const exponent = e >= 0x8 ? e - 0x10 : e;
  return exponent < 0 ? mantissa / 10 ** -exponent : mantissa * 10 ** exponent;
}

const utf8 = (uuid: string, name: string): StandardCharacteristic => ({
  uuid,
  name,
  kind: 'text',
  decode: (data) => new TextDecoder('utf-8').decode(data).replace(/\0+$/u, ''),
  encode: (value) => new TextEncoder().encode(String(value)),
});

const STANDARD: StandardCharacteristic[] = [
  {
    uuid: '2a19',
    name: 'Battery Level',
    kind: 'integer',
    units: '%',
    decode(data) {
      need(data, 1, 'Battery Level');
      return data[0];
    },
    encode: (value) => Uint8Array.of(Math.round(within(value, 0, 100, 'Battery Level'))),
  },
  hundredths('Temperature', true, -0x8000, [-273.15, 327.67], '°C', '2a6e'),
  hundredths('Humidity', false, 0xffff, [0, 100], '%', '2a6f'),
  {
    uuid: '2a1c',
    name: 'Temperature Measurement',
    kind: 'decimal',
    units: '°C',
    decode(data) {
      need(data, 5, 'Temperature Measurement');
      const value = decodeIeee11073Float(data, 1);
      // NaN, NRes and the infinities are no temperature: an error, as the "unknown" code of 0x2A6E.
      if (!Number.isFinite(value)) throw new GatewayError(ErrorKind.Communication, `Temperature Measurement: the device reports the value as unknown (${value})`);
      // Flags bit 0: the value is in Fahrenheit; readings are in Celsius either way.
      return (data[0] & 0x01) === 0 ? value : ((value - 32) * 5) / 9;
    },
  },
  utf8('2a00', 'Device Name'),
  utf8('2a29', 'Manufacturer Name String'),
  utf8('2a24', 'Model Number String'),
  utf8('2a25', 'Serial Number String'),
  utf8('2a26', 'Firmware Revision String'),
  utf8('2a27', 'Hardware Revision String'),
  utf8('2a28', 'Software Revision String'),
];

const BY_UUID = new Map(STANDARD.map((c) => [c.uuid, c]));

/** The standard characteristic with this (normalized) UUID, if the driver knows it. */
export function standardCharacteristic(uuid: string): StandardCharacteristic | undefined {
  return BY_UUID.get(uuid);
}

/** Well-known services, for profile drafts and discovery output. */
export const SERVICE_NAMES: Record<string, string> = {
  '1800': 'Generic Access',
  '1801': 'Generic Attribute',
  '180a': 'Device Information',
  '180f': 'Battery Service',
  '1809': 'Health Thermometer',
  '181a': 'Environmental Sensing',
};

/** Device Information characteristics read for discovery labels. */
export const DEVICE_INFORMATION = { service: '180a', manufacturer: '2a29', model: '2a24' } as const;
