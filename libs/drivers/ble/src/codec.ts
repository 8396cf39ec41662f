/**
 * Bytes of a characteristic or an advertisement <-> the value the SDK gets or
 * gives, as a BleDecoding says (attributes.ts). Pure: no I/O. A value too
 * short for its map is the device's fault (Communication, naming the bytes
 * wanted); a value that does not fit its rawType on write is the caller's
 * (ContractInvalid).
 */
import { ErrorKind, GatewayError, ValueType } from '@gw/contracts';
import type { RawValue } from '@gw/device-sdk/driver';
import { BleDecoding, BYTES_OF, RawType } from './attributes';

const WIDE = new Set<string>(['Int64', 'Uint64']);
const INTEGER_RANGES: Partial<Record<RawType, [number, number]>> = {
  Uint8: [0, 0xff], Int8: [-0x80, 0x7f], Uint16: [0, 0xffff], Int16: [-0x8000, 0x7fff], Uint32: [0, 0xffffffff], Int32: [-0x80000000, 0x7fffffff],
};

const viewOf = (data: Uint8Array) => new DataView(data.buffer, data.byteOffset, data.byteLength);

function tooShort(what: string, data: Uint8Array, needed: number): GatewayError {
  return new GatewayError(ErrorKind.Communication, `${what}: the device sent ${data.length} byte(s), the attributes need ${needed}`);
}

/** The value `decoding` reads out of `data`, as `valueType` (bigint for 64-bit integers). `what` names device and resource. */
export function decodeValue(data: Uint8Array, decoding: BleDecoding, valueType: ValueType, what: string): RawValue {
  switch (decoding.kind) {
    case 'standard': {
      const value = decoding.characteristic.decode(data);
      return typeof value === 'number' ? asValueType(value, valueType) : value;
    }
    case 'bool': {
      if (!decoding.rawType) {
        if (data.length < decoding.startByte + 1) throw tooShort(what, data, decoding.startByte + 1);
        return data[decoding.startByte] !== 0;
      }
      const word = readInteger(data, decoding.rawType, decoding.startByte, decoding.littleEndian, what);
      return decoding.bitShift === undefined ? word !== 0n : ((word >> BigInt(decoding.bitShift)) & 1n) === 1n;
    }
    case 'utf8':
    case 'raw': {
      const end = decoding.length === undefined ? data.length : decoding.startByte + decoding.length;
      if (data.length < end || data.length < decoding.startByte) throw tooShort(what, data, Math.max(end, decoding.startByte));
      const bytes = data.subarray(decoding.startByte, end);
      if (decoding.kind === 'raw') return valueType === 'Uint8Array' ? [...bytes] : Uint8Array.from(bytes);
      return new TextDecoder('utf-8').decode(bytes).replace(/\0+$/u, '');
    }
    case 'number': {
      const size = BYTES_OF[decoding.rawType];
      if (data.length < decoding.startByte + size) throw tooShort(what, data, decoding.startByte + size);
      const v = viewOf(data);
      const at = decoding.startByte;
      const le = decoding.littleEndian;
      let raw: number | bigint;
      switch (decoding.rawType) {
        case 'Uint8': raw = v.getUint8(at); break;
        case 'Int8': raw = v.getInt8(at); break;
        case 'Uint16': raw = v.getUint16(at, le); break;
        case 'Int16': raw = v.getInt16(at, le); break;
        case 'Uint32': raw = v.getUint32(at, le); break;
        case 'Int32': raw = v.getInt32(at, le); break;
        case 'Uint64': raw = v.getBigUint64(at, le); break;
        case 'Int64': raw = v.getBigInt64(at, le); break;
        case 'Float32': raw = v.getFloat32(at, le); break;
        case 'Float64': raw = v.getFloat64(at, le); break;
      }
      return asValueType(raw, valueType);
    }
  }
}

/** A number read as one rawType, given as the resource's valueType (the SDK scales it afterwards). */
function asValueType(raw: number | bigint, valueType: ValueType): number | bigint {
  if (WIDE.has(valueType)) return typeof raw === 'bigint' ? raw : BigInt(Math.trunc(raw));
  if (typeof raw === 'bigint') return Number(raw);
  return valueType === 'Float32' ? Math.fround(raw) : raw;
}

/**
 * The bytes to write for `value` (already reverse-transformed by the SDK):
 * the whole characteristic value, or, for a byte map past byte 0 or a bit,
 * `current` (the value read just before) patched.
 */
export function encodeValue(value: RawValue, decoding: BleDecoding, valueType: ValueType, what: string, current?: Uint8Array): Uint8Array {
  if (needsCurrentValue(decoding)) {
    if (!current) throw new GatewayError(ErrorKind.Unknown, `${what}: the current value is needed to write part of it`);
    return patchValue(value, decoding, valueType, what, current);
  }
  return wholeValue(value, decoding, valueType, what);
}

/**
 * Whether writing `decoding` changes only part of the characteristic's value
 * (a byte map past byte 0, a bit): the driver then reads the value, patches
 * it and writes it back in the same operation.
 */
export function needsCurrentValue(decoding: BleDecoding): boolean {
  if (decoding.kind === 'standard') return false;
  if (decoding.kind === 'bool' && decoding.bitShift !== undefined) return true;
  return decoding.startByte > 0;
}

/** `current` with the value written over its bytes at startByte (or its bit set or cleared). */
function patchValue(value: RawValue, decoding: BleDecoding, valueType: ValueType, what: string, current: Uint8Array): Uint8Array {
  if (decoding.kind === 'standard') return wholeValue(value, decoding, valueType, what);
  const at = decoding.startByte;
  if (decoding.kind === 'bool' && decoding.bitShift !== undefined && decoding.rawType) {
    const word = readInteger(current, decoding.rawType, at, decoding.littleEndian, what);
    const bit = 1n << BigInt(decoding.bitShift);
    const on = value === true || value === 1;
    const next = on ? word | bit : word & ~bit;
    const out = Uint8Array.from(current);
    writeInteger(out, decoding.rawType, at, decoding.littleEndian, next);
    return out;
  }
  const bytes = wholeValue(value, { ...decoding, startByte: 0 } as BleDecoding, valueType, what);
  if (decoding.kind === 'utf8' || decoding.kind === 'raw') {
    if (current.length < at) throw tooShort(what, current, at);
    return Uint8Array.from([...current.subarray(0, at), ...bytes]);
  }
  if (current.length < at + bytes.length) throw tooShort(what, current, at + bytes.length);
  const out = Uint8Array.from(current);
  out.set(bytes, at);
  return out;
}

function readInteger(data: Uint8Array, rawType: RawType, at: number, littleEndian: boolean, what: string): bigint {
  const size = BYTES_OF[rawType];
  if (data.length < at + size) throw tooShort(what, data, at + size);
  let word = 0n;
  for (let i = 0; i < size; i++) word |= BigInt(data[at + (littleEndian ? i : size - 1 - i)]) << BigInt(8 * i);
  return word; // the bits as stored: a bit test needs no sign
}

function writeInteger(out: Uint8Array, rawType: RawType, at: number, littleEndian: boolean, word: bigint): void {
  const size = BYTES_OF[rawType];
  for (let i = 0; i < size; i++) out[at + (littleEndian ? i : size - 1 - i)] = Number((word >> BigInt(8 * i)) & 0xffn);
}

function wholeValue(value: RawValue, decoding: BleDecoding, valueType: ValueType, what: string): Uint8Array {
  const refuse = (attribute: string, why: string): never => {
    throw new GatewayError(ErrorKind.ContractInvalid, `${what}: attribute ${attribute}: ${why}`);
  };
  switch (decoding.kind) {
    case 'standard': {
      const { characteristic } = decoding;
      if (!characteristic.encode) return refuse('characteristicUuid', `${characteristic.name} is a measurement; it cannot be written`);
      try {
        return characteristic.encode(typeof value === 'bigint' ? Number(value) : (value as number | string));
      } catch (err) {
        return refuse('characteristicUuid', (err as Error).message); // out of the characteristic's range
      }
    }
    case 'bool': {
      const on = value === true || value === 1;
      if (!decoding.rawType) return Uint8Array.of(on ? 1 : 0);
      const out = new Uint8Array(BYTES_OF[decoding.rawType]);
      writeInteger(out, decoding.rawType, 0, decoding.littleEndian, on ? 1n : 0n);
      return out;
    }
    case 'utf8':
    case 'raw': {
      const bytes =
        decoding.kind === 'utf8'
          ? new TextEncoder().encode(String(value))
          : value instanceof Uint8Array
            ? value
            : Array.isArray(value)
              ? Uint8Array.from(value as number[])
              : refuse('encoding', `raw takes bytes, not ${typeof value}`);
      if (decoding.length !== undefined && bytes.length > decoding.length) return refuse('length', `the value has ${bytes.length} bytes, more than ${decoding.length}`);
      return bytes;
    }
    case 'number': {
      const out = new Uint8Array(BYTES_OF[decoding.rawType]);
      const v = viewOf(out);
      const le = decoding.littleEndian;
      const { rawType } = decoding;
      if (rawType === 'Float32' || rawType === 'Float64') {
        const n = Number(value);
        // NaN and infinities are no value to send; a Float32 past ±3.4e38 would become one.
        if (!Number.isFinite(rawType === 'Float32' ? Math.fround(n) : n)) return refuse('rawType', `${String(value)} is not a finite ${rawType}`);
        if (rawType === 'Float32') v.setFloat32(0, n, le);
        else v.setFloat64(0, n, le);
        return out;
      }
      if (rawType === 'Uint64' || rawType === 'Int64') {
        let big: bigint;
        try {
          big = typeof value === 'bigint' ? value : BigInt(Math.round(Number(value)));
        } catch {
          return refuse('rawType', `${String(value)} is not a whole number`);
        }
        const fits = rawType === 'Uint64' ? big >= 0n && big < 2n ** 64n : big >= -(2n ** 63n) && big < 2n ** 63n;
        if (!fits) return refuse('rawType', `${big} does not fit in ${rawType}`);
        if (rawType === 'Uint64') v.setBigUint64(0, big, le);
        else v.setBigInt64(0, big, le);
        return out;
      }
      const n = Math.round(Number(value));
      const [min, max] = INTEGER_RANGES[rawType]!;
      if (!Number.isFinite(n) || n < min || n > max) return refuse('rawType', `${String(value)} does not fit in ${rawType} (${min}..${max})`);
      switch (rawType) {
        case 'Uint8': v.setUint8(0, n); break;
        case 'Int8': v.setInt8(0, n); break;
        case 'Uint16': v.setUint16(0, n, le); break;
        case 'Int16': v.setInt16(0, n, le); break;
        case 'Uint32': v.setUint32(0, n, le); break;
        case 'Int32': v.setInt32(0, n, le); break;
      }
      return out;
    }
  }
}

/** The bytes an advertisement carries for a point: manufacturer data after its company id, or one service's data. */
export function advertisedBytes(
  advertisement: { manufacturerData?: Uint8Array | null; serviceData?: Array<{ uuid: string; data: Uint8Array }> | null },
  where: { manufacturerId?: number; serviceDataUuid?: string },
): Uint8Array | undefined {
  if (where.manufacturerId !== undefined) {
    const m = advertisement.manufacturerData;
    if (!m || m.length < 2 || (m[0] | (m[1] << 8)) !== where.manufacturerId) return undefined;
    return m.subarray(2);
  }
  return advertisement.serviceData?.find((s) => s.uuid === where.serviceDataUuid)?.data;
}
