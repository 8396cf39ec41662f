/**
 * Reading values as text, the way EdgeX's go-mod-core-contracts writes them,
 * so a consumer that parses EdgeX readings parses ours.
 *
 * Floats: EdgeX 3.1 wrote `fmt.Sprintf("%e")` (always 6 decimals, so 0.1234567
 * came out as 1.234567e-01 and 12345678 lost digits); EdgeX 4 fixed that with
 * `strconv.FormatFloat(v, 'e', -1, bitSize)`: the shortest mantissa that reads
 * back to the same float32/float64, e.g. 21.5 -> "2.15e+01", 1 -> "1e+00".
 * We write the EdgeX 4 form: it has the same shape, every EdgeX 3 parser
 * reads it, and it never loses precision (a written value reads back equal).
 * Go's spellings of the specials: "NaN", "+Inf", "-Inf".
 */

export function formatFloat64(v: number): string {
  if (!Number.isFinite(v) || v === 0) return special(v);
  return goExponent(v.toExponential());
}

/** `v` must already be a float32 value (Math.fround). */
export function formatFloat32(v: number): string {
  if (!Number.isFinite(v) || v === 0) return special(v);
  // The fewest significant digits (1..9) that read back as the same float32.
  // Monotone (a digit more is never farther away), so a binary search finds it.
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(v.toExponential(mid - 1))) === v) hi = mid;
    else lo = mid + 1;
  }
  return goExponent(v.toExponential(lo - 1));
}

function special(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return Object.is(v, -0) ? '-0e+00' : '0e+00';
}

/** JS writes `2.15e+1`, Go `2.15e+01`: the exponent has at least two digits. */
function goExponent(js: string): string {
  const e = js.indexOf('e');
  return js.length - e - 2 >= 2 ? js : js.slice(0, e + 2) + '0' + js.slice(e + 2);
}
