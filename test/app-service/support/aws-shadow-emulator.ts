/**
 * A local AWS IoT Device Shadow service over the real Mosquitto, for tests.
 * It is one MQTT client that answers the reserved shadow request topics the
 * way the AWS IoT developer guide documents them:
 *
 *  - `$aws/things/{thing}/shadow[/name/{shadow}]/update|get|delete` requests,
 *    answered on `…/accepted` or `…/rejected` (error document
 *    `{code, message, timestamp, clientToken?}`); `clientToken` is echoed.
 *  - update: `state` holds only `desired` and/or `reported` (objects, or null
 *    to remove a section); a null value deletes a key; arrays are replaced
 *    whole and may not hold null; objects merge. Every accepted update
 *    increments `version` (a new shadow starts at 1, a deleted one keeps
 *    counting); a request `version` other than the current one → 409
 *    "Version conflict". More than 8192 bytes of desired + reported state
 *    after the merge → 413 (metadata does not count). Bad JSON, a bad
 *    clientToken (> 64 bytes), a bad version or more than 6 levels of
 *    nesting → 400; a payload that is not UTF-8 → 415.
 *  - accepted echoes the request state with per-leaf metadata timestamps
 *    (epoch seconds); `…/update/documents` carries previous and current.
 *  - delta: published after an accepted update that carries `desired`, when
 *    desired differs from reported; it holds every desired key that differs
 *    (nested objects down to the differing leaves, arrays as values), with
 *    the desired metadata and the new version.
 *  - get returns state with `delta`, metadata and version, 404 when there is
 *    no shadow; delete keeps the version counter.
 *
 * Things other test runs use on the shared broker are left alone (`owns`).
 * Not emulated: authorization (401/403), 429 for more than 10 requests in
 * flight per connection (a shared broker hides the connection), throttling.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import mqtt, { MqttClient } from 'mqtt';

type Json = Record<string, any>;
export type ShadowOp = 'update' | 'get' | 'delete';

export interface EmulatorOptions {
  url?: string;
  /** Which things this emulator serves (the broker is shared with other runs). */
  owns: (thing: string) => boolean;
  /** Desired + reported bytes a shadow may hold (default 8192, the AWS IoT quota). */
  maxStateBytes?: number;
  now?: () => number;
}

export interface RequestEntry {
  thing: string;
  shadowName?: string;
  op: ShadowOp;
  /** The parsed request, or the raw text when it was not JSON. */
  body: unknown;
  /** 200 when accepted, the error code otherwise, 0 when ignored on purpose. */
  code: number;
}

export interface ShadowView {
  state: { desired?: Json; reported?: Json; delta?: Json };
  metadata: { desired?: Json; reported?: Json };
  version: number;
}

interface Shadow {
  exists: boolean;
  state: { desired?: Json; reported?: Json };
  metadata: { desired?: Json; reported?: Json };
  version: number;
}

class Rejection extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const REQUEST = /^\$aws\/things\/([^/]+)\/shadow(?:\/name\/([^/]+))?\/(update|get|delete)$/;
const MAX_DEPTH = 6;
const MAX_TOKEN_BYTES = 64;

export class AwsShadowEmulator {
  readonly requests: RequestEntry[] = [];
  private readonly shadows = new Map<string, Shadow>();
  private readonly changes = new EventEmitter();
  private injected: Array<{ op: ShadowOp; code?: number; message?: string }> = [];
  private readonly maxStateBytes: number;
  private readonly now: () => number;
  private readonly token = `emulator-${randomBytes(4).toString('hex')}`;
  private seq = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly options: EmulatorOptions,
  ) {
    this.maxStateBytes = options.maxStateBytes ?? 8192;
    this.now = options.now ?? Date.now;
    this.changes.setMaxListeners(100);
  }

  static async start(options: EmulatorOptions): Promise<AwsShadowEmulator> {
    const client = await mqtt.connectAsync(options.url ?? 'mqtt://127.0.0.1:1883', {
      clientId: `aws-shadow-emulator-${randomBytes(6).toString('hex')}`,
      clean: true,
      reconnectPeriod: 0,
    });
    const emulator = new AwsShadowEmulator(client, options);
    // Serialized like the service orders requests per shadow; mqtt.js hands messages over in order.
    client.on('message', (topic, payload) => emulator.onRequest(topic, payload));
    const filters = ['update', 'get', 'delete'].flatMap((op) => [`$aws/things/+/shadow/${op}`, `$aws/things/+/shadow/name/+/${op}`]);
    await client.subscribeAsync(filters, { qos: 1 });
    return emulator;
  }

  async stop(): Promise<void> {
    await this.client.endAsync();
  }

  /** The next `count` requests of `op` are answered with this error instead of being applied. */
  rejectNext(count: number, code: number, message = 'injected by the test', op: ShadowOp = 'update'): void {
    for (let i = 0; i < count; i++) this.injected.push({ op, code, message });
  }

  /** The next `count` requests of `op` get no answer at all. */
  ignoreNext(count: number, op: ShadowOp = 'update'): void {
    for (let i = 0; i < count; i++) this.injected.push({ op });
  }

  count(op: ShadowOp, thing?: string): number {
    return this.requests.filter((r) => r.op === op && (thing === undefined || r.thing === thing)).length;
  }

  /** Requests for one thing as `op:code`, e.g. `update:409`. */
  history(thing: string): string[] {
    return this.requests.filter((r) => r.thing === thing).map((r) => `${r.op}:${r.code}`);
  }

  getShadow(thing: string, shadowName?: string): ShadowView | undefined {
    const shadow = this.shadows.get(key(thing, shadowName));
    if (!shadow?.exists) return undefined;
    return structuredClone(viewOf(shadow));
  }

  /** What a cloud application does: an update of `desired`, with the same replies a device sees. */
  async setDesired(thing: string, desired: Json | null, shadowName?: string): Promise<number> {
    const clientToken = `${this.token}-${++this.seq}`;
    const outcome = this.update(thing, shadowName, { state: { desired }, clientToken });
    await this.publishAll(outcome);
    const accepted = outcome.find((m) => m.topic.endsWith('/update/accepted'));
    if (!accepted) throw new Error(`setDesired(${thing}) was rejected: ${JSON.stringify(outcome[0]?.body)}`);
    return accepted.body.version as number;
  }

  /** Resolves with the shadow once its reported state satisfies `predicate`. */
  waitForReported(thing: string, predicate: (reported: Json) => boolean, options: { shadowName?: string; timeoutMs?: number } = {}): Promise<ShadowView> {
    const id = key(thing, options.shadowName);
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const check = () => {
        const shadow = this.shadows.get(id);
        if (!shadow?.exists || !predicate(shadow.state.reported ?? {})) return false;
        finish();
        resolve(structuredClone(viewOf(shadow)));
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        const reported = this.shadows.get(id)?.state.reported;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for reported state of ${thing}; it is ${JSON.stringify(reported)}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.changes.off(id, check);
      };
      if (!check()) this.changes.on(id, check);
    });
  }

  /** Resolves once a request satisfying `predicate` has been answered. */
  waitForRequest(predicate: (entry: RequestEntry) => boolean, what: string, timeoutMs = 10_000): Promise<RequestEntry> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.requests.find(predicate);
        if (!found) return false;
        finish();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.changes.off('request', check);
      };
      if (!check()) this.changes.on('request', check);
    });
  }

  private onRequest(topic: string, payload: Buffer): void {
    const match = REQUEST.exec(topic);
    if (!match || !this.options.owns(match[1])) return;
    const [, thing, shadowName, opText] = match;
    const op = opText as ShadowOp;
    const text = decodeUtf8(payload);
    let body: unknown = text;
    try {
      body = text === undefined || text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      // answered below as 400
    }
    const entry: RequestEntry = { thing, shadowName, op, body, code: 200 };
    const injectedAt = this.injected.findIndex((i) => i.op === op);
    let outcome: Published[];
    if (injectedAt >= 0) {
      const [injected] = this.injected.splice(injectedAt, 1);
      const token = isObject(body) && typeof body.clientToken === 'string' ? body.clientToken : undefined;
      outcome = injected.code === undefined ? [] : [this.error(thing, shadowName, op, new Rejection(injected.code, injected.message!), token)];
    } else if (text === undefined) {
      outcome = [this.error(thing, shadowName, op, new Rejection(415, 'Unsupported documented encoding; supported encoding is UTF-8'))];
    } else if (op === 'update') {
      outcome = this.update(thing, shadowName, body);
    } else {
      outcome = op === 'get' ? this.get(thing, shadowName, body) : this.delete(thing, shadowName, body);
    }
    entry.code = outcome.length === 0 ? 0 : outcome[0].topic.endsWith('/rejected') ? (outcome[0].body.code as number) : 200;
    this.requests.push(entry);
    void this.publishAll(outcome).then(() => this.changes.emit('request'));
  }

  private update(thing: string, shadowName: string | undefined, body: unknown): Published[] {
    const token = validToken(body);
    try {
      const request = checkUpdate(body);
      const shadow = this.shadowOf(thing, shadowName);
      if (request.version !== undefined && request.version !== shadow.version) throw new Rejection(409, 'Version conflict');
      const state = { desired: shadow.state.desired, reported: shadow.state.reported };
      for (const section of ['desired', 'reported'] as const) {
        if (!(section in request.state)) continue;
        const patch = request.state[section];
        state[section] = patch === null ? undefined : orUndefined(merge(state[section] ?? {}, patch));
      }
      const stored = stripUndefined(state);
      if (Buffer.byteLength(JSON.stringify(stored)) > this.maxStateBytes) {
        throw new Rejection(413, 'The payload exceeds the maximum size allowed');
      }
      const previous = shadow.exists ? structuredClone({ state: shadow.state, metadata: shadow.metadata, version: shadow.version }) : undefined;
      const timestamp = this.seconds();
      const metadata: Json = {};
      for (const section of ['desired', 'reported'] as const) {
        if (!(section in request.state)) continue;
        const patch = request.state[section];
        shadow.metadata[section] = patch === null ? undefined : orUndefined(stampMetadata(shadow.metadata[section] ?? {}, patch, timestamp));
        metadata[section] = patch === null ? null : metadataOf(patch, timestamp);
      }
      shadow.metadata = stripUndefined(shadow.metadata);
      shadow.state = stored;
      shadow.version++;
      shadow.exists = true;
      this.changes.emit(key(thing, shadowName));

      const prefix = topicBase(thing, shadowName);
      const withToken = token !== undefined ? { clientToken: token } : {};
      const out: Published[] = [
        { topic: `${prefix}/update/accepted`, body: { state: request.state, metadata, version: shadow.version, timestamp, ...withToken } },
        {
          topic: `${prefix}/update/documents`,
          body: {
            ...(previous ? { previous } : {}),
            current: structuredClone({ state: shadow.state, metadata: shadow.metadata, version: shadow.version }),
            timestamp,
            ...withToken,
          },
        },
      ];
      const delta = deltaOf(shadow.state.desired, shadow.state.reported);
      if ('desired' in request.state && delta) {
        out.push({
          topic: `${prefix}/update/delta`,
          body: { state: delta, metadata: pick(shadow.metadata.desired ?? {}, delta), version: shadow.version, timestamp, ...withToken },
        });
      }
      return out;
    } catch (err) {
      if (err instanceof Rejection) return [this.error(thing, shadowName, 'update', err, token)];
      throw err;
    }
  }

  private get(thing: string, shadowName: string | undefined, body: unknown): Published[] {
    const token = validToken(body);
    const shadow = this.shadows.get(key(thing, shadowName));
    if (!isObject(body)) return [this.error(thing, shadowName, 'get', new Rejection(400, 'Invalid JSON'))];
    if (!shadow?.exists) return [this.error(thing, shadowName, 'get', new Rejection(404, `No shadow exists with name: '${shadowName ?? thing}'`), token)];
    const view = viewOf(shadow);
    return [
      {
        topic: `${topicBase(thing, shadowName)}/get/accepted`,
        body: { ...structuredClone(view), timestamp: this.seconds(), ...(token !== undefined ? { clientToken: token } : {}) },
      },
    ];
  }

  private delete(thing: string, shadowName: string | undefined, body: unknown): Published[] {
    const token = validToken(body);
    const shadow = this.shadows.get(key(thing, shadowName));
    if (!shadow?.exists) return [this.error(thing, shadowName, 'delete', new Rejection(404, `No shadow exists with name: '${shadowName ?? thing}'`), token)];
    shadow.exists = false;
    shadow.state = {};
    shadow.metadata = {};
    this.changes.emit(key(thing, shadowName));
    return [
      {
        topic: `${topicBase(thing, shadowName)}/delete/accepted`,
        body: { version: shadow.version, timestamp: this.seconds(), ...(token !== undefined ? { clientToken: token } : {}) },
      },
    ];
  }

  private error(thing: string, shadowName: string | undefined, op: ShadowOp, err: Rejection, token?: string): Published {
    return {
      topic: `${topicBase(thing, shadowName)}/${op}/rejected`,
      body: { code: err.code, message: err.message, timestamp: this.seconds(), ...(token !== undefined ? { clientToken: token } : {}) },
    };
  }

  private shadowOf(thing: string, shadowName?: string): Shadow {
    const id = key(thing, shadowName);
    let shadow = this.shadows.get(id);
    if (!shadow) {
      shadow = { exists: false, state: {}, metadata: {}, version: 0 };
      this.shadows.set(id, shadow);
    }
    return shadow;
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private async publishAll(messages: Published[]): Promise<void> {
    // All handed to mqtt.js at once, so they go out in this order whatever comes next.
    await Promise.all(messages.map((m) => this.client.publishAsync(m.topic, JSON.stringify(m.body), { qos: 1 })));
  }
}

interface Published {
  topic: string;
  body: Json;
}

function key(thing: string, shadowName?: string): string {
  return shadowName ? `${thing}/${shadowName}` : thing;
}

function topicBase(thing: string, shadowName?: string): string {
  return `$aws/things/${thing}/shadow${shadowName ? `/name/${shadowName}` : ''}`;
}

function viewOf(shadow: Shadow): ShadowView {
  const delta = deltaOf(shadow.state.desired, shadow.state.reported);
  return { state: { ...shadow.state, ...(delta ? { delta } : {}) }, metadata: shadow.metadata, version: shadow.version };
}

function decodeUtf8(payload: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request's clientToken when it may be echoed. */
function validToken(body: unknown): string | undefined {
  if (!isObject(body) || typeof body.clientToken !== 'string') return undefined;
  return Buffer.byteLength(body.clientToken) <= MAX_TOKEN_BYTES ? body.clientToken : undefined;
}

function checkUpdate(body: unknown): { state: Json; version?: number } {
  if (!isObject(body)) throw new Rejection(400, 'Invalid JSON');
  if ('clientToken' in body && validToken(body) === undefined) throw new Rejection(400, 'Invalid clientToken');
  if ('version' in body && !(Number.isInteger(body.version) && body.version >= 0)) throw new Rejection(400, 'Invalid version');
  if (!('state' in body)) throw new Rejection(400, 'Missing required node: state');
  const state = body.state;
  if (!isObject(state)) throw new Rejection(400, 'State node must be an object');
  for (const [section, value] of Object.entries(state)) {
    if (section !== 'desired' && section !== 'reported') throw new Rejection(400, 'State contains an invalid node');
    if (value !== null && !isObject(value)) throw new Rejection(400, `${section === 'desired' ? 'Desired' : 'Reported'} node must be an object`);
  }
  // Counted as key path length from `state` (state.reported.a.b = 4), the reading the docs leave open.
  if (depth(state) + 1 > MAX_DEPTH) throw new Rejection(400, `JSON contains too many levels of nesting; maximum is ${MAX_DEPTH}`);
  if (hasNullInArray(state)) throw new Rejection(400, 'State contains an invalid node');
  return { state, version: body.version as number | undefined };
}

function depth(value: unknown): number {
  if (Array.isArray(value)) return Math.max(0, ...value.map(depth));
  if (!isObject(value)) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depth));
}

function hasNullInArray(value: unknown): boolean {
  if (Array.isArray(value)) return value.some((v) => v === null || hasNullInArray(v));
  return isObject(value) && Object.values(value).some(hasNullInArray);
}

/** Objects merge, null deletes, everything else (arrays included) replaces; emptied objects disappear. */
function merge(target: Json, patch: Json): Json {
  const out: Json = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v)) {
      const merged = merge(isObject(out[k]) ? out[k] : {}, v);
      if (Object.keys(merged).length > 0 || Object.keys(v).length === 0) out[k] = merged;
      else delete out[k];
    } else out[k] = structuredClone(v);
  }
  return out;
}

function metadataOf(patch: unknown, timestamp: number): unknown {
  if (Array.isArray(patch)) return patch.map(() => ({ timestamp }));
  if (!isObject(patch)) return { timestamp };
  return Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, v === null ? null : metadataOf(v, timestamp)]));
}

function stampMetadata(target: Json, patch: Json, timestamp: number): Json {
  const out: Json = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v)) {
      const stamped = stampMetadata(isObject(out[k]) && !('timestamp' in out[k]) ? out[k] : {}, v, timestamp);
      if (Object.keys(stamped).length > 0) out[k] = stamped;
      else delete out[k];
    } else out[k] = metadataOf(v, timestamp);
  }
  return out;
}

/** Desired keys whose value differs from reported (objects compared key by key, arrays as values). */
export function deltaOf(desired: Json | undefined, reported: Json | undefined): Json | undefined {
  if (!desired) return undefined;
  const delta: Json = {};
  for (const [k, want] of Object.entries(desired)) {
    const have = reported?.[k];
    if (isObject(want) && isObject(have)) {
      const inner = deltaOf(want, have);
      if (inner) delta[k] = inner;
    } else if (!isDeepStrictEqual(want, have)) {
      delta[k] = structuredClone(want);
    }
  }
  return Object.keys(delta).length > 0 ? delta : undefined;
}

/** The parts of `metadata` at the keys of `shape`. */
function pick(metadata: Json, shape: Json): Json {
  return Object.fromEntries(
    Object.keys(shape).map((k) => [k, isObject(shape[k]) && isObject(metadata[k]) && !('timestamp' in metadata[k]) ? pick(metadata[k], shape[k]) : metadata[k]]),
  );
}

function orUndefined(value: Json): Json | undefined {
  return Object.keys(value).length > 0 ? value : undefined;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
