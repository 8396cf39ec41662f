/**
 * The values of a DMI `CustomizedValue` (protocol and visitor configData).
 * edgecore wraps each CRD value in a google.protobuf wrapper inside an Any
 * (edge/pkg/devicetwin/dtcommon/util.go dataToAny: string -> StringValue,
 * integers -> Int32Value or Int64Value, numbers -> FloatValue, bool ->
 * BoolValue); this file reads and writes those few messages by hand, so no
 * protobuf runtime is needed for them.
 */
import type { CustomizedValue, DmiAny } from './dmi-types';

const PREFIX = 'type.googleapis.com/google.protobuf.';

const WRAPPER_NAMES = ['StringValue', 'BytesValue', 'BoolValue', 'Int32Value', 'Int64Value', 'UInt32Value', 'UInt64Value', 'FloatValue', 'DoubleValue'] as const;
type Wrapper = (typeof WRAPPER_NAMES)[number];
const WRAPPERS: ReadonlySet<string> = new Set(WRAPPER_NAMES);

/** The plain value inside a wrapper Any; throws naming the type it cannot read. */
export function decodeAny(any: DmiAny): string | number | boolean {
  const wrapper = any.type_url.startsWith(PREFIX) ? any.type_url.slice(PREFIX.length) : '';
  if (!WRAPPERS.has(wrapper)) {
    throw new Error(`unsupported value type ${any.type_url || '(none)'}: expected a google.protobuf wrapper (StringValue, Int32Value, FloatValue, BoolValue...)`);
  }
  const bytes = Buffer.from(any.value ?? []);
  const field = readField(bytes);
  switch (wrapper as Wrapper) {
    case 'StringValue':
      return field ? bytes.subarray(field.start, field.end).toString('utf8') : '';
    case 'BytesValue':
      return field ? bytes.subarray(field.start, field.end).toString('base64') : '';
    case 'BoolValue':
      return field ? field.varint !== 0n : false;
    case 'Int32Value':
      return field ? Number(BigInt.asIntN(32, field.varint ?? 0n)) : 0;
    case 'Int64Value':
      return field ? Number(BigInt.asIntN(64, field.varint ?? 0n)) : 0;
    case 'UInt32Value':
    case 'UInt64Value':
      return field ? Number(field.varint ?? 0n) : 0;
    case 'FloatValue':
      // A float32 carries about 7 significant digits: 0.1 stays 0.1, not 0.10000000149.
      return field ? Number(bytes.readFloatLE(field.start).toPrecision(7)) : 0;
    case 'DoubleValue':
      return field ? bytes.readDoubleLE(field.start) : 0;
  }
}

/** A plain value as edgecore sends it: strings, integers (Int64Value), other numbers (DoubleValue), booleans. */
export function encodeAny(value: unknown): DmiAny {
  if (typeof value === 'boolean') return wrap('BoolValue', value ? varintField(1n) : Buffer.alloc(0));
  if (typeof value === 'number' && Number.isInteger(value)) return wrap('Int64Value', value === 0 ? Buffer.alloc(0) : varintField(BigInt.asUintN(64, BigInt(value))));
  if (typeof value === 'number') {
    const body = Buffer.alloc(9);
    body[0] = 0x09;
    body.writeDoubleLE(value, 1);
    return wrap('DoubleValue', body);
  }
  const text = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
  return wrap('StringValue', text.length === 0 ? text : Buffer.concat([Buffer.from([0x0a]), varint(BigInt(text.length)), text]));
}

/** A configData map as plain values; a value of a type it cannot read is left out and named in `problems`. */
export function decodeConfigData(config: CustomizedValue | null | undefined, where: string, problems: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, any] of Object.entries(config?.data ?? {})) {
    try {
      out[key] = decodeAny(any);
    } catch (err) {
      problems.push(`${where}.${key}: ${(err as Error).message}`);
    }
  }
  return out;
}

export function encodeConfigData(values: Record<string, unknown> | undefined): CustomizedValue {
  return { data: Object.fromEntries(Object.entries(values ?? {}).map(([key, value]) => [key, encodeAny(value)])) };
}

function wrap(wrapper: Wrapper, value: Buffer): DmiAny {
  return { type_url: PREFIX + wrapper, value };
}

/** The wrapper's field 1 (the only one): where its bytes are, or its varint. Undefined when absent (the default value). */
function readField(bytes: Buffer): { start: number; end: number; varint?: bigint } | undefined {
  if (bytes.length === 0) return undefined;
  const tag = bytes[0];
  const wireType = tag & 7;
  if (tag >> 3 !== 1) throw new Error(`unexpected field ${tag >> 3} in a wrapper value`);
  if (wireType === 0) return { start: 1, end: bytes.length, varint: readVarint(bytes, 1).value };
  if (wireType === 1) return { start: 1, end: 9 };
  if (wireType === 5) return { start: 1, end: 5 };
  if (wireType === 2) {
    const { value: length, next } = readVarint(bytes, 1);
    return { start: next, end: next + Number(length) };
  }
  throw new Error(`unexpected wire type ${wireType} in a wrapper value`);
}

function readVarint(bytes: Buffer, offset: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = offset; i < bytes.length; i++) {
    value |= BigInt(bytes[i] & 0x7f) << shift;
    if ((bytes[i] & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  throw new Error('truncated varint in a wrapper value');
}

function varint(value: bigint): Buffer {
  const out: number[] = [];
  let rest = value;
  do {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(rest === 0n ? byte : byte | 0x80);
  } while (rest !== 0n);
  return Buffer.from(out);
}

function varintField(value: bigint): Buffer {
  return Buffer.concat([Buffer.from([0x08]), varint(value)]);
}
