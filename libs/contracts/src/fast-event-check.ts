/**
 * A fast yes for the common event, before the full schema: zod takes ~40 µs
 * for an event with five readings, which alone would cap ingest well below
 * 50,000 readings/s on two cores. This check accepts only events the schema
 * certainly accepts unchanged (simple `value` readings, no tags, known keys);
 * everything else, valid or not, goes to validateEvent, which has the final
 * word and the field-naming messages. fast-event-check.spec.ts holds the two
 * in step. (core-data's ingest and the app service both read events this way.)
 */
import { Event, isValidName, VALUE_TYPES } from './models';

const EVENT_KEYS = new Set(['apiVersion', 'id', 'deviceName', 'profileName', 'sourceName', 'origin', 'readings']);
const READING_KEYS = new Set(['id', 'origin', 'deviceName', 'resourceName', 'profileName', 'valueType', 'units', 'value']);
/** Value types whose reading carries `value` (not binaryValue / objectValue). */
const SIMPLE_VALUE_TYPES = new Set<string>(VALUE_TYPES.filter((t) => t !== 'Binary' && t !== 'Object' && t !== 'ObjectArray'));

/** Names seen to pass the contracts' Name rule (isValidName, the rule's own test); devices and resources repeat, so this stays small. */
const knownNames = new Set<string>();
const KNOWN_NAMES_LIMIT = 10_000;

export function isPlainValidEvent(value: unknown): value is Event {
  if (!isRecord(value) || !hasOnly(value, EVENT_KEYS)) return false;
  if (value.apiVersion !== undefined && typeof value.apiVersion !== 'string') return false;
  if (typeof value.id !== 'string' || !Number.isInteger(value.origin)) return false;
  if (!isName(value.deviceName) || !isName(value.profileName) || !isName(value.sourceName)) return false;
  const readings = value.readings;
  if (!Array.isArray(readings) || readings.length === 0) return false;
  for (const reading of readings) if (!isPlainReading(reading)) return false;
  return true;
}

function isPlainReading(value: unknown): boolean {
  return (
    isRecord(value) &&
    hasOnly(value, READING_KEYS) &&
    typeof value.value === 'string' &&
    (value.id === undefined || typeof value.id === 'string') &&
    (value.units === undefined || typeof value.units === 'string') &&
    Number.isInteger(value.origin) &&
    typeof value.valueType === 'string' &&
    SIMPLE_VALUE_TYPES.has(value.valueType) &&
    isName(value.deviceName) &&
    isName(value.resourceName) &&
    isName(value.profileName)
  );
}

function isName(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (knownNames.has(value)) return true;
  if (!isValidName(value)) return false;
  if (knownNames.size >= KNOWN_NAMES_LIMIT) knownNames.clear();
  knownNames.add(value);
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOnly(value: Record<string, unknown>, keys: ReadonlySet<string>): boolean {
  for (const key in value) if (!keys.has(key)) return false;
  return true;
}
