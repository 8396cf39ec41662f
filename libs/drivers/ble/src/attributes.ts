/**
 * BLE addressing, parsed and validated (pure, no I/O):
 * - a device's protocol `BLE: { MAC: "AA:BB:CC:DD:EE:FF" }` (EdgeX device-bluetooth-c);
 * - a resource's attributes: `characteristicUuid`, `startByte`, `rawType`
 *   (device-bluetooth-c) and ours on top: `serviceUuid`, `notify`,
 *   `byteOrder`, `length`, `encoding`, and `source` (gatt, advertisement,
 *   rssi, connection) with `manufacturerId` / `serviceDataUuid` + `offset`
 *   for values beacons broadcast.
 * Every error is a GatewayError(ContractInvalid) naming the device, the
 * resource and the attribute (or protocol property) at fault.
 */
import { ErrorKind, GatewayError, ValueType } from '@gw/contracts';
import { normalizeUuid, standardCharacteristic, StandardCharacteristic } from './gatt';

export const RAW_TYPES = ['Uint8', 'Int8', 'Uint16', 'Int16', 'Uint32', 'Int32', 'Uint64', 'Int64', 'Float32', 'Float64'] as const;
export type RawType = (typeof RAW_TYPES)[number];

export type IntegerRawType = Exclude<RawType, 'Float32' | 'Float64'>;

export const BYTES_OF: Record<RawType, number> = {
  Uint8: 1, Int8: 1, Uint16: 2, Int16: 2, Uint32: 4, Int32: 4, Uint64: 8, Int64: 8, Float32: 4, Float64: 8,
};

export const SOURCES = ['gatt', 'advertisement', 'rssi', 'connection'] as const;
export type BleSource = (typeof SOURCES)[number];

/** How the bytes become a value. */
export type BleDecoding =
  | { kind: 'number'; rawType: RawType; startByte: number; littleEndian: boolean }
  /** A byte that is 0 or not; or, with `bitShift`, bit N of the rawType integer at startByte (device-bluetooth-c). */
  | { kind: 'bool'; startByte: number; bitShift?: number; rawType?: IntegerRawType; littleEndian: boolean }
  | { kind: 'utf8'; startByte: number; length?: number }
  | { kind: 'raw'; startByte: number; length?: number }
  | { kind: 'standard'; characteristic: StandardCharacteristic };

interface PointBase {
  deviceName: string;
  resourceName: string;
  valueType: ValueType;
}

/** A value read from a characteristic (on request, or as notifications when `notify`). */
export interface GattPoint extends PointBase {
  source: 'gatt';
  /** Normalized (noble's spelling); undefined: whichever service has the characteristic. */
  serviceUuid?: string;
  characteristicUuid: string;
  notify: boolean;
  decoding: BleDecoding;
}

/** A value read out of what the device advertises, without a connection. */
export interface AdvertisementPoint extends PointBase {
  source: 'advertisement';
  /** Manufacturer-specific data of this company id (its first two bytes), the value at `offset` after them. */
  manufacturerId?: number;
  /** Service data of this (normalized) UUID. */
  serviceDataUuid?: string;
  decoding: BleDecoding;
}

/** The signal strength (dBm) of the connection, or of the last advertisement when not connected. */
export interface RssiPoint extends PointBase {
  source: 'rssi';
}

/** The connection state: `connected`, `connecting`, `disconnected` (String) or connected yes/no (Bool). */
export interface ConnectionPoint extends PointBase {
  source: 'connection';
}

export type BlePoint = GattPoint | AdvertisementPoint | RssiPoint | ConnectionPoint;

const NUMERIC_VALUE_TYPES = new Set<string>(['Uint8', 'Int8', 'Uint16', 'Int16', 'Uint32', 'Int32', 'Uint64', 'Int64', 'Float32', 'Float64']);
const ATTRIBUTES = new Set([
  'characteristicUuid', 'serviceUuid', 'startByte', 'rawType', 'notify', 'byteOrder', 'length', 'encoding', 'source',
  'manufacturerId', 'serviceDataUuid', 'offset', 'bitShift',
]);

/** strconv.ParseBool's spellings. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

const given = (value: unknown): boolean => value !== undefined && value !== null && value !== '';

/** Parses one deviceResource's attributes; `valueType` is its properties.valueType. */
export function parseBlePoint(deviceName: string, resourceName: string, valueType: ValueType, attributes: Record<string, unknown> | undefined): BlePoint {
  const where = `device "${deviceName}" resource "${resourceName}"`;
  const fail = (attribute: string, why: string): never => {
    throw new GatewayError(ErrorKind.ContractInvalid, `${where}: attribute ${attribute}: ${why}`);
  };
  const attrs = attributes ?? {};
  const unknown = Object.keys(attrs).find((key) => !ATTRIBUTES.has(key));
  if (unknown !== undefined) fail(unknown, `is not a BLE attribute (${[...ATTRIBUTES].join(', ')})`);

  const sourceText = given(attrs.source) ? String(attrs.source).trim().toLowerCase() : 'gatt';
  if (!(SOURCES as readonly string[]).includes(sourceText)) fail('source', `"${String(attrs.source)}" is not one of ${SOURCES.join(', ')}`);
  const source = sourceText as BleSource;
  const base = { deviceName, resourceName, valueType };

  if (source === 'rssi' || source === 'connection') {
    const allowed = source === 'rssi' ? ['Int8', 'Int16', 'Int32', 'Int64', 'Float32', 'Float64'] : ['String', 'Bool'];
    if (!allowed.includes(valueType)) fail('source', `${source} readings are ${allowed.join(' or ')}, not ${valueType}`);
    const extra = Object.keys(attrs).find((key) => key !== 'source');
    if (extra !== undefined) fail(extra, `does not apply to source ${source}`);
    return { ...base, source };
  }

  if (source === 'advertisement') {
    for (const key of ['characteristicUuid', 'serviceUuid', 'notify']) if (given(attrs[key])) fail(key, 'does not apply to source advertisement');
    const manufacturerId = given(attrs.manufacturerId) ? parseInteger(attrs.manufacturerId, 0, 0xffff, (why) => fail('manufacturerId', why)) : undefined;
    const serviceDataUuid = given(attrs.serviceDataUuid) ? uuidOf(attrs.serviceDataUuid, (why) => fail('serviceDataUuid', why)) : undefined;
    if ((manufacturerId === undefined) === (serviceDataUuid === undefined)) {
      fail('manufacturerId', 'source advertisement needs exactly one of manufacturerId or serviceDataUuid');
    }
    if (given(attrs.offset) && given(attrs.startByte)) fail('offset', 'give offset or startByte, not both');
    const offsetKey = given(attrs.startByte) ? 'startByte' : 'offset';
    const decoding = parseDecoding(attrs, valueType, offsetKey, undefined, fail);
    const point: AdvertisementPoint = { ...base, source, decoding };
    if (manufacturerId !== undefined) point.manufacturerId = manufacturerId;
    if (serviceDataUuid !== undefined) point.serviceDataUuid = serviceDataUuid;
    return point;
  }

  for (const key of ['manufacturerId', 'serviceDataUuid', 'offset']) if (given(attrs[key])) fail(key, 'applies to source advertisement only');
  if (!given(attrs.characteristicUuid)) fail('characteristicUuid', 'is required');
  const characteristicUuid = uuidOf(attrs.characteristicUuid, (why) => fail('characteristicUuid', why));
  const serviceUuid = given(attrs.serviceUuid) ? uuidOf(attrs.serviceUuid, (why) => fail('serviceUuid', why)) : undefined;
  const notify = parseBool(attrs.notify, (why) => fail('notify', why));
  const decoding = parseDecoding(attrs, valueType, 'startByte', standardCharacteristic(characteristicUuid), fail);
  const point: GattPoint = { ...base, source, characteristicUuid, notify, decoding };
  if (serviceUuid !== undefined) point.serviceUuid = serviceUuid;
  return point;
}

function parseDecoding(
  attrs: Record<string, unknown>,
  valueType: ValueType,
  offsetKey: 'startByte' | 'offset',
  standard: StandardCharacteristic | undefined,
  fail: (attribute: string, why: string) => never,
): BleDecoding {
  const byteMapped = given(attrs.rawType) || given(attrs[offsetKey]) || given(attrs.length) || given(attrs.encoding) || given(attrs.byteOrder);
  if (standard && !byteMapped) {
    const fits =
      standard.kind === 'text' ? valueType === 'String' : standard.kind === 'integer' ? NUMERIC_VALUE_TYPES.has(valueType) : valueType === 'Float32' || valueType === 'Float64';
    if (!fits) {
      const want = standard.kind === 'text' ? 'String' : standard.kind === 'integer' ? 'a numeric valueType' : 'Float32 or Float64';
      fail('characteristicUuid', `${standard.name} (0x${standard.uuid.toUpperCase()}) is decoded as ${want}, not ${valueType} (or give rawType to map the bytes yourself)`);
    }
    return { kind: 'standard', characteristic: standard };
  }

  const startByte = given(attrs[offsetKey]) ? parseInteger(attrs[offsetKey], 0, 511, (why) => fail(offsetKey, why)) : 0;
  const byteOrder = given(attrs.byteOrder) ? String(attrs.byteOrder).trim().toLowerCase() : 'little';
  if (byteOrder !== 'little' && byteOrder !== 'big') fail('byteOrder', `"${String(attrs.byteOrder)}" is not little or big`);
  const length = given(attrs.length) ? parseInteger(attrs.length, 1, 512, (why) => fail('length', why)) : undefined;

  if (valueType === 'String' || valueType === 'Binary' || valueType === 'Uint8Array') {
    if (given(attrs.rawType)) fail('rawType', `applies to numeric valueTypes, not ${valueType}`);
    const encoding = given(attrs.encoding) ? String(attrs.encoding).trim().toLowerCase() : valueType === 'String' ? 'utf8' : 'raw';
    if (encoding !== 'utf8' && encoding !== 'raw') fail('encoding', `"${String(attrs.encoding)}" is not utf8 or raw`);
    if (encoding === 'utf8' && valueType !== 'String') fail('encoding', `utf8 gives a String, not ${valueType}`);
    if (encoding === 'raw' && valueType === 'String') fail('encoding', 'raw gives bytes: use valueType Binary or Uint8Array');
    return { kind: encoding === 'utf8' ? 'utf8' : 'raw', startByte, ...(length === undefined ? {} : { length }) };
  }
  if (given(attrs.encoding)) fail('encoding', `applies to String, Binary and Uint8Array, not ${valueType}`);
  if (length !== undefined) fail('length', `applies to String, Binary and Uint8Array (a ${valueType} has the size of its rawType)`);
  if (valueType === 'Bool') {
    let rawType: IntegerRawType | undefined;
    if (given(attrs.rawType)) {
      const text = String(attrs.rawType).trim();
      const found = RAW_TYPES.find((t) => t.toLowerCase() === text.toLowerCase());
      if (!found || found === 'Float32' || found === 'Float64') fail('rawType', `a Bool is a bit of an integer: "${text}" is not one of ${RAW_TYPES.filter((t) => !t.startsWith('Float')).join(', ')}`);
      rawType = found as IntegerRawType;
    }
    const decoding: BleDecoding = { kind: 'bool', startByte, littleEndian: byteOrder === 'little' };
    if (given(attrs.bitShift)) {
      rawType ??= 'Uint8';
      const bits = BYTES_OF[rawType] * 8;
      decoding.bitShift = parseInteger(attrs.bitShift, 0, bits - 1, (why) => fail('bitShift', `${why} (bits of a ${rawType})`));
    }
    if (rawType) decoding.rawType = rawType;
    return decoding;
  }
  if (given(attrs.bitShift)) fail('bitShift', `applies to Bool resources (a bit of rawType), not ${valueType}`);
  if (!NUMERIC_VALUE_TYPES.has(valueType)) fail('rawType', `valueType ${valueType} is not supported by BLE (Bool, String, Binary, Uint8Array, Int8..Int64, Uint8..Uint64, Float32, Float64)`);
  let rawType = valueType as RawType;
  if (given(attrs.rawType)) {
    const text = String(attrs.rawType).trim();
    const found = RAW_TYPES.find((t) => t.toLowerCase() === text.toLowerCase());
    if (!found) fail('rawType', `"${text}" is not one of ${RAW_TYPES.join(', ')}`);
    rawType = found!;
  }
  return { kind: 'number', rawType, startByte, littleEndian: byteOrder === 'little' };
}

function uuidOf(value: unknown, fail: (why: string) => never): string {
  const uuid = typeof value === 'string' ? normalizeUuid(value) : typeof value === 'number' ? normalizeUuid(value.toString(16).padStart(4, '0')) : undefined;
  return uuid ?? fail(`${JSON.stringify(value)} is not a UUID (2A19, 0x2A19 or a 128-bit UUID)`);
}

function parseBool(value: unknown, fail: (why: string) => never): boolean {
  if (!given(value)) return false;
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string' && TRUE.has(value.trim())) return true;
  if (typeof value === 'string' && FALSE.has(value.trim())) return false;
  return fail(`${JSON.stringify(value)} is not a boolean`);
}

/** A whole number given as a number or a string (decimal, or 0x hex). */
function parseInteger(value: unknown, min: number, max: number, fail: (why: string) => never): number {
  let n: number | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) n = value;
  else if (typeof value === 'string' && /^\s*(\d+|0x[0-9a-f]+)\s*$/iu.test(value)) n = Number(value.trim());
  if (n === undefined) return fail(`${JSON.stringify(value)} is not a whole number`);
  if (n < min || n > max) return fail(`${n} is outside ${min}..${max}`);
  return n;
}

// ---------------------------------------------------------------------------
// Protocol properties

/** A MAC as noble spells it: lower case, colons. */
export type MacAddress = string;

const MAC = /^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/iu;

/** `BLE: { MAC }` of a device → its address in noble's spelling. Accepts colons, dashes or none, any case. */
export function parseBleAddress(deviceName: string, protocols: Record<string, Record<string, unknown> | undefined> | undefined): MacAddress {
  const fail = (why: string): never => {
    throw new GatewayError(ErrorKind.ContractInvalid, `device "${deviceName}": protocol BLE property MAC: ${why}`);
  };
  const ble = Object.entries(protocols ?? {}).find(([name]) => name.toLowerCase() === 'ble')?.[1];
  if (!ble) fail('the device has no BLE protocol (BLE: { MAC: "AA:BB:CC:DD:EE:FF" })');
  const mac = Object.entries(ble!).find(([key]) => key.toLowerCase() === 'mac')?.[1];
  if (!given(mac)) fail('is required ("AA:BB:CC:DD:EE:FF")');
  const text = String(mac).trim();
  if (!MAC.test(text)) fail(`"${text}" is not a MAC address (AA:BB:CC:DD:EE:FF)`);
  const hex = text.toLowerCase().replace(/[:-]/gu, '');
  return hex.match(/../gu)!.join(':');
}
