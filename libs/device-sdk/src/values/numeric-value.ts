/**
 * A reading as a number, for onChangeThreshold: how far did the value move?
 * Int64/Uint64 beyond 2^53 lose their last digits here, which a threshold
 * comparison tolerates. A mapped value ("ON") or NaN has no numeric view.
 */
import { Reading } from '@gw/contracts';
import { isNumericScalar } from './numeric-types';

export function numericValue(reading: Reading): number | undefined {
  if (!('value' in reading) || !isNumericScalar(reading.valueType)) return undefined;
  const text = reading.value;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const n = text.trim() === '' ? NaN : Number(text);
  return n === n ? n : undefined;
}
