/**
 * Rows <-> EdgeX DTOs, the same for both engines except how a JSON column
 * arrives (text on SQLite, parsed on PostgreSQL), which the caller decides.
 */
import { API_VERSION, Event, Reading } from '@gw/contracts';

export const EVENT_COLUMNS = 'seq, id, "deviceName", "profileName", "sourceName", origin, tags';
export const READING_COLUMNS =
  'seq, id, "eventSeq", origin, "deviceName", "resourceName", "profileName", "valueType", units, value, ' +
  '"binaryValue", "mediaType", "objectValue", tags';

/** Numbers may come back as strings (pg returns bigint and count(*) as text). */
type DbNumber = number | string;

export interface EventRow {
  seq: DbNumber;
  id: string;
  deviceName: string;
  profileName: string;
  sourceName: string;
  origin: DbNumber;
  tags: unknown;
}

export interface ReadingRow {
  seq: DbNumber;
  id: string;
  eventSeq: DbNumber;
  origin: DbNumber;
  deviceName: string;
  resourceName: string;
  profileName: string;
  valueType: string;
  units: string | null;
  value: string | null;
  binaryValue: Buffer | null;
  mediaType: string | null;
  objectValue: unknown;
  tags: unknown;
}

export type JsonDecoder = (column: unknown) => unknown;

export function toEvent(row: EventRow, readings: Reading[], json: JsonDecoder): Event {
  const event: Event = {
    apiVersion: API_VERSION,
    id: row.id,
    deviceName: row.deviceName,
    profileName: row.profileName,
    sourceName: row.sourceName,
    origin: Number(row.origin),
    readings,
  };
  if (row.tags !== null && row.tags !== undefined) event.tags = json(row.tags) as Event['tags'];
  return event;
}

export function toReading(row: ReadingRow, json: JsonDecoder): Reading {
  const reading: Record<string, unknown> = {
    id: row.id,
    origin: Number(row.origin),
    deviceName: row.deviceName,
    resourceName: row.resourceName,
    profileName: row.profileName,
    valueType: row.valueType,
  };
  if (row.units !== null) reading.units = row.units;
  switch (valueFieldOf(row.valueType)) {
    case 'binaryValue':
      reading.binaryValue = (row.binaryValue ?? Buffer.alloc(0)).toString('base64');
      reading.mediaType = row.mediaType ?? '';
      break;
    case 'objectValue':
      reading.objectValue = row.objectValue === null ? null : json(row.objectValue);
      break;
    default:
      reading.value = row.value ?? '';
  }
  if (row.tags !== null && row.tags !== undefined) reading.tags = json(row.tags);
  return reading as Reading;
}

/** Which field carries a reading's value: the valueType decides, as in @gw/contracts' event checks. */
export function valueFieldOf(valueType: string): 'value' | 'binaryValue' | 'objectValue' {
  if (valueType === 'Binary') return 'binaryValue';
  return valueType === 'Object' || valueType === 'ObjectArray' ? 'objectValue' : 'value';
}

// Column values of a reading, without building an intermediate object per reading.
type AnyReading = Reading & { value?: string; binaryValue?: string; mediaType?: string; objectValue?: unknown };

export const readingColumns = {
  value: (r: Reading): string | null => (r as AnyReading).value ?? null,
  binaryValue: (r: Reading): Buffer | null => {
    const b64 = (r as AnyReading).binaryValue;
    return b64 === undefined ? null : Buffer.from(b64, 'base64');
  },
  mediaType: (r: Reading): string | null => (r as AnyReading).mediaType ?? null,
  /** JSON text; a present `objectValue` of JSON null is kept as the text `null`. */
  objectValue: (r: Reading): string | null => {
    const reading = r as AnyReading;
    return 'objectValue' in reading ? JSON.stringify(reading.objectValue ?? null) : null;
  },
  tags: (tags: unknown): string | null => (tags === undefined || tags === null ? null : JSON.stringify(tags)),
};

/** Groups readings by the event they belong to, keeping their order. */
export function readingsByEvent(rows: ReadingRow[], json: JsonDecoder): Map<number, Reading[]> {
  const byEvent = new Map<number, Reading[]>();
  for (const row of rows) {
    const seq = Number(row.eventSeq);
    let list = byEvent.get(seq);
    if (!list) byEvent.set(seq, (list = []));
    list.push(toReading(row, json));
  }
  return byEvent;
}
