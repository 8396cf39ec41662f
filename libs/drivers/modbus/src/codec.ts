/**
 * Registers and bits ⇄ RawValue. Registers are 16-bit words as modbus-serial
 * returns them (number[]), bits are boolean[]. Modbus is big-endian: the first
 * register holds the most significant word, each register its high byte first.
 *
 * - isByteSwap swaps the two bytes of every register (16-, 32-, 64-bit
 *   numbers and Strings);
 * - isWordSwap reverses the register order of a 32- or 64-bit number.
 *
 * Float32 1.5 is 0x3FC00000: registers [0x3FC0, 0x0000]; word-swapped
 * [0x0000, 0x3FC0]; byte-swapped [0xC03F, 0x0000]; both [0x0000, 0xC03F].
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { RawValue } from '@gw/device-sdk/driver';
import { isBitTable, ModbusPoint, ModbusValueType, RegisterType, REGISTERS_PER_TYPE } from './attributes';

const INT_RANGES: Partial<Record<ModbusValueType, readonly [bigint, bigint]>> = {
  Int16: [-(2n ** 15n), 2n ** 15n - 1n],
  Uint16: [0n, 2n ** 16n - 1n],
  Int32: [-(2n ** 31n), 2n ** 31n - 1n],
  Uint32: [0n, 2n ** 32n - 1n],
  Int64: [-(2n ** 63n), 2n ** 63n - 1n],
  Uint64: [0n, 2n ** 64n - 1n],
};

type CodecPoint = Pick<
  ModbusPoint,
  'deviceName' | 'resourceName' | 'table' | 'valueType' | 'rawType' | 'byteSwap' | 'wordSwap' | 'count' | 'bit'
>;

function problem(point: CodecPoint, why: string, kind: GatewayError['kind'] = ErrorKind.ContractInvalid): GatewayError {
  return new GatewayError(kind, `device "${point.deviceName}" resource "${point.resourceName}": ${why}`);
}

/** Registers → bytes in canonical big-endian order (the swaps undone). */
export function registersToBytes(words: readonly number[], byteSwap: boolean, wordSwap: boolean): Uint8Array {
  const ordered = wordSwap ? [...words].reverse() : words;
  const bytes = new Uint8Array(ordered.length * 2);
  ordered.forEach((w, i) => {
    const hi = (w >> 8) & 0xff;
    const lo = w & 0xff;
    bytes[i * 2] = byteSwap ? lo : hi;
    bytes[i * 2 + 1] = byteSwap ? hi : lo;
  });
  return bytes;
}

/** Canonical big-endian bytes → registers as sent on the wire (the swaps applied). */
export function bytesToRegisters(bytes: Uint8Array, byteSwap: boolean, wordSwap: boolean): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const hi = bytes[i];
    const lo = bytes[i + 1] ?? 0;
    words.push(byteSwap ? (lo << 8) | hi : (hi << 8) | lo);
  }
  return wordSwap ? words.reverse() : words;
}

/** Decodes a point's slice: boolean[] for COILS/DISCRETE_INPUTS, number[] registers otherwise. */
export function decodePoint(point: CodecPoint, data: readonly (number | boolean)[]): RawValue {
  if (data.length < point.count) {
    throw problem(point, `expected ${point.count} ${isBitTable(point.table) ? 'bits' : 'registers'}, got ${data.length}`, ErrorKind.Communication);
  }
  if (isBitTable(point.table)) return Boolean(data[0]);
  return decodeRegisters(point, data.map((d) => Number(d)));
}

export function decodeRegisters(point: CodecPoint, words: readonly number[]): RawValue {
  if (point.valueType === 'Bool') return ((words[0] >> (point.bit ?? 0)) & 1) === 1;
  if (point.valueType === 'String') {
    const bytes = registersToBytes(words.slice(0, point.count), point.byteSwap, false);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    return Buffer.from(bytes.subarray(0, end)).toString('latin1');
  }
  const raw = point.rawType as RegisterType;
  const n = REGISTERS_PER_TYPE[raw];
  const bytes = registersToBytes(words.slice(0, n), point.byteSwap, point.wordSwap && n > 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let value: number | bigint;
  switch (raw) {
    case 'Int16': value = view.getInt16(0); break;
    case 'Uint16': value = view.getUint16(0); break;
    case 'Int32': value = view.getInt32(0); break;
    case 'Uint32': value = view.getUint32(0); break;
    case 'Int64': value = view.getBigInt64(0); break;
    case 'Uint64': value = view.getBigUint64(0); break;
    case 'Float32': value = view.getFloat32(0); break;
    case 'Float64': value = view.getFloat64(0); break;
  }
  return toValueType(point, value);
}

/** Converts what the registers held (rawType) into the resource's valueType. */
function toValueType(point: CodecPoint, value: number | bigint): number | bigint {
  const vt = point.valueType;
  if (vt === 'Float32') return Math.fround(Number(value));
  if (vt === 'Float64') return Number(value);
  const range = INT_RANGES[vt]!;
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (Number.isFinite(value)) big = BigInt(Math.trunc(value));
  else throw problem(point, `read ${value} (${point.rawType}), which is no ${vt}`, ErrorKind.Communication);
  if (big < range[0] || big > range[1]) {
    throw problem(point, `read ${big} (${point.rawType}), outside the range of ${vt}`, ErrorKind.Communication);
  }
  return vt === 'Int64' || vt === 'Uint64' ? big : Number(big);
}

/**
 * Encodes a value for a write: boolean[] (one bit) for COILS, registers
 * otherwise. A Bool on a register bit needs the register's current value
 * (read-modify-write): pass it as `current`; without a bit address a Bool
 * writes the whole register as 1 or 0.
 */
export function encodePoint(point: CodecPoint, value: RawValue, current?: number): number[] | boolean[] {
  if (isBitTable(point.table)) return [toBool(point, value)];
  return encodeRegisters(point, value, current);
}

export function encodeRegisters(point: CodecPoint, value: RawValue, current?: number): number[] {
  if (point.valueType === 'Bool') {
    const on = toBool(point, value);
    if (point.bit === undefined) return [on ? 1 : 0];
    if (current === undefined) throw problem(point, 'writing a register bit needs the register\'s current value');
    const mask = 1 << point.bit;
    return [on ? (current | mask) & 0xffff : current & ~mask & 0xffff];
  }
  if (point.valueType === 'String') {
    if (typeof value !== 'string') throw problem(point, `${describe(value)} is not a String`);
    const size = point.count * 2;
    if (value.length > size) throw problem(point, `"${value}" is longer than ${size} characters (stringRegisterSize ${point.count})`);
    if ([...value].some((c) => c.charCodeAt(0) > 0xff)) throw problem(point, `"${value}" has characters outside 8-bit ASCII/Latin-1`);
    const bytes = new Uint8Array(size);
    bytes.set(Buffer.from(value, 'latin1'));
    return bytesToRegisters(bytes, point.byteSwap, false);
  }
  const raw = point.rawType as RegisterType;
  const n = REGISTERS_PER_TYPE[raw];
  const bytes = new Uint8Array(n * 2);
  const view = new DataView(bytes.buffer);
  if (raw === 'Float32' || raw === 'Float64') {
    const num = toNumber(point, value);
    if (raw === 'Float32') view.setFloat32(0, num);
    else view.setFloat64(0, num);
  } else {
    const big = toInteger(point, value, raw);
    switch (raw) {
      case 'Int16': view.setInt16(0, Number(big)); break;
      case 'Uint16': view.setUint16(0, Number(big)); break;
      case 'Int32': view.setInt32(0, Number(big)); break;
      case 'Uint32': view.setUint32(0, Number(big)); break;
      case 'Int64': view.setBigInt64(0, big); break;
      case 'Uint64': view.setBigUint64(0, big); break;
    }
  }
  return bytesToRegisters(bytes, point.byteSwap, point.wordSwap && n > 1);
}

function describe(value: RawValue): string {
  return typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? String(value);
}

function toBool(point: CodecPoint, value: RawValue): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string' && /^(true|false)$/iu.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw problem(point, `${describe(value)} is not a Bool`);
}

function toNumber(point: CodecPoint, value: RawValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  throw problem(point, `${describe(value)} is not a number`);
}

/** Integer for a rawType: floats are truncated toward zero (as EdgeX's int16(v)), out-of-range values refused. */
function toInteger(point: CodecPoint, value: RawValue, raw: RegisterType): bigint {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/u.test(value)) big = BigInt(value.trim());
  else {
    const num = toNumber(point, value);
    if (!Number.isFinite(num)) throw problem(point, `${num} cannot be written as ${raw}`);
    big = BigInt(Math.trunc(num));
  }
  const [min, max] = INT_RANGES[raw]!;
  if (big < min || big > max) throw problem(point, `${big} is outside the range of ${raw} (${min}..${max})`);
  return big;
}
