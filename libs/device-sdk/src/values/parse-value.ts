/**
 * A value as EdgeX sends it in a SET request (text, or JSON for arrays and
 * objects; numbers and booleans from a JSON body are read as their text, as
 * the Go SDK's fmt.Sprint does) -> the typed value, before any transform.
 * Text is judged by the same `valueProblem` that metadata applies to a
 * profile's defaultValue, so whatever a profile may declare can be written.
 * Also used by drivers to read typed values out of their own attributes.
 */
import { ErrorKind, GatewayError, ValueType, valueProblem } from '@gw/contracts';
import { RawValue } from '../driver/protocol-driver';
import { elementType, integerSpec } from './numeric-types';
import { boolFromText, floatFromText, isPlainObject } from './raw-values';
import { show } from './value-error';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;

/** Throws GatewayError ContractInvalid with a message naming the value and the type (the caller adds device and resource). */
export function parseValue(input: unknown, valueType: ValueType): RawValue {
  if (input === undefined || input === null) throw invalid(`a value is required for ${valueType}`);
  switch (valueType) {
    case 'String':
      return scalarText(input, valueType);
    case 'Binary':
      return bytesFrom(input);
    case 'Object':
      return objectFrom(input);
    case 'ObjectArray':
      return objectArrayFrom(input);
  }
  const element = elementType(valueType);
  return element ? listFrom(input, valueType, element) : scalarFrom(scalarText(input, valueType), valueType);
}

function scalarText(input: unknown, valueType: ValueType): string {
  if (typeof input === 'string') return input;
  if (typeof input === 'number' || typeof input === 'boolean' || typeof input === 'bigint') return String(input);
  throw invalid(`${show(input)} is not a valid ${valueType}`);
}

/** Bool, integers (bigint for 64-bit), floats (Float32 rounded to float32). */
function scalarFrom(text: string, valueType: ValueType): boolean | number | bigint {
  if (text.trim() === '') throw invalid(`an empty value is not a valid ${valueType}`);
  const problem = valueProblem(valueType, text);
  if (problem) throw invalid(problem);
  if (valueType === 'Bool') return boolFromText(text) as boolean;
  const spec = integerSpec(valueType);
  if (spec) return spec.wide ? BigInt(text) : Number(text) + 0;
  const v = floatFromText(text) as number;
  if (v !== v) throw invalid(`NaN is not a value that can be written to a ${valueType}`);
  return valueType === 'Float32' ? Math.fround(v) : v;
}

function listFrom(input: unknown, valueType: ValueType, element: ValueType): unknown[] {
  let items: unknown[];
  if (Array.isArray(input)) items = input;
  else if (typeof input === 'string') items = listItemsOfText(input, valueType, element);
  else throw invalid(`${show(input)} is not a valid ${valueType}`);
  return items.map((item, i) => {
    try {
      if (element === 'String') {
        if (typeof item !== 'string') throw invalid(`${show(item)} is not a string`);
        return item;
      }
      return scalarFrom(scalarText(item, element), element);
    } catch (err) {
      throw GatewayError.is(err) ? invalid(`${valueType} item ${i}: ${err.message}`) : err;
    }
  });
}

/** Numeric lists as EdgeX reads them (`[1, 2, 3]`, brackets optional); Bool and String lists as JSON. */
function listItemsOfText(text: string, valueType: ValueType, element: ValueType): unknown[] {
  if (text.trim() === '') throw invalid(`an empty value is not a valid ${valueType}`);
  if (element === 'Bool' || element === 'String') {
    const problem = valueProblem(valueType, text);
    if (problem) throw invalid(problem);
    return JSON.parse(text) as unknown[];
  }
  const inner = text.trim().replace(/^\[/u, '').replace(/\]$/u, '').trim();
  return inner === '' ? [] : inner.split(',').map((item) => item.trim());
}

function objectFrom(input: unknown): Record<string, unknown> {
  const value = typeof input === 'string' ? jsonOf(input) : input;
  if (isPlainObject(value)) return value;
  throw invalid(`${show(input)} is not a JSON object`);
}

function objectArrayFrom(input: unknown): Record<string, unknown>[] {
  const value = typeof input === 'string' ? jsonOf(input) : input;
  if (Array.isArray(value) && value.every(isPlainObject)) return value;
  throw invalid(`${show(input)} is not a JSON array of objects`);
}

function bytesFrom(input: unknown): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string' && BASE64.test(input)) return Buffer.from(input, 'base64');
  throw invalid(`${show(input)} is not base64 for a Binary value`);
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function invalid(message: string): GatewayError {
  return new GatewayError(ErrorKind.ContractInvalid, message);
}
