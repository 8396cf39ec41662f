/**
 * The numeric value types as the transforms see them. Integers up to 32 bits
 * travel as JS numbers (exact); Int64/Uint64 travel as bigint so a counter
 * near 2^63 keeps every digit, as in Go.
 */
import { ValueType } from '@gw/contracts';

export interface IntegerSpec {
  readonly type: ValueType;
  readonly bits: number;
  readonly signed: boolean;
  /** 64-bit: carried as bigint. */
  readonly wide: boolean;
  readonly min: number;
  readonly max: number;
  readonly minBig: bigint;
  readonly maxBig: bigint;
}

function spec(type: ValueType, bits: number, signed: boolean): IntegerSpec {
  const minBig = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const maxBig = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  return { type, bits, signed, wide: bits === 64, min: Number(minBig), max: Number(maxBig), minBig, maxBig };
}

const INTEGERS: Partial<Record<ValueType, IntegerSpec>> = {
  Uint8: spec('Uint8', 8, false),
  Uint16: spec('Uint16', 16, false),
  Uint32: spec('Uint32', 32, false),
  Uint64: spec('Uint64', 64, false),
  Int8: spec('Int8', 8, true),
  Int16: spec('Int16', 16, true),
  Int32: spec('Int32', 32, true),
  Int64: spec('Int64', 64, true),
};

/** The integer spec of a scalar (`Int16`) or of an array's elements (`Int16Array`). */
export function integerSpec(valueType: ValueType): IntegerSpec | undefined {
  return INTEGERS[valueType];
}

/** Largest finite float32 (Go's math.MaxFloat32). */
export const MAX_FLOAT32 = 3.4028234663852886e38;

export const isFloatType = (valueType: ValueType): boolean => valueType === 'Float32' || valueType === 'Float64';

export function isNumericScalar(valueType: ValueType): boolean {
  return INTEGERS[valueType] !== undefined || isFloatType(valueType);
}

/** `Int16Array` -> `Int16`; undefined for a scalar type and for Object/ObjectArray. */
export function elementType(valueType: ValueType): ValueType | undefined {
  return ELEMENTS[valueType];
}

// A table, so the per-reading lookup allocates no string.
const ELEMENTS: Partial<Record<ValueType, ValueType>> = {
  BoolArray: 'Bool',
  StringArray: 'String',
  Uint8Array: 'Uint8',
  Uint16Array: 'Uint16',
  Uint32Array: 'Uint32',
  Uint64Array: 'Uint64',
  Int8Array: 'Int8',
  Int16Array: 'Int16',
  Int32Array: 'Int32',
  Int64Array: 'Int64',
  Float32Array: 'Float32',
  Float64Array: 'Float64',
};

export function rangeText(s: IntegerSpec): string {
  return `${s.type} (${s.minBig}..${s.maxBig})`;
}
