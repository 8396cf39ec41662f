import { EventEmitter } from 'node:events';
import type { IClientOptions, ISubscriptionGrant, ISubscriptionMap, MqttClient } from 'mqtt';
import { verifySasToken } from '../../../../test/app-service/support/azure-hub-emulator';
import { AzureTwinSink, AzureTwinSinkOptions, fromTwinKey, twinKey } from './azure-twin-sink';
import { DeliveryError, OutboxRecord, SinkLogger } from './sink';
import { AzureTwinSinkSchema } from './sink-config';

const HOST = 'unit-hub.azure-devices.net';
const KEY = Buffer.from('unit-test-key-0123456789').toString('base64');
const DEVICE_CS = `HostName=${HOST};DeviceId=gw;SharedAccessKey=${KEY}`;
const POLICY_CS = `HostName=${HOST};SharedAccessKeyName=device;SharedAccessKey=${KEY}`;
const silent: SinkLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** How the fake hub answers SUBSCRIBEs, in turn: the granted QoS (0x80 = refused), or `silent` for no SUBACK; then 0. */
interface HubScript {
  subacks: Array<number | 'silent'>;
}

/** Just enough of an IoT Hub connection: connects on the next turn, answers twin GET and reported PATCH. */
class FakeHubClient extends EventEmitter {
  ended = false;
  connected = false;
  reconnects = 0;
  readonly outgoing = {};
  constructor(
    readonly url: string,
    readonly options: IClientOptions,
    reachable: boolean,
    private readonly script: HubScript,
  ) {
    super();
    if (reachable) setImmediate(() => this.connect());
  }
  private connect(): void {
    this.connected = true;
    this.emit('connect');
  }
  subscribeAsync(map: ISubscriptionMap): Promise<ISubscriptionGrant[]> {
    const answer = this.script.subacks.shift() ?? 0;
    if (answer === 'silent') return new Promise(() => undefined);
    return Promise.resolve(Object.keys(map).map((topic) => ({ topic, qos: answer as 0 })));
  }
  end(_force: boolean, done?: () => void): this {
    this.ended = true;
    this.connected = false;
    this.emit('close');
    done?.();
    return this;
  }
  reconnect(): this {
    this.reconnects++;
    this.ended = false;
    this.emit('reconnect');
    setImmediate(() => this.connect());
    return this;
  }
  publish(topic: string, _payload: unknown, _options: unknown, done?: (err?: Error) => void): this {
    done?.();
    const rid = new URLSearchParams(topic.split('?')[1]).get('$rid');
    const reply = (status: number, body: object | '') => setImmediate(() => this.emit('message', `$iothub/twin/res/${status}/?$rid=${rid}`, Buffer.from(body ? JSON.stringify(body) : '')));
    if (topic.startsWith('$iothub/twin/GET/')) reply(200, { desired: { $version: 1 }, reported: { $version: 1 } });
    if (topic.startsWith('$iothub/twin/PATCH/properties/reported/')) reply(204, '');
    return this;
  }
  async publishAsync(): Promise<undefined> {
    return undefined;
  }
  async endAsync(): Promise<void> {
    this.ended = true;
    this.connected = false;
    this.emit('close');
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(connectionString: string, extra: Record<string, unknown> = {}, reachable = true, options: AzureTwinSinkOptions = {}) {
  let clock = Date.UTC(2030, 0, 1);
  const clients: FakeHubClient[] = [];
  const script: HubScript = { subacks: [] };
  const config = AzureTwinSinkSchema.parse({ name: 'azure', type: 'azure-twin', connectionString, url: 'mqtt://hub.invalid', ...extra });
  const sink = new AzureTwinSink(config, {
    now: () => clock,
    connect: (url, options) => {
      const client = new FakeHubClient(url, options, reachable, script);
      clients.push(client);
      return client as unknown as MqttClient;
    },
    connectWaitMs: 1000,
    ...options,
  });
  const token = (client: FakeHubClient, resource = `${HOST}/devices/gw`) => verifySasToken(String(client.options.password), KEY, resource, clock);
  return { sink, clients, script, token, advance: (ms: number) => (clock += ms), now: () => clock };
}

function reported(key: string, state: object, id = 1): OutboxRecord {
  return { id, key, kind: 'reported', body: Buffer.from(JSON.stringify(state)), createdAt: 0, attempts: 0 };
}

describe('AzureTwinSink', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('escapes the characters twin property names may not contain, reversibly', () => {
    expect(twinKey('line 1.pump$a%b')).toBe('line%201%2Epump%24a%25b');
    expect(fromTwinKey(twinKey('line 1.pump$a%b'))).toBe('line 1.pump$a%b');
    expect(fromTwinKey('%2e')).toBe('.');
  });

  it('refuses a hub policy whose twin id does not depend on the device, a token lifetime under 1 s, and a url that is no MQTT', () => {
    expect(() => setup(POLICY_CS, { deviceId: 'gateway' })).toThrow(/deviceId "gateway" must contain \{device\}/);
    expect(() => setup(DEVICE_CS, { tokenTtl: '500ms' })).toThrow(/tokenTtl must be at least 1s/);
    expect(() => setup(DEVICE_CS, { url: 'https://hub.invalid' })).toThrow(/url must start with mqtts:\/\/ or wss:\/\//);
  });

  it('warns once, at start, that a url without TLS sends the SAS token in clear text', async () => {
    for (const [url, expected] of [['mqtt://hub.invalid', 1], ['mqtts://hub.invalid', 0]] as const) {
      const warnings: string[] = [];
      const { sink } = setup(POLICY_CS, { deviceId: 'gw-{device}', url });
      await sink.start({ logger: { ...silent, warn: (_obj, msg) => void warnings.push(msg ?? '') } });
      // Two devices, two connections: still one warning.
      await sink.deliver([reported('a', { t: 1 }, 1), reported('b', { t: 1 }, 2)], { batched: false, gzip: false });
      expect(warnings.filter((m) => m.includes('SAS token goes over the network in clear text'))).toHaveLength(expected);
      await sink.stop();
    }
  });

  it('starts over when the hub refuses the twin subscriptions or does not answer them', async () => {
    const { sink, clients, script, token } = setup(DEVICE_CS, {}, true, { requestTimeoutMs: 500, reconnectPeriodMs: 100 });
    script.subacks.push(0x80, 'silent');
    await sink.start({ logger: silent });
    await tick();
    await tick();
    // Refused: no reply would ever arrive, so the connection must not count as up.
    expect(sink.connected).toBe(false);
    expect(clients[0].ended).toBe(true);

    await jest.advanceTimersByTimeAsync(100);
    await tick();
    expect(clients[0].reconnects).toBe(1);
    expect(sink.connected).toBe(false);
    // No SUBACK within the request timeout: the same again.
    await jest.advanceTimersByTimeAsync(500);
    expect(clients[0].ended).toBe(true);
    await jest.advanceTimersByTimeAsync(100);
    await tick();
    await tick();
    expect(clients[0].reconnects).toBe(2);
    expect(sink.connected).toBe(true);
    expect(token(clients[0])).toMatchObject({ ok: true });
    await sink.deliver([reported('pump', { t: 1 })], { batched: false, gzip: false });
    await sink.stop();
  });

  it('renews the token before it expires by reconnecting with a fresh one', async () => {
    const { sink, clients, token, advance, now } = setup(DEVICE_CS, { tokenTtl: '10m' });
    await sink.start({ logger: silent });
    await tick();
    expect(token(clients[0])).toEqual({ ok: true, expiry: now() / 1000 + 600 });

    // Renewed 2 min (a fifth of the lifetime) before expiry.
    advance(8 * 60_000 - 1);
    await jest.advanceTimersByTimeAsync(8 * 60_000 - 1);
    expect(clients).toHaveLength(1);
    advance(1);
    await jest.advanceTimersByTimeAsync(1);
    await tick();
    expect(clients[0].ended).toBe(true);
    expect(clients).toHaveLength(2);
    expect(token(clients[1])).toEqual({ ok: true, expiry: now() / 1000 + 600 });
    await sink.stop();
  });

  it('presents a fresh token on every reconnect attempt after an outage', async () => {
    const { sink, clients, token, advance } = setup(DEVICE_CS, { tokenTtl: '10m' });
    await sink.start({ logger: silent });
    clients[0].emit('close');
    advance(30 * 60_000);
    expect(token(clients[0])).toEqual({ ok: false, reason: 'token expired' });
    clients[0].emit('reconnect');
    expect(token(clients[0])).toMatchObject({ ok: true });
    await sink.stop();
  });

  it('asks for a retry when the hub cannot be reached', async () => {
    const { sink } = setup(DEVICE_CS, {}, false);
    await sink.start({ logger: silent });
    const delivery = sink.deliver([reported('pump', { t: 1 })], { batched: false, gzip: false });
    const outcome = expect(delivery).rejects.toEqual(expect.objectContaining({ disposition: 'retry', message: expect.stringMatching(/not connected/) }));
    await jest.advanceTimersByTimeAsync(1000);
    await outcome;
    expect(sink.connected).toBe(false);
    await sink.stop();
  });

  it('with a hub policy, connects each device as its own twin and closes the least recently used beyond the limit', async () => {
    const { sink, clients, token, advance } = setup(POLICY_CS, { deviceId: 'site-{device}' }, true, { maxConnections: 2 });
    await sink.start({ logger: silent });
    expect(clients).toHaveLength(0);

    for (const [i, device] of ['a', 'b', 'a', 'c'].entries()) {
      await sink.deliver([reported(device, { t: i })], { batched: false, gzip: false });
      advance(1000);
    }
    expect(clients.map((c) => c.options.clientId)).toEqual(['site-a', 'site-b', 'site-c']);
    expect(token(clients[2], `${HOST}/devices/site-c`)).toMatchObject({ ok: true, policyName: 'device' });
    // b was used less recently than a.
    expect(clients.map((c) => c.ended)).toEqual([false, true, false]);
    await sink.stop();
  });

  it('rejects a twin patch the hub calls malformed, naming the twin but not the key', async () => {
    const { sink, clients } = setup(DEVICE_CS);
    await sink.start({ logger: silent });
    await tick();
    clients[0].publish = function (this: FakeHubClient, topic: string, _p: unknown, _o: unknown, done?: (err?: Error) => void) {
      done?.();
      const rid = new URLSearchParams(topic.split('?')[1]).get('$rid');
      setImmediate(() => this.emit('message', `$iothub/twin/res/400/?$rid=${rid}`, Buffer.from('{"message":"bad property name"}')));
      return this;
    };
    const error: DeliveryError = await sink.deliver([reported('pump', { t: 1 })], { batched: false, gzip: false }).catch((e) => e);
    expect(error).toMatchObject({ disposition: 'reject', message: 'azure twin gw: reported patch answered 400: bad property name' });
    expect(error.message).not.toContain(KEY);
    await sink.stop();
  });
});
