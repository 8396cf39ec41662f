/**
 * edgecore's device twin side of its MQTT eventbus, for tests, written from
 * KubeEdge's documented topics and types (kubeedge/kubeedge
 * edge/pkg/devicetwin: dtcommon topic suffixes and checks, dttype
 * DeviceTwinUpdate / DeviceTwinResult / DeviceTwinDelta / MsgTwin /
 * TwinValue / TypeMetadata; the eventbus subscriptions). One MQTT client:
 *
 *  - subscribes `$hw/events/device/+/+/twin/+` and `…/+/+/state/update`
 *    (the device id is `{namespace}/{name}`);
 *  - `twin/update` `{event_id, timestamp, twin: {key: MsgTwin}}`: JSON that
 *    does not parse, no `twin`, a key outside `[a-zA-Z0-9-_.,:/@#]{1,128}` or
 *    a non-empty value outside `…{1,512}` → 400 on
 *    `$hw/events/device//twin/update/result` with an empty event_id (as
 *    edgecore does: it has not read the device yet); an unknown device →
 *    404; a value not of the twin's type (string, int/integer, float,
 *    boolean) → 400 and nothing changes; a new key is added with the type
 *    its metadata gives (string by default); a null entry deletes an
 *    existing optional twin (type `deleted`), and for a key the device lacks
 *    ends the processing there (edgecore returns early) without an error.
 *    Success: `…/twin/update/result` `{event_id, timestamp, twin}`, then
 *    `…/twin/update/document`, then `…/twin/update/delta` when any expected
 *    value differs from the actual one (`{event_id, timestamp, twin, delta}`);
 *  - `twin/get` → `…/twin/get/result` `{event_id, timestamp, twin}` (deleted
 *    twins left out, no versions), 404 for an unknown device;
 *  - `state/update` `{state}` (online, offline, ok, unknown, unhealthy,
 *    any case; others ignored) → `…/state/update/result` `{event_id,
 *    timestamp, device: {name, state, lastOnlineTime}}`.
 *
 * edgecore as of KubeEdge 1.15 and later (cloud/pkg/devicecontroller
 * downstream.go createDevice; edge dmiserver/server.go): the cloud sends a
 * Device to the node without twins, and no twin updates at all; a twin is
 * made by the first twin/update that names it. The rest of this class's
 * API:
 *  - addDevice(): a Device the cloud placed on this node (no twins);
 *  - setExpected(): what sets `expected` on 1.15+: a local MQTT app's
 *    twin/update, or a DMI mapper's report (expected = its observedDesired,
 *    with its actual value). Like any update carrying `expected`, edgecore
 *    stamps it anew, unchanged or not (dtmanager/twin.go dealTwinCompare);
 *    then the delta;
 *  - silence() (requests for a device left unanswered), failNext() (the next
 *    request answered with an error code).
 * Devices other test runs use on a shared broker are left alone (`owns`).
 * Maps keyed by twin keys have no prototype (`__proto__` is a twin key, as
 * in edgecore's Go maps).
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import mqtt, { MqttClient } from 'mqtt';

type Json = Record<string, any>;

const KEY = /^[a-zA-Z0-9\-_.,:/@#]{1,128}$/;
const VALUE = /^[a-zA-Z0-9\-_.,:/@#]{1,512}$/;
const STATES = new Set(['online', 'offline', 'ok', 'unknown', 'unhealthy']);
const REQUEST = /^\$hw\/events\/device\/([^/]+\/[^/]+)\/(twin\/update|twin\/get|state\/update)$/;

interface Value {
  value: string;
  timestamp: number;
}

interface Twin {
  expected?: Value;
  actual?: Value;
  type: string;
  optional: boolean;
}

interface Device {
  twins: Map<string, Twin>;
  state?: string;
  lastOnline?: string;
}

export interface Received {
  id: string;
  op: 'twin/update' | 'twin/get' | 'state/update';
  body: unknown;
  /** The answer's code (200 when it succeeded, 0 when none). */
  code: number;
}

class Refusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class EdgecoreEmulator {
  readonly received: Received[] = [];
  private readonly devices = new Map<string, Device>();
  private readonly changes = new EventEmitter();
  private readonly silenced = new Set<string>();
  private readonly failures: Array<{ id: string; op: Received['op']; code: number }> = [];

  private constructor(
    private readonly client: MqttClient,
    private readonly owns: (id: string) => boolean,
  ) {
    this.changes.setMaxListeners(100);
  }

  static async start(url: string, owns: (id: string) => boolean): Promise<EdgecoreEmulator> {
    const client = await mqtt.connectAsync(url, { clientId: `edgecore-emulator-${randomUUID()}`, clean: true, reconnectPeriod: 100 });
    const emulator = new EdgecoreEmulator(client, owns);
    client.on('message', (topic, payload) => emulator.onMessage(topic, payload));
    // mqtt.js subscribes again after a reconnect (clean session).
    await client.subscribeAsync(['$hw/events/device/+/+/twin/+', '$hw/events/device/+/+/state/update'], { qos: 1 });
    return emulator;
  }

  async stop(): Promise<void> {
    await this.client.endAsync(true);
  }

  /** A Device the cloud placed on this node: since KubeEdge 1.15 without twins (the first twin/update naming a property makes its twin). */
  addDevice(id: string): void {
    this.devices.set(id, { twins: new Map() });
  }

  /**
   * A twin/update carrying an expected value, from a local MQTT app or a DMI
   * mapper's report (with `actual`, the mapper's reported value): stored with
   * a new timestamp (returned) though unchanged, then the delta (not sent
   * while the broker is away). Not in `received`.
   */
  async setExpected(id: string, key: string, value: string, options: { actual?: string; type?: string } = {}): Promise<number> {
    if (!this.devices.has(id)) throw new Error(`no device ${id}`);
    const entry = {
      expected: { value },
      ...(options.actual !== undefined ? { actual: { value: options.actual } } : {}),
      ...(options.type !== undefined ? { metadata: { type: options.type } } : {}),
    };
    const out = this.update(id, { event_id: randomUUID(), timestamp: Date.now(), twin: { [key]: entry } });
    const code = out[0].body.code;
    if (typeof code === 'number') throw new Error(`the update was refused: ${code} ${out[0].body.reason}`);
    this.changes.emit('change');
    if (this.client.connected) await Promise.all(out.map((m) => this.client.publishAsync(m.topic, JSON.stringify(m.body), { qos: 1 })));
    return this.devices.get(id)!.twins.get(key)!.expected!.timestamp;
  }

  /** Requests for this device go unanswered (another client answers them in a test). */
  silence(id: string): void {
    this.silenced.add(id);
  }

  /** The next `op` request for this device is answered with `code` (500: edgecore's database failed). */
  failNext(id: string, op: Received['op'], code: number): void {
    this.failures.push({ id, op, code });
  }

  /** The twin as edgecore holds it: key → {expected, actual, type}. */
  twin(id: string): Record<string, { expected?: string; actual?: string; type: string }> {
    const device = this.devices.get(id);
    if (!device) return {};
    return Object.fromEntries(
      [...device.twins].filter(([, t]) => t.type !== 'deleted').map(([k, t]) => [k, { expected: t.expected?.value, actual: t.actual?.value, type: t.type }]),
    );
  }

  state(id: string): string | undefined {
    return this.devices.get(id)?.state;
  }

  requests(id: string, op?: Received['op']): Received[] {
    return this.received.filter((r) => r.id === id && (op === undefined || r.op === op));
  }

  /** Resolves with the first value `probe` returns that is not undefined, checked after every message handled. */
  until<T>(probe: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found === undefined) return;
        finish();
        resolve(found);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.changes.off('change', check);
      };
      this.changes.on('change', check);
      check();
    });
  }

  /** When edgecore stores a value (ms; never the same twice here, so two stores are told apart). */
  private stamp(): number {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return this.lastStamp;
  }
  private lastStamp = 0;

  private onMessage(topic: string, payload: Buffer): void {
    const match = REQUEST.exec(topic);
    if (!match || !this.owns(match[1]) || this.silenced.has(match[1])) return;
    const [, id, opText] = match;
    const op = opText as Received['op'];
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      body = payload.toString('utf8');
    }
    const entry: Received = { id, op, body, code: 0 };
    const failure = this.failures.findIndex((f) => f.id === id && f.op === op);
    let out: Array<{ topic: string; body: Json }>;
    if (failure >= 0) {
      const { code } = this.failures.splice(failure, 1)[0];
      const eventId = isObject(body) && typeof body.event_id === 'string' ? body.event_id : '';
      out = [{ topic: `$hw/events/device/${id}/${op}/result`, body: { event_id: eventId, timestamp: Date.now(), code, reason: 'failed to update the database' } }];
    } else {
      out = op === 'twin/update' ? this.update(id, body) : op === 'twin/get' ? this.get(id, body) : this.stateUpdate(id, body);
    }
    entry.code = out.length === 0 ? 0 : typeof out[0].body.code === 'number' ? out[0].body.code : 200;
    this.received.push(entry);
    void Promise.all(out.map((m) => this.client.publishAsync(m.topic, JSON.stringify(m.body), { qos: 1 }))).then(() => this.changes.emit('change'));
  }

  private update(id: string, body: unknown): Array<{ topic: string; body: Json }> {
    // Before the device is looked up, edgecore answers on a topic with an empty device id and no event_id.
    const unread = (reason: string) => [{ topic: '$hw/events/device//twin/update/result', body: { event_id: '', timestamp: Date.now(), code: 400, reason } }];
    if (!isObject(body)) return unread('Unmarshal update request body failed, please check the request');
    if (!isObject(body.twin)) return unread('Update twin error, key:twin does not exist');
    for (const [key, msg] of Object.entries(body.twin)) {
      if (!KEY.test(key)) return unread('The key of twin must only include upper or lowercase letters, number, english, and special letter - _ . , : / @ # and the length of key should be less than 128 bytes');
      for (const side of ['expected', 'actual']) {
        const value = isObject(msg) && isObject(msg[side]) ? msg[side].value : undefined;
        if (typeof value === 'string' && value !== '' && !VALUE.test(value)) {
          return unread('The value of twin must only include upper or lowercase letters, number, english, and special letter - _ . , : / @ # and the length of value should be less than 512 bytes');
        }
      }
    }
    const eventId = typeof body.event_id === 'string' ? body.event_id : '';
    const resultTopic = `$hw/events/device/${id}/twin/update/result`;
    const device = this.devices.get(id);
    if (!device) return [{ topic: resultTopic, body: { event_id: eventId, timestamp: Date.now(), code: 404, reason: 'update rejected due to the device is not existed' } }];
    // Applied to a copy: a refusal leaves the twin as it was (edgecore reloads it from its database).
    const twins = new Map([...device.twins].map(([k, t]) => [k, structuredClone(t)]));
    const now = this.stamp();
    const result: Json = Object.create(null);
    try {
      for (const [key, msg] of Object.entries(body.twin as Json)) {
        const twin = twins.get(key);
        if (msg === null || msg === undefined) {
          // A null for a key the device lacks: edgecore stops here, without an error.
          if (!twin) break;
          if (twin.optional) {
            twins.set(key, { ...twin, expected: undefined, actual: undefined, type: 'deleted' });
            result[key] = null;
          }
          continue;
        }
        if (!isObject(msg)) throw new Refusal(400, 'the request body is wrong');
        const msgType = isObject(msg.metadata) && typeof msg.metadata.type === 'string' ? msg.metadata.type : undefined;
        const target: Twin = twin ?? { type: msgType ?? 'string', optional: typeof msg.optional === 'boolean' ? msg.optional : true };
        const type = target.type === 'deleted' ? (msgType ?? 'string') : target.type;
        for (const side of ['expected', 'actual'] as const) {
          const value = isObject(msg[side]) ? msg[side].value : undefined;
          if (typeof value !== 'string') continue;
          const problem = valueProblem(type, value);
          if (problem) throw new Refusal(400, problem);
          target[side] = { value, timestamp: now };
        }
        target.type = type;
        twins.set(key, target);
        result[key] = view(target);
      }
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      return [{ topic: resultTopic, body: { event_id: eventId, timestamp: now, code: err.code, reason: err.message } }];
    }
    device.twins = twins;
    const out: Array<{ topic: string; body: Json }> = [
      { topic: resultTopic, body: { event_id: eventId, timestamp: now, twin: result } },
      { topic: `$hw/events/device/${id}/twin/update/document`, body: { event_id: eventId, timestamp: now, twin: {} } },
    ];
    const delta = this.deltaOf(device);
    if (delta) out.push({ topic: `$hw/events/device/${id}/twin/update/delta`, body: delta });
    return out;
  }

  private get(id: string, body: unknown): Array<{ topic: string; body: Json }> {
    const topic = `$hw/events/device/${id}/twin/get/result`;
    if (!isObject(body)) return [{ topic, body: { event_id: '', timestamp: Date.now(), code: 400, reason: 'Unmarshal twin info failed' } }];
    const eventId = typeof body.event_id === 'string' ? body.event_id : '';
    const device = this.devices.get(id);
    if (!device) return [{ topic, body: { event_id: eventId, timestamp: Date.now(), code: 404, reason: `Device ${id} not found while getting twin` } }];
    const twin: Json = Object.create(null);
    for (const [k, t] of device.twins) if (t.type !== 'deleted') twin[k] = view(t);
    return [{ topic, body: { event_id: eventId, timestamp: Date.now(), twin } }];
  }

  private stateUpdate(id: string, body: unknown): Array<{ topic: string; body: Json }> {
    const device = this.devices.get(id);
    const state = isObject(body) && typeof body.state === 'string' ? body.state.toLowerCase() : undefined;
    if (!device || !state || !STATES.has(state)) return [];
    device.state = state;
    device.lastOnline = state === 'online' || state === 'ok' ? new Date().toISOString() : '';
    return [
      {
        topic: `$hw/events/device/${id}/state/update/result`,
        body: { event_id: randomUUID(), timestamp: Date.now(), device: { name: id.split('/')[1], state: device.state, lastOnlineTime: device.lastOnline } },
      },
    ];
  }

  private deltaOf(device: Device): Json | undefined {
    const twin: Json = Object.create(null);
    const delta: Record<string, string> = Object.create(null);
    for (const [key, t] of device.twins) {
      if (t.type === 'deleted' || !t.expected?.value) continue;
      if (t.expected.value !== t.actual?.value) delta[key] = t.expected.value;
      twin[key] = view(t);
    }
    return Object.keys(delta).length > 0 ? { event_id: randomUUID(), timestamp: Date.now(), twin, delta } : undefined;
  }
}

/** MsgTwin as edgecore sends it to devices (no versions). */
function view(t: Twin): Json {
  return {
    ...(t.expected ? { expected: { value: t.expected.value, metadata: { timestamp: t.expected.timestamp } } } : {}),
    ...(t.actual ? { actual: { value: t.actual.value, metadata: { timestamp: t.actual.timestamp } } } : {}),
    optional: t.optional,
    metadata: { type: t.type },
  };
}

/** edgecore's ValidateValue. */
function valueProblem(type: string, value: string): string | undefined {
  switch (type) {
    case '':
    case 'string':
    case 'deleted':
      return undefined;
    case 'int':
    case 'integer':
      return /^[+-]?\d{1,19}$/.test(value) && BigInt(value) >= -(2n ** 63n) && BigInt(value) < 2n ** 63n ? undefined : 'the value is not int or integer';
    case 'float':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? undefined : 'the value is not float';
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : 'the bool value must be true or false';
    default:
      return 'the value type is not allowed';
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
