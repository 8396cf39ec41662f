/**
 * EdgeX `assertion`: a reading that differs from it marks the device DOWN
 * (the runtime does that). EdgeX compares text, against Go's `%v` of the
 * value; our float readings are in exponent form, so floats compare by number
 * (`assertion: "21.5"` holds for the reading "2.15e+01"), all else as text.
 */
import { DeviceResource, Reading } from '@gw/contracts';

export function assertionHolds(reading: Reading, resource: DeviceResource): boolean {
  const assertion = resource.properties.assertion;
  if (assertion === undefined || assertion === '') return true;
  const actual = textOf(reading);
  if (actual === assertion) return true;
  const valueType = reading.valueType;
  if (valueType !== 'Float32' && valueType !== 'Float64') return false;
  const a = Number(assertion);
  const b = Number(actual);
  if (assertion.trim() === '' || a !== a || b !== b) return false;
  return valueType === 'Float32' ? Math.fround(a) === Math.fround(b) : a === b;
}

function textOf(reading: Reading): string {
  if ('value' in reading) return reading.value;
  if ('binaryValue' in reading) return reading.binaryValue;
  return JSON.stringify(reading.objectValue);
}
