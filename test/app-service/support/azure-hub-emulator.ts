/**
 * A local Azure IoT Hub for tests: the device-facing MQTT protocol as Azure
 * documents it, played by an ordinary client of a real Mosquitto.
 *
 * - Twins: desired and reported documents, each with its own `$version`
 *   (starting at 1, +1 per patch). `$iothub/twin/GET/?$rid=` answers 200 with
 *   both; `$iothub/twin/PATCH/properties/reported/?$rid=` merges (JSON merge
 *   patch: null deletes) and answers `204` with `$rid` and the new `$version`;
 *   a malformed patch gets 400, a reported document over 32 KB gets 413.
 *   `failNext` injects statuses (429 throttling, 5xx, 400) for the next requests.
 * - `setDesired` merges a desired patch, bumps the version and publishes it on
 *   `$iothub/twin/PATCH/properties/desired/?$version=` with `$version` in the body.
 * - `invokeMethod` publishes `$iothub/methods/POST/<name>/?$rid=` and awaits the
 *   device's `$iothub/methods/res/<status>/?$rid=` (504 when it does not answer).
 * - Telemetry on `devices/<id>/messages/events/<property bag>` is recorded with
 *   its url-decoded properties.
 *
 * What a broker cannot emulate: IoT Hub knows the device of a connection from
 * its CONNECT (and checks its SAS password there); `$iothub/...` topics carry no
 * device id. So the emulator answers `$iothub` traffic as one device at a time
 * (`serve`), and the CONNECT is checked in front of the broker (HubGate in
 * hub-gate.ts: CONNACK 5 for a bad SAS token) or by the test with verifySasToken.
 * Because `$iothub` topics are fixed, give each emulator a private broker
 * (startMosquitto) so parallel test files never answer each other's requests.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import mqtt, { MqttClient } from 'mqtt';

type Json = Record<string, unknown>;

export type SasCheck = { ok: true; expiry: number; policyName?: string } | { ok: false; reason: string };

/**
 * What IoT Hub checks on a SAS token: the resource it names, its expiry, and
 * the HMAC-SHA256 (with the base64-decoded key) of `<url-encoded uri>\n<expiry>`.
 * Written independently of the sink's createSasToken, so one checks the other.
 */
export function verifySasToken(token: string, key: string, resourceUri: string, now = Date.now()): SasCheck {
  const prefix = 'SharedAccessSignature ';
  if (!token.startsWith(prefix)) return { ok: false, reason: 'not a SharedAccessSignature' };
  const fields = new Map<string, string>();
  for (const pair of token.slice(prefix.length).split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const [sr, sig, se] = [fields.get('sr'), fields.get('sig'), fields.get('se')];
  if (!sr || !sig || !se) return { ok: false, reason: 'sr, sig and se are required' };
  if (decodeURIComponent(sr).toLowerCase() !== resourceUri.toLowerCase()) return { ok: false, reason: `token is for ${decodeURIComponent(sr)}` };
  const expiry = Number(se);
  if (!Number.isInteger(expiry)) return { ok: false, reason: 'se is not a number of seconds' };
  if (expiry * 1000 <= now) return { ok: false, reason: 'token expired' };
  const expected = createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${se}`).digest();
  const given = Buffer.from(decodeURIComponent(sig), 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature mismatch' };
  const skn = fields.get('skn');
  return skn ? { ok: true, expiry, policyName: decodeURIComponent(skn) } : { ok: true, expiry };
}

export interface TwinDocument {
  desired: Json;
  reported: Json;
  desiredVersion: number;
  reportedVersion: number;
}

export interface TelemetryMessage {
  deviceId: string;
  topic: string;
  properties: Record<string, string>;
  body: Buffer;
}

export interface TwinRequest {
  deviceId: string;
  op: 'GET' | 'PATCH';
  rid: string;
  status: number;
  body?: Json;
}

export interface MethodResponse {
  status: number;
  payload: unknown;
}

const MAX_REPORTED_BYTES = 32 * 1024;

export class AzureHubEmulator {
  readonly telemetry: TelemetryMessage[] = [];
  readonly requests: TwinRequest[] = [];
  private readonly twins = new Map<string, TwinDocument>();
  private readonly injected: Array<{ status: number; op: 'GET' | 'PATCH' | 'any' }> = [];
  private readonly methodCalls = new Map<string, (response: MethodResponse) => void>();
  private readonly changes = new EventEmitter();
  private nextRid = 1;

  private constructor(
    private readonly client: MqttClient,
    private served: string,
  ) {
    this.changes.setMaxListeners(0);
  }

  /** Connects to the broker at `url` and answers `$iothub` traffic as `device`. */
  static async start(url: string, device: string): Promise<AzureHubEmulator> {
    const client = await mqtt.connectAsync(url, {
      clientId: `azure-hub-emulator-${randomBytes(4).toString('hex')}`,
      protocolVersion: 4,
      reconnectPeriod: 500,
    });
    const hub = new AzureHubEmulator(client, device);
    client.on('message', (topic, payload) => hub.onMessage(topic, payload));
    await client.subscribeAsync(
      {
        '$iothub/twin/GET/#': { qos: 0 },
        '$iothub/twin/PATCH/properties/reported/#': { qos: 0 },
        '$iothub/methods/res/#': { qos: 0 },
        'devices/+/messages/events/#': { qos: 1 },
      },
    );
    return hub;
  }

  /** The device whose connection the `$iothub` topics belong to from now on. */
  serve(deviceId: string): void {
    this.served = deviceId;
  }

  /** A copy of a device's twin (created empty on first use, as registering a device does). */
  twin(deviceId: string): TwinDocument {
    return structuredClone(this.doc(deviceId));
  }

  /** Deletes the device's twin, as deleting the device does: registered again, it starts empty at $version 1. */
  deleteTwin(deviceId: string): void {
    this.twins.delete(deviceId);
    this.changed();
  }

  /** The next `count` twin requests (of kind `op`) are answered with `status` instead. */
  failNext(status: number, count = 1, op: 'GET' | 'PATCH' | 'any' = 'PATCH'): void {
    for (let i = 0; i < count; i++) this.injected.push({ status, op });
  }

  /** Updates desired properties like the service API does; the device hears of it only if it is connected. */
  async setDesired(deviceId: string, patch: Json): Promise<number> {
    const twin = this.doc(deviceId);
    mergePatch(twin.desired, patch);
    const version = ++twin.desiredVersion;
    if (deviceId === this.served) {
      await this.client.publishAsync(`$iothub/twin/PATCH/properties/desired/?$version=${version}`, JSON.stringify({ ...patch, $version: version }));
    }
    this.changed();
    return version;
  }

  /** Sets reported properties as if the device had reported them earlier (a twin a test starts from). */
  setReported(deviceId: string, patch: Json): void {
    const twin = this.doc(deviceId);
    mergePatch(twin.reported, patch);
    twin.reportedVersion++;
    this.changed();
  }

  /** A direct method call; resolves with the device's answer, or 504 after `timeoutMs`. */
  async invokeMethod(deviceId: string, name: string, payload: unknown, timeoutMs = 5000): Promise<MethodResponse> {
    if (deviceId !== this.served) return { status: 404, payload: { message: `device ${deviceId} is not connected` } };
    const rid = (this.nextRid++).toString(16);
    const answered = new Promise<MethodResponse>((resolve) => {
      const timer = setTimeout(() => {
        this.methodCalls.delete(rid);
        resolve({ status: 504, payload: { message: 'the device did not answer in time' } });
      }, timeoutMs);
      this.methodCalls.set(rid, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
    });
    await this.client.publishAsync(`$iothub/methods/POST/${name}/?$rid=${rid}`, JSON.stringify(payload ?? null));
    return answered;
  }

  /** Resolves with `probe()` once it returns something other than undefined/false (checked now and on every change). */
  until<T>(probe: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined || value === false) return false;
        this.changes.off('change', check);
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        this.changes.off('change', check);
        reject(new Error(`azure hub emulator: timed out waiting for ${what}`));
      }, timeoutMs);
      this.changes.on('change', check);
      check();
    });
  }

  async stop(): Promise<void> {
    for (const answer of this.methodCalls.values()) answer({ status: 504, payload: { message: 'emulator stopped' } });
    this.methodCalls.clear();
    await this.client.endAsync();
  }

  private doc(deviceId: string): TwinDocument {
    let twin = this.twins.get(deviceId);
    if (!twin) {
      twin = { desired: {}, reported: {}, desiredVersion: 1, reportedVersion: 1 };
      this.twins.set(deviceId, twin);
    }
    return twin;
  }

  private changed(): void {
    this.changes.emit('change');
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic.startsWith('devices/')) return this.onTelemetry(topic, payload);
    const [path, query = ''] = splitOnce(topic, '?');
    const params = new URLSearchParams(query);
    const rid = params.get('$rid') ?? '';
    // A reply that cannot be published means the broker is gone: the client times out, as with a real hub.
    if (path === '$iothub/twin/GET/') this.answerTwin('GET', rid, payload).catch(() => undefined);
    else if (path === '$iothub/twin/PATCH/properties/reported/') this.answerTwin('PATCH', rid, payload).catch(() => undefined);
    else if (path.startsWith('$iothub/methods/res/')) {
      const status = Number(path.split('/')[3]);
      let answer: unknown;
      try {
        answer = payload.length ? JSON.parse(payload.toString()) : null;
      } catch {
        answer = payload.toString();
      }
      this.methodCalls.get(rid)?.({ status, payload: answer });
      this.methodCalls.delete(rid);
    }
  }

  private onTelemetry(topic: string, body: Buffer): void {
    const [, deviceId, , , ...rest] = topic.split('/');
    const properties: Record<string, string> = {};
    for (const pair of rest.join('/').split('&')) {
      if (!pair) continue;
      const [name, value = ''] = splitOnce(pair, '=');
      properties[decodeURIComponent(name)] = decodeURIComponent(value);
    }
    this.telemetry.push({ deviceId, topic, properties, body });
    this.changed();
  }

  private async answerTwin(op: 'GET' | 'PATCH', rid: string, payload: Buffer): Promise<void> {
    const deviceId = this.served;
    const twin = this.doc(deviceId);
    let status: number;
    let reply: Json | undefined;
    let patch: Json | undefined;
    const injected = this.injected.findIndex((f) => f.op === 'any' || f.op === op);
    if (injected >= 0) {
      status = this.injected.splice(injected, 1)[0].status;
      reply = { errorCode: status * 1000, message: 'injected by the test' };
    } else if (op === 'GET') {
      status = 200;
      reply = {
        desired: { ...structuredClone(twin.desired), $version: twin.desiredVersion },
        reported: { ...structuredClone(twin.reported), $version: twin.reportedVersion },
      };
    } else {
      patch = parseObject(payload);
      if (!patch) {
        status = 400;
        reply = { errorCode: 400004, message: 'the reported patch is not a JSON object' };
      } else {
        const next = structuredClone(twin.reported);
        mergePatch(next, patch);
        if (Buffer.byteLength(JSON.stringify(next)) > MAX_REPORTED_BYTES) {
          status = 413;
          reply = { errorCode: 413001, message: 'reported properties exceed 32 KB' };
        } else {
          status = 204;
          twin.reported = next;
          twin.reportedVersion++;
        }
      }
    }
    this.requests.push({ deviceId, op, rid, status, body: patch });
    const version = op === 'PATCH' && status === 204 ? `&$version=${twin.reportedVersion}` : '';
    await this.client.publishAsync(`$iothub/twin/res/${status}/?$rid=${encodeURIComponent(rid)}${version}`, reply ? JSON.stringify(reply) : '');
    this.changed();
  }
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + separator.length)];
}

function parseObject(payload: Buffer): Json | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString());
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** JSON merge patch, as IoT Hub applies twin patches: objects merge, null deletes, anything else replaces. */
function mergePatch(target: Json, patch: Json): void {
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$version') continue;
    if (value === null) delete target[key];
    else if (typeof value === 'object' && !Array.isArray(value)) {
      const current = target[key];
      const child = current && typeof current === 'object' && !Array.isArray(current) ? (current as Json) : {};
      mergePatch(child, value as Json);
      target[key] = child;
    } else target[key] = value;
  }
}
