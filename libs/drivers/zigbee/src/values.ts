/**
 * Converter values ↔ resource values: a Bool resource maps the converter's
 * value_on/value_off (`"ON"`/`"OFF"`, `true`/`false`), numbers are numbers
 * (rounded for integer types), String and Object pass as they are.
 */
import type { ValueType } from '@gw/contracts';
import type { RawValue } from '@gw/device-sdk/driver';
import type { ZigbeePoint } from './attributes';

const INTEGER = new Set<ValueType>(['Int8', 'Int16', 'Int32', 'Int64', 'Uint8', 'Uint16', 'Uint32', 'Uint64']);
const FLOAT = new Set<ValueType>(['Float32', 'Float64']);

/** A converter's value as the resource's type, or undefined when it cannot be one (counted by the caller). */
export function toResourceValue(point: ZigbeePoint, valueType: ValueType, value: unknown): RawValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (valueType === 'Bool') {
    if (point.valueOn !== undefined && value === point.valueOn) return true;
    if (point.valueOff !== undefined && value === point.valueOff) return false;
    if (typeof value === 'boolean') return value;
    if (value === 'ON' || value === 'OPEN' || value === 'LOCK') return true;
    if (value === 'OFF' || value === 'CLOSE' || value === 'UNLOCK') return false;
    return undefined;
  }
  if (INTEGER.has(valueType) || FLOAT.has(valueType)) {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(n)) return undefined;
    return INTEGER.has(valueType) ? Math.round(n) : n;
  }
  if (valueType === 'String') return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (valueType === 'Object') return typeof value === 'object' ? (value as Record<string, unknown>) : { value };
  return value as RawValue;
}

/** A value the SDK hands to write, as the converter takes it. */
export function toConverterValue(point: ZigbeePoint, valueType: ValueType, value: RawValue): unknown {
  if (valueType === 'Bool') {
    const on = value === true || value === 'true';
    if (on) return point.valueOn ?? 'ON';
    return point.valueOff ?? 'OFF';
  }
  if (typeof value === 'bigint') return Number(value);
  return value;
}
