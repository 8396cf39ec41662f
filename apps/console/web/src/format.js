/** A reading's or event's origin (nanoseconds since the epoch, EdgeX) as local time. */
export function timeOf(origin) {
  if (!origin) return '';
  const ms = origin > 1e15 ? origin / 1e6 : origin;
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

export function dateTimeOf(origin) {
  if (!origin) return '';
  const ms = origin > 1e15 ? origin / 1e6 : origin;
  return new Date(ms).toLocaleString(undefined, { hour12: false });
}

const NUMERIC = /^(Int|Uint|Float)(8|16|32|64)$/;
export const isNumeric = (valueType) => NUMERIC.test(valueType ?? '');

/** A numeric reading as a person reads it: EdgeX sends floats as `3.211288e+01`. */
export function numberText(value, valueType) {
  const n = Number(value);
  if (!isNumeric(valueType) || value === '' || !Number.isFinite(n) || !/^Float/.test(valueType)) return value;
  if (n !== 0 && (Math.abs(n) >= 1e9 || Math.abs(n) < 1e-4)) return n.toExponential(3);
  return String(Number(n.toFixed(Math.abs(n) >= 100 ? 1 : 3)));
}

/** Long values (arrays, objects, binary) shortened for a table cell. */
export function shown(value) {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
