/**
 * What a driver hands over, checked against the resource's valueType before
 * any transform: drivers give JS numbers, bigints (64-bit), booleans,
 * strings (e.g. a payload field already in text), byte arrays or plain
 * arrays/objects. A value of the wrong kind or out of the type's range is
 * a broken contract between driver and profile, named like every other.
 */
import { RawValue } from '../driver/protocol-driver';
import { IntegerSpec, MAX_FLOAT32, rangeText } from './numeric-types';
import { show, valueError } from './value-error';

const INTEGER_TEXT = /^[+-]?\d+$/u;
const FLOAT_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/u;
const INFINITY_TEXT = /^([+-]?)inf(inity)?$/iu;
const NAN_TEXT = /^[+-]?nan$/iu;
const BOOL_TEXT: ReadonlyMap<string, boolean> = new Map([
  ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((t) => [t, true] as const),
  ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((t) => [t, false] as const),
]);

/** strconv.ParseBool's spellings, as EdgeX accepts them. */
export function boolFromText(text: string): boolean | undefined {
  return BOOL_TEXT.get(text);
}

/** Go's ParseFloat also reads inf/infinity/nan in any case. */
export function floatFromText(text: string): number | undefined {
  if (FLOAT_TEXT.test(text)) return Number(text);
  const inf = INFINITY_TEXT.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  return NAN_TEXT.test(text) ? NaN : undefined;
}

export function rawNarrow(raw: RawValue, s: IntegerSpec, device: string, resource: string): number {
  let v: number;
  if (typeof raw === 'number') v = raw;
  else if (typeof raw === 'bigint') v = Number(raw);
  else if (typeof raw === 'string' && INTEGER_TEXT.test(raw)) v = Number(raw);
  else throw wrongKind(raw, s.type, device, resource);
  if (!Number.isInteger(v)) throw valueError(device, resource, `the driver returned ${show(raw)}, which is not a whole ${s.type}`);
  if (v < s.min || v > s.max) throw valueError(device, resource, `overflow: the driver returned ${show(raw)}, outside ${rangeText(s)}`);
  return v + 0;
}

export function rawWide(raw: RawValue, s: IntegerSpec, device: string, resource: string): bigint {
  let v: bigint;
  if (typeof raw === 'bigint') v = raw;
  else if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) throw valueError(device, resource, `the driver returned ${show(raw)}, which is not a whole ${s.type}`);
    v = BigInt(raw);
  } else if (typeof raw === 'string' && INTEGER_TEXT.test(raw)) v = BigInt(raw);
  else throw wrongKind(raw, s.type, device, resource);
  if (v < s.minBig || v > s.maxBig) throw valueError(device, resource, `overflow: the driver returned ${show(raw)}, outside ${rangeText(s)}`);
  return v;
}

/** NaN and infinities pass: the caller applies the NaN policy, transforms the infinity rule. */
export function rawFloat(raw: RawValue, f32: boolean, device: string, resource: string): number {
  let v: number | undefined;
  if (typeof raw === 'number') v = raw;
  else if (typeof raw === 'bigint') v = Number(raw);
  else if (typeof raw === 'string') v = floatFromText(raw);
  if (v === undefined) throw wrongKind(raw, f32 ? 'Float32' : 'Float64', device, resource);
  if (!f32) return v;
  if (Number.isFinite(v) && Math.abs(v) > MAX_FLOAT32) {
    throw valueError(device, resource, `overflow: the driver returned ${show(raw)}, outside Float32`);
  }
  return Math.fround(v);
}

export function rawBool(raw: RawValue, device: string, resource: string): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === 0 || raw === 1) return raw === 1; // a coil or a bit read as a number
  const b = typeof raw === 'string' ? BOOL_TEXT.get(raw) : undefined;
  if (b === undefined) throw wrongKind(raw, 'Bool', device, resource);
  return b;
}

export function rawString(raw: RawValue, device: string, resource: string): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean') return String(raw);
  throw wrongKind(raw, 'String', device, resource);
}

/** Plain arrays and typed arrays (a Uint8Array for Uint8Array, a Float32Array for Float32Array...). */
export function rawList(raw: RawValue, valueType: string, device: string, resource: string): ArrayLike<unknown> {
  if (Array.isArray(raw)) return raw;
  if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) return raw as unknown as ArrayLike<unknown>;
  throw wrongKind(raw, valueType, device, resource);
}

export function rawBytes(raw: RawValue, device: string, resource: string): Uint8Array {
  if (raw instanceof Uint8Array) return raw;
  throw wrongKind(raw, 'Binary (a Uint8Array)', device, resource);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function wrongKind(raw: unknown, expected: string, device: string, resource: string) {
  return valueError(device, resource, `the driver returned ${show(raw)}, which is not a valid ${expected}`);
}
