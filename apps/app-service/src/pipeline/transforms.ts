/**
 * A pipeline's transform: one EdgeX event in, one export record out, keyed by
 * the device name.
 *
 * - `edgex`: the Event as EdgeX's app service exports it (TransformToJSON of
 *   the Event DTO): readings as they are, values as text, apiVersion set.
 * - `flat`: `{ id, device, profile, source, origin, time, readings: { <resource>: value } }`,
 *   origin in ms since the epoch and time as ISO 8601 (EdgeX origins are ns);
 *   id lets a consumer drop the duplicates that at-least-once delivery allows.
 * - `twin`: the device's reported state `{ <resource>: value }`, the latest
 *   reading per resource within the event, kind `reported`.
 *
 * Typed values: EdgeX carries every simple reading's value as text and says
 * how to read it in valueType. Text that is valid for its valueType (checked
 * by contracts' valueProblem, the same rule metadata applies) becomes JSON of
 * that type: Bool -> true/false (Go's ParseBool spellings, `1`/`t`/...),
 * integers and floats -> numbers (EdgeX's `2.15e+01` -> 21.5), numeric
 * arrays (`[1, 2]`) -> arrays of numbers, Bool/String/Object arrays and
 * Object -> the JSON they hold. Kept as text: String; Int64/Uint64 beyond
 * 2^53 (a JSON number would lose digits); NaN, +Inf, -Inf (JSON has no such
 * numbers); and text not valid for its type, e.g. a mapped value such as
 * "ON". Binary readings keep their base64 binaryValue, Object readings their
 * objectValue, as given.
 */
import { API_VERSION, Event, Reading, ValueType, valueProblem } from '@gw/contracts';
import { ExportRecord } from '../sinks/sink';
import type { TransformName } from './pipelines-file';

export type Transform = (event: Event) => ExportRecord;

export function transformFor(name: TransformName): Transform {
  return TRANSFORMS[name];
}

const TRANSFORMS: Record<TransformName, Transform> = {
  edgex: (event) => record(event.deviceName, 'telemetry', edgexEvent(event)),
  flat: (event) => record(event.deviceName, 'telemetry', flatEvent(event)),
  twin: (event) => record(event.deviceName, 'reported', reportedState(event)),
};

function record(key: string, kind: ExportRecord['kind'], doc: unknown): ExportRecord {
  return { key, kind, body: Buffer.from(JSON.stringify(doc)) };
}

export function edgexEvent(event: Event): Event {
  const { apiVersion, ...rest } = event;
  return { apiVersion: apiVersion ?? API_VERSION, ...rest };
}

export function flatEvent(event: Event): Record<string, unknown> {
  const origin = Math.floor(event.origin / 1e6);
  const time = new Date(origin);
  const readings: Record<string, unknown> = {};
  for (const reading of event.readings) readings[reading.resourceName] = typedValue(reading);
  return {
    id: event.id,
    device: event.deviceName,
    profile: event.profileName,
    source: event.sourceName,
    origin,
    time: Number.isNaN(time.getTime()) ? undefined : time.toISOString(),
    readings,
  };
}

export function reportedState(event: Event): Record<string, unknown> {
  const latest = new Map<string, Reading>();
  for (const reading of event.readings) {
    const seen = latest.get(reading.resourceName);
    if (!seen || reading.origin >= seen.origin) latest.set(reading.resourceName, reading);
  }
  const state: Record<string, unknown> = {};
  for (const [resource, reading] of latest) state[resource] = typedValue(reading);
  return state;
}

export function typedValue(reading: Reading): unknown {
  if ('value' in reading) return typedText(reading.valueType, reading.value);
  if ('binaryValue' in reading) return reading.binaryValue;
  return reading.objectValue;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const WIDE = new Set<ValueType>(['Int64', 'Uint64']);

function typedText(valueType: ValueType, text: string): unknown {
  if (valueType === 'String' || valueType === 'Binary' || valueProblem(valueType, text) !== undefined) return text;
  switch (valueType) {
    case 'Bool':
      return TRUE.has(text);
    case 'Object':
    case 'ObjectArray':
    case 'BoolArray':
    case 'StringArray':
      return JSON.parse(text);
  }
  if (!valueType.endsWith('Array')) return numberOf(valueType, text);
  // Numeric arrays as EdgeX writes them: `[1, 2, 3]`, brackets optional.
  const element = valueType.slice(0, -'Array'.length) as ValueType;
  const inner = text.trim().replace(/^\[/, '').replace(/\]$/, '').trim();
  return inner === '' ? [] : inner.split(',').map((item) => numberOf(element, item.trim()));
}

function numberOf(valueType: ValueType, text: string): number | string {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  return WIDE.has(valueType) && !Number.isSafeInteger(n) ? text : n;
}
