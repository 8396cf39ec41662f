/**
 * EdgeX's numeric transforms (device-sdk-go internal/transformer, v4 / ADR
 * 0011 semantics, which our DESIGN follows):
 *
 *   read:  mask -> shift -> base -> scale -> offset
 *          (v & mask, v >> shift (a negative shift shifts left), base^v, v * scale, v + offset)
 *   write: offset -> scale -> base -> shift -> mask
 *          (v - offset, v / scale, log_base(v), v << shift, v & mask; the mask is
 *          applied again, not reversed: the bits outside it are simply not written)
 *
 * mask and shift apply to integers only; a property at its neutral value
 * (mask 0, shift 0, base 0, scale 1, offset 0) is skipped, as in EdgeX.
 * After each arithmetic step the result must still fit the valueType: a
 * whole number in range for integers, finite for Float64, |v| <= MaxFloat32
 * for Float32; otherwise the value overflows (EdgeX's KindOverflowError).
 *
 * Where we differ from device-sdk-go, on purpose:
 * - integer results within 1e-9 (relative) of a whole number count as whole:
 *   23 / 0.1 is 229.99999999999997 in binary floating point, which EdgeX
 *   reports as overflow although the operator meant 230;
 * - integers are scaled exactly (Go multiplies by the scale truncated to the
 *   integer type, so 4 * 0.5 gave 0); 64-bit values with whole factors are
 *   computed in bigint, without float rounding;
 * - a left shift that pushes bits out of the type is an overflow (Go wraps
 *   silently and would write a different value than the one asked for).
 * EdgeX 3.x shifted the other way (positive = left) and ignored mask/shift
 * for signed types and on writes; EdgeX 4 fixed both, and we follow it.
 */
import { ResourceProperties } from '@gw/contracts';
import { IntegerSpec, MAX_FLOAT32, rangeText } from './numeric-types';
import { valueError } from './value-error';

/** Relative distance to a whole number still taken as that number. */
const WHOLE_EPSILON = 1e-9;

type Direction = 'read' | 'write';

/** True when any transform is set to a non-neutral value; lets the hot path skip the rest. */
export function hasTransforms(p: ResourceProperties): boolean {
  return !!p.mask || !!p.shift || !!p.base || !!p.offset || (p.scale !== undefined && p.scale !== 1);
}

// ---- integers up to 32 bits (JS numbers, exact) ----

export function readNarrow(v: number, s: IntegerSpec, p: ResourceProperties, device: string, resource: string): number {
  if (p.mask) v = maskNarrow(v, p.mask, s);
  if (p.shift) v = shiftNarrow(v, p.shift, s, 'read', device, resource);
  if (p.base) v = fitNarrow(Math.pow(p.base, v), v, s, 'read', `base ${p.base}`, device, resource);
  if (p.scale !== undefined && p.scale !== 1) v = fitNarrow(v * p.scale, v, s, 'read', `scale ${p.scale}`, device, resource);
  if (p.offset) v = fitNarrow(v + p.offset, v, s, 'read', `offset ${p.offset}`, device, resource);
  return v;
}

export function writeNarrow(v: number, s: IntegerSpec, p: ResourceProperties, device: string, resource: string): number {
  if (p.offset) v = fitNarrow(v - p.offset, v, s, 'write', `offset ${p.offset}`, device, resource);
  if (p.scale !== undefined && p.scale !== 1) v = fitNarrow(v / p.scale, v, s, 'write', `scale ${p.scale}`, device, resource);
  if (p.base) v = fitNarrow(logBase(v, p.base), v, s, 'write', `base ${p.base}`, device, resource);
  if (p.shift) v = shiftNarrow(v, -p.shift, s, 'write', device, resource);
  if (p.mask) v = maskNarrow(v, p.mask, s);
  return v;
}

/** The mask is first cut to the type, as Go's `v & int16(mask)` does (two's complement for signed). */
function maskNarrow(v: number, mask: number, s: IntegerSpec): number {
  const m = Number(s.signed ? BigInt.asIntN(s.bits, BigInt(mask)) : BigInt.asUintN(s.bits, BigInt(mask)));
  // JS bitwise operators work on int32: exact for every type up to 32 bits.
  return s.signed ? v & m : (v & m) >>> 0;
}

/** Positive: right (arithmetic for signed, as Go's >>); negative: left, which must not lose bits. */
function shiftNarrow(v: number, shift: number, s: IntegerSpec, dir: Direction, device: string, resource: string): number {
  if (shift > 0) return Math.floor(v / 2 ** shift);
  const shifted = v * 2 ** -shift;
  if (shifted < s.min || shifted > s.max) {
    throw overflow(device, resource, dir, `shift ${dir === 'read' ? shift : -shift}`, v, shifted, `outside ${rangeText(s)}`);
  }
  return shifted;
}

function fitNarrow(x: number, before: number, s: IntegerSpec, dir: Direction, step: string, device: string, resource: string): number {
  const r = whole(x);
  if (r === undefined) throw overflow(device, resource, dir, step, before, x, `not a whole ${s.type}`);
  if (r < s.min || r > s.max) throw overflow(device, resource, dir, step, before, x, `outside ${rangeText(s)}`);
  return r;
}

// ---- Int64 / Uint64 (bigint) ----

export function readWide(v: bigint, s: IntegerSpec, p: ResourceProperties, device: string, resource: string): bigint {
  if (p.mask) v = v & maskWide(p.mask, s);
  if (p.shift) v = shiftWide(v, p.shift, s, 'read', device, resource);
  if (p.base) v = fitWide(Math.pow(p.base, Number(v)), v, s, 'read', `base ${p.base}`, device, resource);
  if (p.scale !== undefined && p.scale !== 1) {
    const step = `scale ${p.scale}`;
    v = Number.isInteger(p.scale)
      ? inWide(v * BigInt(p.scale), v, s, 'read', step, device, resource)
      : fitWide(Number(v) * p.scale, v, s, 'read', step, device, resource);
  }
  if (p.offset) {
    const step = `offset ${p.offset}`;
    v = Number.isInteger(p.offset)
      ? inWide(v + BigInt(p.offset), v, s, 'read', step, device, resource)
      : fitWide(Number(v) + p.offset, v, s, 'read', step, device, resource);
  }
  return v;
}

export function writeWide(v: bigint, s: IntegerSpec, p: ResourceProperties, device: string, resource: string): bigint {
  if (p.offset) {
    const step = `offset ${p.offset}`;
    v = Number.isInteger(p.offset)
      ? inWide(v - BigInt(p.offset), v, s, 'write', step, device, resource)
      : fitWide(Number(v) - p.offset, v, s, 'write', step, device, resource);
  }
  if (p.scale !== undefined && p.scale !== 1) {
    const step = `scale ${p.scale}`;
    if (Number.isInteger(p.scale)) {
      const divisor = BigInt(p.scale);
      if (v % divisor !== 0n) throw overflow(device, resource, 'write', step, v, Number(v) / p.scale, `not a whole ${s.type}`);
      v = inWide(v / divisor, v, s, 'write', step, device, resource);
    } else {
      v = fitWide(Number(v) / p.scale, v, s, 'write', step, device, resource);
    }
  }
  if (p.base) v = fitWide(logBase(Number(v), p.base), v, s, 'write', `base ${p.base}`, device, resource);
  if (p.shift) v = shiftWide(v, -p.shift, s, 'write', device, resource);
  if (p.mask) v = v & maskWide(p.mask, s);
  return v;
}

function maskWide(mask: number, s: IntegerSpec): bigint {
  return s.signed ? BigInt.asIntN(64, BigInt(mask)) : BigInt.asUintN(64, BigInt(mask));
}

function shiftWide(v: bigint, shift: number, s: IntegerSpec, dir: Direction, device: string, resource: string): bigint {
  if (shift > 0) return v >> BigInt(shift);
  return inWide(v << BigInt(-shift), v, s, dir, `shift ${dir === 'read' ? shift : -shift}`, device, resource);
}

function fitWide(x: number, before: bigint, s: IntegerSpec, dir: Direction, step: string, device: string, resource: string): bigint {
  const r = whole(x);
  if (r === undefined) throw overflow(device, resource, dir, step, before, x, `not a whole ${s.type}`);
  return inWide(BigInt(r), before, s, dir, step, device, resource);
}

function inWide(v: bigint, before: bigint, s: IntegerSpec, dir: Direction, step: string, device: string, resource: string): bigint {
  if (v < s.minBig || v > s.maxBig) throw overflow(device, resource, dir, step, before, v, `outside ${rangeText(s)}`);
  return v;
}

// ---- Float32 / Float64 ----

/** Float32 arithmetic is done as Go does it: in float32 (`v * float32(scale)`), range-checked in float64. */
export function readFloat(v: number, f32: boolean, p: ResourceProperties, device: string, resource: string): number {
  if (p.base) v = fitFloat(Math.pow(p.base, v), v, f32, 'read', `base ${p.base}`, device, resource);
  if (p.scale !== undefined && p.scale !== 1) {
    const x = fitFloat(v * p.scale, v, f32, 'read', `scale ${p.scale}`, device, resource);
    v = f32 ? Math.fround(v * Math.fround(p.scale)) : x;
  }
  if (p.offset) {
    const x = fitFloat(v + p.offset, v, f32, 'read', `offset ${p.offset}`, device, resource);
    v = f32 ? Math.fround(v + Math.fround(p.offset)) : x;
  }
  return v;
}

export function writeFloat(v: number, f32: boolean, p: ResourceProperties, device: string, resource: string): number {
  if (p.offset) {
    const x = fitFloat(v - p.offset, v, f32, 'write', `offset ${p.offset}`, device, resource);
    v = f32 ? Math.fround(v - Math.fround(p.offset)) : x;
  }
  if (p.scale !== undefined && p.scale !== 1) {
    const x = fitFloat(v / p.scale, v, f32, 'write', `scale ${p.scale}`, device, resource);
    v = f32 ? Math.fround(v / Math.fround(p.scale)) : x;
  }
  if (p.base) v = fitFloat(logBase(v, p.base), v, f32, 'write', `base ${p.base}`, device, resource);
  return v;
}

function fitFloat(x: number, before: number, f32: boolean, dir: Direction, step: string, device: string, resource: string): number {
  const fits = f32 ? Math.abs(x) <= MAX_FLOAT32 : Number.isFinite(x); // NaN fails both
  if (!fits) throw overflow(device, resource, dir, step, before, x, f32 ? 'outside Float32' : 'not a finite Float64');
  return f32 ? Math.fround(x) : x;
}

// ---- shared ----

/** log10/log2 are exact on powers of their base (log(1000)/log(10) is 2.9999999999999996). */
function logBase(v: number, base: number): number {
  if (base === 10) return Math.log10(v);
  if (base === 2) return Math.log2(v);
  return Math.log(v) / Math.log(base);
}

function whole(x: number): number | undefined {
  const r = Math.round(x);
  // NaN and infinities fail the comparison; `+ 0` turns -0 into 0.
  return Math.abs(x - r) <= WHOLE_EPSILON * Math.max(1, Math.abs(x)) ? r + 0 : undefined;
}

function overflow(
  device: string,
  resource: string,
  dir: Direction,
  step: string,
  before: number | bigint,
  after: number | bigint,
  target: string,
) {
  const verb = dir === 'read' ? step : `reversing ${step}`;
  return valueError(device, resource, `overflow: ${verb} turns ${before} into ${after}, ${target}`);
}
