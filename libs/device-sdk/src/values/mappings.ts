/**
 * resourceOperation `mappings` (EdgeX): a GET turns the device's text into
 * the operator's (`"1": "ON"`), a SET turns it back. Unmapped values pass.
 *
 * EdgeX matches mapping keys against Go's `%v` of the value ("21.5"), while
 * a float reading reads "2.15e+01"; so a float reading that matches no key
 * as text is matched by number, and float keys written either way work.
 */
const GO_FLOAT = /^[+-]?\d(\.\d+)?e[+-]\d\d+$/u;

export function mapForRead(value: string, mappings?: Record<string, string>): string {
  if (mappings === undefined) return value;
  if (Object.hasOwn(mappings, value)) return mappings[value];
  if (!GO_FLOAT.test(value)) return value;
  const n = Number(value);
  for (const key in mappings) {
    if (Object.hasOwn(mappings, key) && key.trim() !== '' && Number(key) === n) return mappings[key];
  }
  return value;
}

/** The first key whose mapped text is `value` (EdgeX iterates a Go map, so which of several equal values wins is unspecified there). */
export function mapForWrite(value: string, mappings?: Record<string, string>): string {
  if (mappings === undefined) return value;
  for (const key in mappings) {
    if (Object.hasOwn(mappings, key) && mappings[key] === value) return key;
  }
  return value;
}
