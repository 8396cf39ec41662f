import { FieldIssue, ValidationError } from './errors';
import type { Event } from './models';
import { validateEvent } from './parse';
import { isPlainValidEvent } from './fast-event-check';
import { requestIdIssue } from './request-id';
import { edgexKey } from './edgex-keys';

/** EdgeX v3 AddEventRequest: what device services publish and what REST ingest takes. */
export interface AddEventRequest {
  apiVersion: string;
  requestId?: string;
  event: Event;
}

export interface AddEventRequestLimits {
  /** Refuse an event with more readings than this, before checking any of them. */
  maxReadings?: number;
  /** Where the limit is set, quoted in the refusal (`GW_CORE_DATA_MAX_READINGS_PER_EVENT`). */
  maxReadingsSetting?: string;
}

/** An event refused for its size alone (too many readings): the caller counts these apart. */
export class OversizedEventError extends ValidationError {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks an AddEventRequest (a bus payload or a REST body) and returns it with
 * a valid Event; throws a ValidationError naming every bad field
 * (`event.readings[2].valueType: ...`). Ids must be UUIDs, as EdgeX requires:
 * they are keys in storage. Keys are read as EdgeX reads JSON: matched
 * case-insensitively, unknown ones ignored (edgex-keys.ts). With `limits.maxReadings`, an event with more
 * readings is refused (OversizedEventError) before any reading is looked at.
 */
export function parseAddEventRequest(payload: unknown, limits: AddEventRequestLimits = {}): AddEventRequest {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ValidationError([{ path: '', message: `expected an AddEventRequest object, got ${describe(payload)}` }]);
  }
  // The envelope's keys as EdgeX's encoding/json finds them (exactly, else case-insensitively).
  const given = payload as Record<string, unknown>;
  const request = { apiVersion: edgexKey(given, 'apiVersion'), requestId: edgexKey(given, 'requestId'), event: edgexKey(given, 'event') };
  const issues: FieldIssue[] = [];
  if (typeof request.apiVersion !== 'string') issues.push({ path: 'apiVersion', message: expected('a string', request.apiVersion) });
  const badRequestId = requestIdIssue(request.requestId);
  if (badRequestId) issues.push(badRequestId);
  if (request.event === undefined) issues.push({ path: 'event', message: 'is required' });
  if (issues.length) throw new ValidationError(issues);

  const readings = (request.event as { readings?: unknown } | null)?.readings;
  if (limits.maxReadings !== undefined && Array.isArray(readings) && readings.length > limits.maxReadings) {
    const setting = limits.maxReadingsSetting ? ` (${limits.maxReadingsSetting})` : '';
    throw new OversizedEventError([
      { path: 'event.readings', message: `at most ${limits.maxReadings} readings per event${setting}, got ${readings.length}` },
    ]);
  }
  const event = isPlainValidEvent(request.event) ? request.event : validateEvent(request.event, { path: 'event' });
  const idIssues = badIds(event);
  if (idIssues.length) throw new ValidationError(idIssues);
  return { apiVersion: request.apiVersion as string, requestId: request.requestId as string | undefined, event };
}

function badIds(event: Event): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!UUID.test(event.id)) issues.push({ path: 'event.id', message: `must be a UUID, got "${event.id}"` });
  for (let i = 0; i < event.readings.length; i++) {
    const id = event.readings[i].id;
    if (id !== undefined && !UUID.test(id)) issues.push({ path: `event.readings[${i}].id`, message: `must be a UUID, got "${id}"` });
  }
  return issues;
}

function expected(what: string, value: unknown): string {
  return value === undefined ? 'is required' : `must be ${what}, got ${describe(value)}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
