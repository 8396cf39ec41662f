/**
 * Whether a text value (a profile's defaultValue, a SET request's parameter)
 * can stand for a given valueType, read the way EdgeX's device SDK reads it:
 * Go's strconv for scalars (so `1`/`0`/`t`/`F` are Bools), a bracketed
 * comma list for numeric arrays, JSON for the other arrays and objects.
 */
import { ValueType } from './models';

/** strconv.ParseBool's spellings. */
const BOOLS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);
const SIGNED = /^[+-]?\d+$/u;
const UNSIGNED = /^\d+$/u;
const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/u;
const FLOAT_SPECIAL = /^[+-]?(inf|infinity|nan)$/iu;
const FLOAT32_MAX = 3.4028234663852886e38;

const signed = (bits: bigint) => [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n] as const;
const unsigned = (bits: bigint) => [0n, 2n ** bits - 1n] as const;
const INTEGER_RANGES: Partial<Record<ValueType, readonly [bigint, bigint]>> = {
  Int8: signed(8n),
  Int16: signed(16n),
  Int32: signed(32n),
  Int64: signed(64n),
  Uint8: unsigned(8n),
  Uint16: unsigned(16n),
  Uint32: unsigned(32n),
  Uint64: unsigned(64n),
};

/** Why `text` is not a valid `valueType`, or undefined when it is. */
export function valueProblem(valueType: ValueType, text: string): string | undefined {
  switch (valueType) {
    case 'String':
    case 'Binary': // Binary resources are read-only in EdgeX: nothing to write
      return undefined;
    case 'StringArray':
      return jsonProblem(text, valueType, (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'));
    case 'BoolArray':
      return jsonProblem(text, valueType, (v) => Array.isArray(v) && v.every((b) => typeof b === 'boolean'));
    case 'Object':
      return jsonProblem(text, valueType, isObject);
    case 'ObjectArray':
      return jsonProblem(text, valueType, (v) => Array.isArray(v) && v.every(isObject));
    default:
      return valueType.endsWith('Array')
        ? numericListProblem(valueType.slice(0, -'Array'.length) as ValueType, text)
        : scalarProblem(valueType, text);
  }
}

function scalarProblem(valueType: ValueType, text: string): string | undefined {
  if (valueType === 'Bool') return BOOLS.has(text) ? undefined : `"${text}" is not a valid Bool (true or false)`;
  const range = INTEGER_RANGES[valueType];
  if (range) {
    if (!(valueType.startsWith('U') ? UNSIGNED : SIGNED).test(text)) return `"${text}" is not a valid ${valueType}`;
    const n = BigInt(text);
    return n < range[0] || n > range[1] ? `${text} is out of range for ${valueType} (${range[0]}..${range[1]})` : undefined;
  }
  if (FLOAT_SPECIAL.test(text)) return undefined;
  if (!FLOAT.test(text)) return `"${text}" is not a valid ${valueType}`;
  const max = valueType === 'Float32' ? FLOAT32_MAX : Number.MAX_VALUE;
  return Math.abs(Number(text)) > max ? `${text} is out of range for ${valueType}` : undefined;
}

/** `[1, 2, 3]` (brackets optional, as the SDK trims them); each element checked on its own. */
function numericListProblem(element: ValueType, text: string): string | undefined {
  const inner = text.trim().replace(/^\[/u, '').replace(/\]$/u, '').trim();
  if (inner === '') return undefined;
  for (const item of inner.split(',')) {
    const problem = scalarProblem(element, item.trim());
    if (problem) return `${element}Array element ${problem}`;
  }
  return undefined;
}

function jsonProblem(text: string, valueType: ValueType, fits: (value: unknown) => boolean): string | undefined {
  try {
    if (fits(JSON.parse(text))) return undefined;
  } catch {
    // not JSON at all: same answer as JSON of the wrong shape
  }
  return `"${text}" is not a JSON ${valueType === 'Object' ? 'object' : `array for ${valueType}`}`;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
