/**
 * The range a simulated numeric value is drawn from or counts within.
 * minimum/maximum describe the value an operator sees; when the resource
 * also transforms (scale, offset...), they are turned back into device
 * values with the SDK's own reverse transforms, so readings land inside
 * minimum..maximum. Without limits, the type's whole range.
 */
import { DeviceResource, ValueType } from '@gw/contracts';
import { toWriteValue } from '@gw/device-sdk/driver';

const MAX_FLOAT32 = 3.4028234663852886e38;

const INTEGER_RANGES: Partial<Record<ValueType, readonly [bigint, bigint]>> = {
  Uint8: [0n, 255n],
  Uint16: [0n, 65535n],
  Uint32: [0n, 4294967295n],
  Uint64: [0n, 18446744073709551615n],
  Int8: [-128n, 127n],
  Int16: [-32768n, 32767n],
  Int32: [-2147483648n, 2147483647n],
  Int64: [-9223372036854775808n, 9223372036854775807n],
};

export type Bounds =
  | { kind: 'integer'; lo: bigint; hi: bigint; wide: boolean }
  | { kind: 'float'; lo: number; hi: number; f32: boolean };

/** `type` is the scalar type, or an array's element type (arrays are not transformed). */
export function boundsOf(resource: DeviceResource, type: ValueType): Bounds | string {
  const { minimum, maximum } = resource.properties;
  const scalar = type === resource.properties.valueType;
  const lo = !Number.isFinite(minimum) ? undefined : scalar ? deviceValue(resource, minimum!) : minimum;
  const hi = !Number.isFinite(maximum) ? undefined : scalar ? deviceValue(resource, maximum!) : maximum;
  // A reverse scale by a negative factor swaps the ends.
  const [low, high] = lo !== undefined && hi !== undefined && lo > hi ? [hi, lo] : [lo, hi];

  const range = INTEGER_RANGES[type];
  if (range) {
    const from = low === undefined ? range[0] : max(range[0], BigInt(Math.ceil(low)));
    const to = high === undefined ? range[1] : min(range[1], BigInt(Math.floor(high)));
    if (from > to) return `no ${type} lies between minimum ${minimum} and maximum ${maximum}`;
    return { kind: 'integer', lo: from, hi: to, wide: type === 'Uint64' || type === 'Int64' };
  }
  const f32 = type === 'Float32';
  const limit = f32 ? MAX_FLOAT32 : Number.MAX_VALUE;
  return { kind: 'float', lo: Math.max(low ?? -limit, -limit), hi: Math.min(high ?? limit, limit), f32 };
}

/** The device value behind a limit; the limit itself when it cannot be reversed. */
function deviceValue(resource: DeviceResource, limit: number): number {
  try {
    const raw = toWriteValue(String(limit), resource, '');
    return typeof raw === 'bigint' ? Number(raw) : typeof raw === 'number' ? raw : limit;
  } catch {
    return limit;
  }
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);
