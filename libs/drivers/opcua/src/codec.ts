/**
 * OPC UA values <-> what the SDK reads and writes, per the profile's
 * valueType. Beyond EdgeX's scalars: arrays of every type, Int64/UInt64 exact
 * as bigint (node-opcua carries them as [high, low] uint32 words), DateTime
 * (ISO text for String resources, ms since the epoch for numbers), ByteString
 * as Binary. Writes use the node's declared DataType when the server told us
 * (so a Float64 resource writes a Float node as Float), else the valueType's.
 * Loaded with node-opcua, never before the first device.
 */
import { ErrorKind, GatewayError, ValueType } from '@gw/contracts';
import type { RawValue } from '@gw/device-sdk/driver';
import { DataType, Variant, VariantArrayType, VariantOptions } from 'node-opcua-client';

const BY_VALUE_TYPE: Record<string, DataType> = {
  Bool: DataType.Boolean,
  String: DataType.String,
  Uint8: DataType.Byte,
  Uint16: DataType.UInt16,
  Uint32: DataType.UInt32,
  Uint64: DataType.UInt64,
  Int8: DataType.SByte,
  Int16: DataType.Int16,
  Int32: DataType.Int32,
  Int64: DataType.Int64,
  Float32: DataType.Float,
  Float64: DataType.Double,
  Binary: DataType.ByteString,
  Object: DataType.ExtensionObject,
};

const INTEGER_RANGE: Partial<Record<DataType, [bigint, bigint]>> = {
  [DataType.SByte]: [-128n, 127n],
  [DataType.Byte]: [0n, 255n],
  [DataType.Int16]: [-32768n, 32767n],
  [DataType.UInt16]: [0n, 65535n],
  [DataType.Int32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [DataType.UInt32]: [0n, 2n ** 32n - 1n],
  [DataType.Int64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [DataType.UInt64]: [0n, 2n ** 64n - 1n],
};

/** The element valueType of an array valueType (`Int64Array` -> `Int64`), or undefined for scalars. */
export function elementOf(valueType: ValueType): ValueType | undefined {
  if (valueType === 'Uint8Array') return 'Uint8';
  return valueType.endsWith('Array') ? (valueType.slice(0, -'Array'.length) as ValueType) : undefined;
}

/** The OPC UA DataType a valueType writes as when the node's own is not known (or abstract). */
export function dataTypeOf(valueType: ValueType): DataType {
  return BY_VALUE_TYPE[elementOf(valueType) ?? valueType] ?? DataType.Variant;
}

/** Whether a DataType is concrete enough to write with (not BaseDataType, Number, Integer, UInteger...). */
export function isConcrete(dataType: DataType | undefined): dataType is DataType {
  return dataType !== undefined && dataType >= DataType.Boolean && dataType <= DataType.DiagnosticInfo && dataType !== DataType.Variant;
}

const int64Words = (v: bigint): [number, number] => {
  const u = BigInt.asUintN(64, v);
  return [Number(u >> 32n), Number(u & 0xffffffffn)];
};
const wordsToBigInt = (w: unknown, signed: boolean): bigint => {
  if (typeof w === 'bigint') return w;
  if (typeof w === 'number') return BigInt(w);
  const [high, low] = w as [number, number];
  const u = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return signed ? BigInt.asIntN(64, u) : u;
};

/** One element of a Variant as a plain JS value (before the valueType decides its final form). */
function plain(value: unknown, dataType: DataType): unknown {
  if (value === null || value === undefined) return value;
  switch (dataType) {
    case DataType.Int64:
      return wordsToBigInt(value, true);
    case DataType.UInt64:
      return wordsToBigInt(value, false);
    case DataType.ByteString:
      return new Uint8Array(value as Uint8Array);
    case DataType.LocalizedText:
      return (value as { text?: string | null }).text ?? '';
    case DataType.QualifiedName:
      return (value as { name?: string | null }).name ?? '';
    case DataType.NodeId:
    case DataType.ExpandedNodeId:
    case DataType.Guid:
    case DataType.XmlElement:
      return String(value);
    case DataType.StatusCode:
      return (value as { name: string }).name;
    case DataType.ExtensionObject: {
      const ext = value as { toJSON?: () => unknown };
      return typeof ext.toJSON === 'function' ? ext.toJSON() : value;
    }
    default:
      return value;
  }
}

/** A plain value in the form its resource's (element) valueType reads. */
function shape(value: unknown, valueType: ValueType): RawValue {
  if (value instanceof Date) {
    if (valueType === 'String') return value.toISOString();
    const ms = value.getTime();
    return valueType === 'Int64' || valueType === 'Uint64' ? BigInt(ms) : ms;
  }
  if (valueType === 'String' && typeof value !== 'string') {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
    if (typeof value === 'object' && value !== null) return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    return String(value);
  }
  if (valueType === 'Binary' && typeof value === 'string') return new Uint8Array(Buffer.from(value, 'utf8'));
  if (valueType === 'Object' && (typeof value !== 'object' || value === null)) return { value: value as RawValue } as Record<string, unknown>;
  return value as RawValue;
}

/** A Variant as the value of a resource of `valueType`. */
export function decodeVariant(variant: Variant, valueType: ValueType): RawValue {
  const element = elementOf(valueType);
  const { dataType, arrayType } = variant;
  if (arrayType === VariantArrayType.Scalar || arrayType === undefined) {
    const v = plain(variant.value, dataType);
    // A ByteString read into a Uint8Array resource is its bytes.
    if (element === 'Uint8' && v instanceof Uint8Array) return [...v];
    if (element) return [shape(v, element)];
    return shape(v, valueType);
  }
  const items: unknown[] = Array.from(variant.value as ArrayLike<unknown>, (item) => plain(item, dataType));
  if (!element) {
    // An array read into a scalar resource: text as JSON, Binary from bytes, Object as { value: [...] }.
    if (valueType === 'Binary' && dataType === DataType.Byte) return new Uint8Array(items as number[]);
    if (valueType === 'Object') return { value: items as RawValue[] };
    return shape(items, valueType);
  }
  return items.map((item) => shape(item, element)) as RawValue;
}

function toNumber(value: RawValue, what: () => string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  throw new GatewayError(ErrorKind.ContractInvalid, `${what()}: ${JSON.stringify(String(value))} is not a number`);
}

function toBigInt(value: RawValue, what: () => string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) return BigInt(value.trim());
  throw new GatewayError(ErrorKind.ContractInvalid, `${what()}: ${JSON.stringify(String(value))} is not a whole number`);
}

/** One element coerced to `dataType`; `what` names device, resource and node for errors. */
export function coerceElement(value: RawValue, dataType: DataType, what: () => string): unknown {
  const range = INTEGER_RANGE[dataType];
  if (range) {
    const n = toBigInt(value, what);
    if (n < range[0] || n > range[1]) {
      throw new GatewayError(ErrorKind.ContractInvalid, `${what()}: ${n} is outside ${DataType[dataType]} (${range[0]}..${range[1]})`);
    }
    return dataType === DataType.Int64 || dataType === DataType.UInt64 ? int64Words(n) : Number(n);
  }
  switch (dataType) {
    case DataType.Boolean:
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1 || value === 0n || value === 1n) return Number(value) === 1;
      if (typeof value === 'string' && /^(true|false|1|0)$/i.test(value.trim())) return /^(true|1)$/i.test(value.trim());
      throw new GatewayError(ErrorKind.ContractInvalid, `${what()}: ${JSON.stringify(String(value))} is not a Boolean`);
    case DataType.Float:
    case DataType.Double:
      return toNumber(value, what);
    case DataType.String:
      return typeof value === 'string' ? value : String(value);
    case DataType.DateTime: {
      const date = typeof value === 'string' && !/^[+-]?\d+$/.test(value.trim()) ? new Date(value) : new Date(toNumber(value, what));
      if (Number.isNaN(date.getTime())) throw new GatewayError(ErrorKind.ContractInvalid, `${what()}: ${JSON.stringify(String(value))} is not a date`);
      return date;
    }
    case DataType.ByteString:
      if (value instanceof Uint8Array) return Buffer.from(value);
      if (typeof value === 'string') return Buffer.from(value, 'base64');
      if (Array.isArray(value)) return Buffer.from(value as number[]);
      throw new GatewayError(ErrorKind.ContractInvalid, `${what()}: a ByteString needs bytes`);
    case DataType.LocalizedText:
      return { text: String(value) };
    case DataType.Guid:
    case DataType.NodeId:
    case DataType.XmlElement:
      return String(value);
    default:
      throw new GatewayError(ErrorKind.NotAllowed, `${what()}: writing a ${DataType[dataType]} is not supported`);
  }
}

/**
 * What to write for a resource: the node's DataType when known and concrete,
 * else the valueType's; an array for array valueTypes (or array nodes), with
 * the scalar arrayType spelled out (node-opcua needs it for 64-bit words).
 */
export function encodeVariant(value: RawValue, valueType: ValueType, nodeDataType: DataType | undefined, what: () => string): VariantOptions {
  const dataType = isConcrete(nodeDataType) ? nodeDataType : dataTypeOf(valueType);
  const element = elementOf(valueType);
  // Bytes into a ByteString node (EdgeX's Binary is read-only: a Uint8Array resource writes it).
  if (dataType === DataType.ByteString && (value instanceof Uint8Array || Array.isArray(value))) {
    return { dataType, arrayType: VariantArrayType.Scalar, value: coerceElement(value, dataType, what) };
  }
  if (element) {
    const items = value instanceof Uint8Array ? [...value] : Array.isArray(value) ? (value as RawValue[]) : undefined;
    if (!items) throw new GatewayError(ErrorKind.ContractInvalid, `${what()}: ${valueType} needs a list of values`);
    const coerced = items.map((item, i) => coerceElement(item, dataType, () => `${what()} item ${i}`));
    return { dataType, arrayType: VariantArrayType.Array, value: typedArray(dataType, coerced) };
  }
  return { dataType, arrayType: VariantArrayType.Scalar, value: coerceElement(value, dataType, what) };
}

/** A method's input argument, given as text (EdgeX's inputMap), coerced to its declared DataType and rank. */
export function coerceInput(text: string, dataType: DataType, isArray: boolean, what: () => string): VariantOptions {
  const concrete = isConcrete(dataType) ? dataType : DataType.String;
  if (!isArray) return { dataType: concrete, arrayType: VariantArrayType.Scalar, value: coerceElement(text, concrete, what) };
  let items: RawValue[];
  const wide = concrete === DataType.Int64 || concrete === DataType.UInt64;
  // 64-bit integers: split the text, since JSON.parse would round past 2^53 before they become bigints.
  const list = wide ? /^\s*\[([^[\]{}]*)\]\s*$/.exec(text) : null;
  if (list) {
    items = list[1].trim() === '' ? [] : list[1].split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
    const coerced64 = items.map((item, i) => coerceElement(item, concrete, () => `${what()} item ${i}`));
    return { dataType: concrete, arrayType: VariantArrayType.Array, value: coerced64 };
  }
  try {
    const parsed: unknown = JSON.parse(text);
    items = Array.isArray(parsed) ? (parsed as RawValue[]) : [parsed as RawValue];
  } catch {
    items = text.split(',').map((s) => s.trim());
  }
  const coerced = items.map((item, i) => coerceElement(typeof item === 'object' && item !== null ? JSON.stringify(item) : item, concrete, () => `${what()} item ${i}`));
  return { dataType: concrete, arrayType: VariantArrayType.Array, value: typedArray(concrete, coerced) };
}

const TYPED_ARRAYS: Partial<Record<DataType, new (items: number[]) => ArrayLike<number>>> = {
  [DataType.SByte]: Int8Array,
  [DataType.Byte]: Uint8Array,
  [DataType.Int16]: Int16Array,
  [DataType.UInt16]: Uint16Array,
  [DataType.Int32]: Int32Array,
  [DataType.UInt32]: Uint32Array,
  [DataType.Float]: Float32Array,
  [DataType.Double]: Float64Array,
};

/** node-opcua encodes arrays of these numeric types only from typed arrays. */
export function typedArray(dataType: DataType, items: unknown[]): unknown {
  const Typed = TYPED_ARRAYS[dataType];
  return Typed ? new Typed(items as number[]) : items;
}
