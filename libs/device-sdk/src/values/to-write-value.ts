/**
 * A SET value -> what the driver writes: parsed per valueType, checked
 * against minimum/maximum as the user gave it (EdgeX checks the engineering
 * value, before reverse transforms), then reverse-transformed; the raw result
 * must still fit the type. readWrite is the runtime's business, not checked here.
 */
import { DeviceResource, GatewayError, ResourceProperties } from '@gw/contracts';
import { RawValue } from '../driver/protocol-driver';
import { elementType, integerSpec, isFloatType } from './numeric-types';
import { parseValue } from './parse-value';
import { hasTransforms, writeFloat, writeNarrow, writeWide } from './transforms';
import { valueError } from './value-error';

export function toWriteValue(input: unknown, resource: DeviceResource, deviceName: string): RawValue {
  const p = resource.properties;
  const valueType = p.valueType;
  let value: RawValue;
  try {
    value = parseValue(input, valueType);
  } catch (err) {
    throw GatewayError.is(err) ? valueError(deviceName, resource.name, err.message) : err;
  }

  const spec = integerSpec(valueType);
  if (spec || isFloatType(valueType)) {
    const problem = limitProblem(value as number | bigint, p);
    if (problem) throw valueError(deviceName, resource.name, problem);
    if (!hasTransforms(p)) return value;
    if (!spec) return writeFloat(value as number, valueType === 'Float32', p, deviceName, resource.name);
    return spec.wide
      ? writeWide(value as bigint, spec, p, deviceName, resource.name)
      : writeNarrow(value as number, spec, p, deviceName, resource.name);
  }

  // Beyond EdgeX (which skips arrays): every item of a numeric array keeps to the limits too.
  const element = elementType(valueType);
  if (element && (integerSpec(element) || isFloatType(element)) && (p.minimum !== undefined || p.maximum !== undefined)) {
    (value as Array<number | bigint>).forEach((item, i) => {
      const problem = limitProblem(item, p);
      if (problem) throw valueError(deviceName, resource.name, `${valueType} item ${i}: ${problem}`);
    });
  }
  return value;
}

/** bigint and number compare exactly in JS, so Int64 limits hold to the last digit. */
function limitProblem(v: number | bigint, p: ResourceProperties): string | undefined {
  if (p.minimum !== undefined && v < p.minimum) return `${v} is less than minimum ${p.minimum}`;
  if (p.maximum !== undefined && v > p.maximum) return `${v} is greater than maximum ${p.maximum}`;
  return undefined;
}
