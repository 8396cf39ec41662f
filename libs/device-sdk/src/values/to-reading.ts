/**
 * A raw driver value -> the EdgeX Reading core-data stores: runs for every
 * reading, so it allocates only the reading (and its text) and builds no
 * closures or regexes.
 */
import { randomUUID } from 'node:crypto';
import { DeviceResource, Reading, ValueType } from '@gw/contracts';
import { RawValue } from '../driver/protocol-driver';
import { formatFloat32, formatFloat64 } from './go-format';
import { elementType, integerSpec } from './numeric-types';
import { isPlainObject, rawBool, rawBytes, rawFloat, rawList, rawNarrow, rawString, rawWide } from './raw-values';
import { hasTransforms, readFloat, readNarrow, readWide } from './transforms';
import { show, valueError } from './value-error';

export interface ReadingContext {
  deviceName: string;
  profileName: string;
  /** ns since the epoch */
  origin: number;
}

type SimpleReading = Extract<Reading, { value: string }>;
type BinaryReading = Extract<Reading, { binaryValue: string }>;
// zod infers `objectValue?: unknown`, so this one is what is left of the union.
type ObjectReading = Exclude<Reading, SimpleReading | BinaryReading>;

const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

/**
 * SimpleReading (`value` text, EdgeX formatting), BinaryReading (base64 +
 * mediaType) or ObjectReading (Object, ObjectArray). Numeric scalars go
 * through the read transforms; the result must fit the valueType.
 *
 * Throws GatewayError ContractInvalid naming device and resource when the
 * value is of the wrong kind, overflows, or is NaN. (EdgeX's device-sdk-go
 * instead publishes a String reading "overflow" / "NaN" in place of the
 * value; a typed consumer cannot use that, so the caller decides what to
 * do with the error: log it and leave the reading out.) An infinity passes
 * untransformed (EdgeX writes "+Inf"); any transform of it overflows.
 */
export function toReading(raw: RawValue, resource: DeviceResource, ctx: ReadingContext): Reading {
  const valueType = resource.properties.valueType;
  switch (valueType) {
    case 'Binary':
      return binaryReading(resource, ctx, rawBytes(raw, ctx.deviceName, resource.name));
    case 'Object':
      return objectReading(resource, ctx, objectValue(raw, ctx.deviceName, resource.name));
    case 'ObjectArray':
      return objectReading(resource, ctx, objectArrayValue(raw, ctx.deviceName, resource.name));
    default:
      return simpleReading(resource, ctx, valueText(raw, resource, ctx.deviceName));
  }
}

function valueText(raw: RawValue, resource: DeviceResource, device: string): string {
  const p = resource.properties;
  const valueType = p.valueType;
  if (valueType === 'String') return rawString(raw, device, resource.name);
  if (valueType === 'Bool') return rawBool(raw, device, resource.name) ? 'true' : 'false';
  if (valueType === 'Float32' || valueType === 'Float64') {
    const f32 = valueType === 'Float32';
    let v = rawFloat(raw, f32, device, resource.name);
    if (v !== v) throw valueError(device, resource.name, `the driver returned NaN, which is not a reading (EdgeX marks it "NaN")`);
    if (hasTransforms(p)) v = readFloat(v, f32, p, device, resource.name);
    return f32 ? formatFloat32(v) : formatFloat64(v);
  }
  const spec = integerSpec(valueType);
  if (spec) {
    if (spec.wide) {
      const v = rawWide(raw, spec, device, resource.name);
      return (hasTransforms(p) ? readWide(v, spec, p, device, resource.name) : v).toString();
    }
    const v = rawNarrow(raw, spec, device, resource.name);
    return String(hasTransforms(p) ? readNarrow(v, spec, p, device, resource.name) : v);
  }
  const element = elementType(valueType);
  if (element) return listText(raw, valueType, element, device, resource.name);
  throw valueError(device, resource.name, `valueType ${valueType} cannot be read`);
}

/**
 * EdgeX writes arrays with Go's `%v` and ", " between items: "[1, 2, 3]",
 * "[true, false]", "[2.15e+01, 1e+00]" (valid JSON for numbers and bools).
 * Arrays are not transformed (EdgeX transforms scalars only). StringArray is
 * JSON (`["a","b"]`), as EdgeX 4 writes it: `%v` could not tell "a b" from two items.
 */
function listText(raw: RawValue, valueType: ValueType, element: ValueType, device: string, resource: string): string {
  const items = rawList(raw, valueType, device, resource);
  if (element === 'String') {
    for (let i = 0; i < items.length; i++) {
      if (typeof items[i] !== 'string') throw itemError(items[i], i, valueType, device, resource);
    }
    return JSON.stringify(Array.from(items));
  }
  const spec = integerSpec(element);
  let text = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) text += ', ';
    const item = items[i] as RawValue;
    if (spec) text += spec.wide ? rawWide(item, spec, device, resource).toString() : String(rawNarrow(item, spec, device, resource));
    else if (element === 'Bool') text += rawBool(item, device, resource) ? 'true' : 'false';
    else if (element === 'Float32') text += formatFloat32(rawFloat(item, true, device, resource));
    else text += formatFloat64(rawFloat(item, false, device, resource));
  }
  return text + ']';
}

function objectValue(raw: RawValue, device: string, resource: string): Record<string, unknown> {
  const value = typeof raw === 'string' ? parseJson(raw) : raw;
  if (isPlainObject(value)) return value;
  throw valueError(device, resource, `the driver returned ${show(raw)}, which is not a valid Object`);
}

function objectArrayValue(raw: RawValue, device: string, resource: string): unknown[] {
  const value = typeof raw === 'string' ? parseJson(raw) : raw;
  if (!Array.isArray(value)) throw valueError(device, resource, `the driver returned ${show(raw)}, which is not a valid ObjectArray`);
  for (let i = 0; i < value.length; i++) {
    if (!isPlainObject(value[i])) throw itemError(value[i], i, 'ObjectArray', device, resource);
  }
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function itemError(item: unknown, index: number, valueType: ValueType, device: string, resource: string) {
  return valueError(device, resource, `the driver returned ${show(item)} at index ${index}, which is not a valid ${valueType} item`);
}

/** The fields every reading has; the callers add the value field of their kind (no extra copy per reading). */
function readingBase(resource: DeviceResource, ctx: ReadingContext, valueType: ValueType) {
  const reading: Omit<SimpleReading, 'value'> = {
    id: randomUUID(),
    origin: ctx.origin,
    deviceName: ctx.deviceName,
    resourceName: resource.name,
    profileName: ctx.profileName,
    valueType,
  };
  if (resource.properties.units !== undefined) reading.units = resource.properties.units;
  return reading;
}

function simpleReading(resource: DeviceResource, ctx: ReadingContext, value: string): SimpleReading {
  const reading = readingBase(resource, ctx, resource.properties.valueType) as SimpleReading;
  reading.value = value;
  return reading;
}

function binaryReading(resource: DeviceResource, ctx: ReadingContext, bytes: Uint8Array): BinaryReading {
  const reading = readingBase(resource, ctx, 'Binary') as BinaryReading;
  // A view on the same memory: no copy of the bytes before encoding.
  reading.binaryValue = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  reading.mediaType = resource.properties.mediaType || DEFAULT_MEDIA_TYPE;
  return reading;
}

function objectReading(resource: DeviceResource, ctx: ReadingContext, objectValue: unknown): ObjectReading {
  const reading = readingBase(resource, ctx, resource.properties.valueType) as ObjectReading;
  reading.objectValue = objectValue;
  return reading;
}
