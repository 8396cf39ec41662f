/**
 * KubeEdge device twin messages, as edgecore's devicetwin module speaks them
 * on its MQTT eventbus (facts from kubeedge/kubeedge edge/pkg/devicetwin:
 * dtcommon topics and checks, dttype message types; no code of theirs):
 *
 *  - the device id is `{namespace}/{name}` (KubeEdge 1.16 on); edgecore
 *    subscribes to `$hw/events/device/+/+/twin/+` and `…/+/+/state/update`;
 *  - `…/twin/update` (DeviceTwinUpdate): `{event_id, timestamp (ms), twin:
 *    {key: MsgTwin}}`, MsgTwin `{expected?, actual?: {value: string,
 *    metadata: {timestamp}}, optional?, metadata: {type}}`; answered on
 *    `…/twin/update/result` with the same event_id: the twin on success,
 *    `{code, reason}` on failure (400 a value not of the twin's type, 404 no
 *    such device on this node, 500 its database). A key must match
 *    `[a-zA-Z0-9-_.,:/@#]{1,128}` and a non-empty value `…{1,512}`, else the
 *    whole update is refused with no event_id and no device in the topic
 *    (so it could not be matched): the sink checks both before it sends.
 *    Types edgecore checks a value against: string, int/integer, float,
 *    boolean;
 *  - `…/twin/update/delta` (DeviceTwinDelta): after any change of the twin,
 *    `{event_id, timestamp, twin, delta: {key: expected value}}` for every
 *    key whose expected value differs from the actual one;
 *  - `…/twin/get` (a BaseMessage `{event_id, timestamp}`) → `…/twin/get/result`
 *    (DeviceTwinResult `{event_id, timestamp, twin}`, or `{code, reason}`);
 *  - `…/state/update`: `{event_id, timestamp, state}`, state one of online,
 *    offline, ok, unknown, unhealthy.
 *
 * An expected value carries the time edgecore stored it
 * (`expected.metadata.timestamp`), stamped anew by every twin/update that
 * carries it, even unchanged (dtmanager/twin.go dealTwinCompare): the sink
 * uses it, with the value, as the version of that desired value.
 *
 * Maps keyed by twin keys have no prototype: `__proto__` is a valid twin
 * key, and a plain object would take it as its prototype.
 */
import { isJsonObject as isObject, JsonObject as Json } from './twin-delivery';

export const TWIN_KEY = /^[a-zA-Z0-9\-_.,:/@#]{1,128}$/;
export const TWIN_VALUE = /^[a-zA-Z0-9\-_.,:/@#]{1,512}$/;
/** Twin key prefix of a refused desired value's error: `gatewayErrors.<resource>` (as the AWS shadow's reported.gatewayErrors). */
export const GATEWAY_ERRORS = 'gatewayErrors.';

export interface TwinValue {
  value?: string;
  metadata?: { timestamp?: number };
}

export interface MsgTwin {
  expected?: TwinValue;
  actual?: TwinValue;
  optional?: boolean;
  metadata?: { type?: string };
}

export type TwinMap = Record<string, MsgTwin | null>;

/** An object for keys from the outside (twin keys): no prototype, so `__proto__` is a key like any other. */
export function keyed<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A key from a foreign message, shortened for a log line. */
function shown(key: string): string {
  return key.length > 40 ? `${key.slice(0, 40)}…` : key;
}

/** A desired (expected) value, and when edgecore stored it (its version), when given. */
export interface DesiredValue {
  value: string;
  timestamp?: number;
}

/** A message that could not be read: which field, and why. */
export interface Malformed {
  ok: false;
  field: string;
  reason: string;
}
export type Parsed<T> = { ok: true; value: T } | Malformed;

export const topics = {
  twinUpdate: (id: string) => `$hw/events/device/${id}/twin/update`,
  twinGet: (id: string) => `$hw/events/device/${id}/twin/get`,
  stateUpdate: (id: string) => `$hw/events/device/${id}/state/update`,
  /** What edgecore sends back to the devices of a namespace. */
  replies: (namespace: string) => ({
    [`$hw/events/device/${namespace}/+/twin/update/result`]: 1 as const,
    [`$hw/events/device/${namespace}/+/twin/update/delta`]: 1 as const,
    [`$hw/events/device/${namespace}/+/twin/get/result`]: 1 as const,
  }),
};

const REPLY = /^\$hw\/events\/device\/([^/]+)\/([^/]+)\/twin\/(update\/result|update\/delta|get\/result)$/;

export function replyOf(topic: string): { namespace: string; name: string; kind: 'update-result' | 'delta' | 'get-result' } | undefined {
  const match = REPLY.exec(topic);
  if (!match) return undefined;
  const kind = match[3] === 'update/result' ? 'update-result' : match[3] === 'update/delta' ? 'delta' : 'get-result';
  return { namespace: match[1], name: match[2], kind };
}

export function deviceId(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** A value as a twin holds it (text), or why it cannot hold it. */
export function twinText(value: unknown): { text: string; type: string } | { problem: string } {
  if (typeof value === 'boolean') return { text: String(value), type: 'boolean' };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { problem: `${value} is not a finite number` };
    const text = String(value);
    // Float for every number: a twin made from an integral reading would refuse the next fractional one.
    return TWIN_VALUE.test(text) ? { text, type: 'float' } : { problem: `${text} has characters a twin value may not hold` };
  }
  if (typeof value === 'string') {
    if (value === '' || TWIN_VALUE.test(value)) return { text: value, type: 'string' };
    return { problem: `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}" has characters a twin value may not hold (only letters, digits and - _ . , : / @ #, at most 512)` };
  }
  return { problem: `a ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value} value has no twin form (text of letters, digits and - _ . , : / @ #)` };
}

/** Reported state `{resource: value}` as twin entries (`actual`), and the resources a twin could not hold. */
export function reportedTwin(state: Json, now: number): { twin: Record<string, MsgTwin>; omitted: Array<{ resource: string; reason: string }> } {
  const twin = keyed<MsgTwin>();
  const omitted: Array<{ resource: string; reason: string }> = [];
  for (const [resource, value] of Object.entries(state)) {
    if (!TWIN_KEY.test(resource) || resource.startsWith(GATEWAY_ERRORS)) {
      omitted.push({ resource, reason: 'the name is no twin key (letters, digits and - _ . , : / @ #, at most 128, not gatewayErrors.*)' });
      continue;
    }
    const form = twinText(value);
    if ('problem' in form) omitted.push({ resource, reason: form.problem });
    else twin[resource] = actual(form.text, form.type, now);
  }
  return { twin, omitted };
}

export function actual(text: string, type: string, now: number): MsgTwin {
  return { actual: { value: text, metadata: { timestamp: now } }, metadata: { type } };
}

/** The twin key of a resource's error, when the resource name leaves room for it. */
export function errorKey(resource: string): string | undefined {
  const key = `${GATEWAY_ERRORS}${resource}`;
  return TWIN_KEY.test(key) ? key : undefined;
}

/** A refused desired value as a twin entry: `<status>:<message>`, the message reduced to what a twin value may hold. */
export function errorTwin(status: number, message: string, now: number): MsgTwin {
  const text = `${status}:${message.replace(/[^a-zA-Z0-9\-_.,:/@#]+/g, '_')}`.slice(0, 512);
  return actual(text, 'string', now);
}

export function message(eventId: string, now: number, body: Json = {}): string {
  return JSON.stringify({ event_id: eventId, timestamp: now, ...body });
}

/** A twin/update/result or twin/get/result: its event_id, and the twin or the error. */
export interface TwinResult {
  eventId: string;
  error?: { code: number; reason: string };
  twin?: TwinMap;
}

export function parseResult(body: unknown): Parsed<TwinResult> {
  if (!isObject(body)) return malformed('', 'not a JSON object');
  const eventId = body.event_id;
  if (typeof eventId !== 'string') return malformed('event_id', 'missing or not text');
  if (body.code !== undefined) {
    if (typeof body.code !== 'number') return malformed('code', 'not a number');
    return { ok: true, value: { eventId, error: { code: body.code, reason: typeof body.reason === 'string' ? body.reason : '' } } };
  }
  if (body.twin === undefined || body.twin === null) return { ok: true, value: { eventId, twin: keyed() } };
  const twin = parseTwinMap(body.twin, 'twin');
  return twin.ok ? { ok: true, value: { eventId, twin: twin.value } } : twin;
}

/** A delta: every key whose desired value the device does not have, with the value's version when the twin gives it. */
export function parseDelta(body: unknown): Parsed<Record<string, DesiredValue>> {
  if (!isObject(body)) return malformed('', 'not a JSON object');
  if (!isObject(body.delta)) return malformed('delta', 'missing or not an object of desired values');
  let twin: TwinMap = keyed();
  if (body.twin !== undefined && body.twin !== null) {
    const parsed = parseTwinMap(body.twin, 'twin');
    if (!parsed.ok) return parsed;
    twin = parsed.value;
  }
  const desired = keyed<DesiredValue>();
  for (const [key, value] of Object.entries(body.delta)) {
    if (!TWIN_KEY.test(key)) return malformed(`delta.${shown(key)}`, 'not a twin key');
    if (typeof value !== 'string') return malformed(`delta.${shown(key)}`, 'not text (a twin value is a string)');
    if (key.startsWith(GATEWAY_ERRORS)) continue;
    const timestamp = twin[key]?.expected?.value === value ? twin[key]?.expected?.metadata?.timestamp : undefined;
    desired[key] = { value, ...(timestamp !== undefined ? { timestamp } : {}) };
  }
  return { ok: true, value: desired };
}

/** Every desired value of a twin (as twin/get gives it), gateway errors and deleted twins left out. */
export function desiredOf(twin: TwinMap): Record<string, DesiredValue> {
  const desired = keyed<DesiredValue>();
  for (const [key, entry] of Object.entries(twin)) {
    const value = entry?.expected?.value;
    if (!entry || value === undefined || value === '' || key.startsWith(GATEWAY_ERRORS) || entry.metadata?.type === 'deleted') continue;
    const timestamp = entry.expected?.metadata?.timestamp;
    desired[key] = { value, ...(timestamp !== undefined ? { timestamp } : {}) };
  }
  return desired;
}

function parseTwinMap(raw: unknown, field: string): Parsed<TwinMap> {
  if (!isObject(raw)) return malformed(field, 'not an object of twin entries');
  const twin: TwinMap = keyed();
  for (const [key, entry] of Object.entries(raw)) {
    const at = `${field}.${shown(key)}`;
    if (entry === null) {
      twin[key] = null;
      continue;
    }
    if (!isObject(entry)) return malformed(at, 'not a twin entry (an object)');
    const out: MsgTwin = {};
    for (const side of ['expected', 'actual'] as const) {
      const value = entry[side];
      if (value === undefined || value === null) continue;
      if (!isObject(value)) return malformed(`${at}.${side}`, 'not an object');
      if (value.value !== undefined && value.value !== null && typeof value.value !== 'string') return malformed(`${at}.${side}.value`, 'not text');
      const meta = value.metadata;
      if (meta !== undefined && meta !== null && (!isObject(meta) || (meta.timestamp !== undefined && typeof meta.timestamp !== 'number'))) {
        return malformed(`${at}.${side}.metadata.timestamp`, 'not a number');
      }
      out[side] = {
        ...(typeof value.value === 'string' ? { value: value.value } : {}),
        ...(isObject(meta) && typeof meta.timestamp === 'number' ? { metadata: { timestamp: meta.timestamp } } : {}),
      };
    }
    if (isObject(entry.metadata) && typeof entry.metadata.type === 'string') out.metadata = { type: entry.metadata.type };
    if (typeof entry.optional === 'boolean') out.optional = entry.optional;
    twin[key] = out;
  }
  return { ok: true, value: twin };
}

function malformed(field: string, reason: string): Malformed {
  return { ok: false, field, reason };
}
