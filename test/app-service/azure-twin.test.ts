import { randomBytes } from 'node:crypto';
import { AddressInfo, connect, createServer, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import mqtt, { IClientOptions } from 'mqtt';
import { AzureTwinSink, AzureTwinSinkOptions } from '../../apps/app-service/src/sinks/azure-twin-sink';
import { DeliveryError, DeliveryOptions, DesiredChange, DesiredOutcome, MethodCall, MethodResult, OutboxRecord } from '../../apps/app-service/src/sinks/sink';
import { AzureTwinSinkSchema } from '../../apps/app-service/src/sinks/sink-config';
import { BrokerProcess, startMosquitto } from '@gw/test-support/brokers';
import { quietLogger } from '@gw/test-support/quiet-logger';
import { AzureHubEmulator, verifySasToken } from './support/azure-hub-emulator';
import { HubGate } from './support/hub-gate';
import { throughOutbox } from './support/through-outbox';

jest.setTimeout(30_000);

const HOST = 'test-hub.azure-devices.net';
const KEY = randomBytes(32).toString('base64');
const run = randomBytes(3).toString('hex');
const logger = quietLogger('azure-twin-test');

let nextId = 1;
function record(key: string, kind: OutboxRecord['kind'], body: unknown): OutboxRecord {
  return { id: nextId++, key, kind, body: Buffer.from(JSON.stringify(body)), createdAt: Date.now(), attempts: 0 };
}

/** A TCP hop in front of a broker that can swallow what the client sends (no PUBACK comes back) and drop its connections. */
class Hop {
  swallowing = false;
  url = '';
  private readonly sockets = new Set<Socket>();
  private readonly swallowWaiters = new Set<() => void>();
  private readonly server = createServer((client) => {
    const broker = connect(this.brokerPort, '127.0.0.1');
    for (const socket of [client, broker]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => (client.destroy(), broker.destroy()));
    }
    client.on('data', (chunk) => {
      if (!this.swallowing) broker.write(chunk);
      else for (const waiter of this.swallowWaiters) waiter();
    });
    broker.pipe(client);
  });

  private constructor(private readonly brokerPort: number) {}

  static async open(brokerPort: number): Promise<Hop> {
    const hop = new Hop(brokerPort);
    await new Promise<void>((resolve) => hop.server.listen(0, '127.0.0.1', resolve));
    hop.url = `mqtt://127.0.0.1:${(hop.server.address() as AddressInfo).port}`;
    return hop;
  }

  /** Resolves when the client sends something while swallowing. */
  swallowed(): Promise<void> {
    return new Promise((resolve) => {
      const waiter = () => (this.swallowWaiters.delete(waiter), resolve());
      this.swallowWaiters.add(waiter);
    });
  }

  /** Drops the connections open now and lets new ones through again. */
  drop(): void {
    this.swallowing = false;
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A desired-state handler that writes whatever it is asked, except what `refuse` names. */
function fakeActuators(refuse: Record<string, { status: number; message: string }> = {}) {
  const changes: DesiredChange[] = [];
  const methods: MethodCall[] = [];
  return {
    changes,
    methods,
    onDesired: async (change: DesiredChange): Promise<DesiredOutcome[]> => {
      changes.push(change);
      return Object.entries(change.values).map(([resource, value]) =>
        refuse[resource] ? { resource, ok: false, ...refuse[resource] } : { resource, ok: true, value },
      );
    },
    onMethod: async (call: MethodCall): Promise<MethodResult> => {
      methods.push(call);
      return { status: 200, payload: { device: call.deviceName, command: call.method, echo: call.payload } };
    },
  };
}

describe('Azure IoT Hub twin sink against the hub emulator', () => {
  let broker: BrokerProcess;
  const sinks: AzureTwinSink[] = [];
  /** What the sink presented to the hub, and when: a broker cannot check a SAS password, so the tests do. */
  const connects: Array<IClientOptions & { at: number }> = [];
  const recordingConnect: AzureTwinSinkOptions['connect'] = (url, options) => {
    connects.push({ ...options, at: Date.now() });
    return mqtt.connect(url, options);
  };

  function newSink(connectionString: string, extra: Record<string, unknown> = {}, options: AzureTwinSinkOptions = {}) {
    const config = AzureTwinSinkSchema.parse({ name: 'azure', type: 'azure-twin', connectionString, url: broker.url, ...extra });
    const sink = new AzureTwinSink(config, { connect: recordingConnect, reconnectPeriodMs: 200, requestTimeoutMs: 3000, ...options });
    sinks.push(sink);
    return sink;
  }

  beforeAll(async () => {
    // A private broker: `$iothub/...` topics are the same for every device, so
    // a parallel run on the shared broker would answer our requests.
    broker = await startMosquitto();
  });

  afterAll(async () => {
    await Promise.all(sinks.map((s) => s.stop()));
    await broker?.dispose();
  });

  describe('with a device connection string (one twin for the gateway)', () => {
    const gateway = `gw-${run}`;
    const connectionString = `HostName=${HOST};DeviceId=${gateway};SharedAccessKey=${KEY}`;
    let hub: AzureHubEmulator;
    let sink: AzureTwinSink;
    const actuators = fakeActuators({ speed: { status: 405, message: 'resource speed of pump is read-only' } });
    const connected = () => hub.until(() => hub.requests.some((r) => r.op === 'GET' && r.status === 200), 5000, 'the twin GET on connect');

    beforeAll(async () => {
      hub = await AzureHubEmulator.start(broker.url, gateway);
      sink = newSink(connectionString);
      await sink.start({ logger, onDesired: actuators.onDesired, onMethod: actuators.onMethod });
      await connected();
    });

    afterAll(async () => {
      await sink.stop();
      await hub.stop();
    });

    it('connects as the device with a SAS token the hub accepts', () => {
      const options = connects.find((c) => c.clientId === gateway)!;
      expect(options.username).toBe(`${HOST}/${gateway}/?api-version=2021-04-12`);
      expect(verifySasToken(String(options.password), KEY, `${HOST}/devices/${gateway}`)).toMatchObject({ ok: true });
      expect(options.protocolVersion).toBe(4);
      expect(sink.connected).toBe(true);
    });

    it('merges reported state into one patch per twin, each device a component, and resolves on the 204', async () => {
      const before = hub.twin(gateway).reportedVersion;
      await sink.deliver(
        [
          record('pump', 'reported', { temperature: 20, pressure: 1.1 }),
          record('tank.1', 'reported', { level: 70 }),
          record('pump', 'reported', { temperature: 21 }),
        ],
        { batched: false, gzip: false },
      );
      const patch = hub.requests.filter((r) => r.op === 'PATCH').at(-1)!;
      expect(patch).toMatchObject({ status: 204, rid: expect.any(String) });
      expect(patch.body).toEqual({ pump: { __t: 'c', temperature: 21, pressure: 1.1 }, 'tank%2E1': { __t: 'c', level: 70 } });
      const twin = hub.twin(gateway);
      expect(twin.reportedVersion).toBe(before + 1);
      expect(twin.reported).toMatchObject({ pump: { temperature: 21, pressure: 1.1 }, 'tank%2E1': { level: 70 } });
    });

    it('sends telemetry to devices/{id}/messages/events/ with content type and encoding properties', async () => {
      const seen = hub.telemetry.length;
      await sink.deliver([record('pump', 'telemetry', { t: 1 }), record('pump', 'telemetry', { t: 2 })], { batched: false, gzip: false });
      const messages = await hub.until(() => hub.telemetry.length >= seen + 2 && hub.telemetry.slice(seen), 5000, 'two telemetry messages');
      expect(messages.map((m) => m.deviceId)).toEqual([gateway, gateway]);
      expect(messages[0].properties).toEqual({ '$.ct': 'application/json', '$.ce': 'utf-8', device: 'pump' });
      expect(messages.map((m) => JSON.parse(m.body.toString()))).toEqual([{ t: 1 }, { t: 2 }]);
    });

    it('batches telemetry into one JSON array, gzipped when asked', async () => {
      const seen = hub.telemetry.length;
      await sink.deliver([record('pump', 'telemetry', { t: 3 }), record('tank.1', 'telemetry', { t: 4 })], { batched: true, gzip: true });
      const [message] = await hub.until(() => hub.telemetry.length > seen && hub.telemetry.slice(seen), 5000, 'a batch');
      expect(message.properties['$.ce']).toBe('gzip');
      expect(JSON.parse(gunzipSync(message.body).toString())).toEqual([{ t: 3 }, { t: 4 }]);
    });

    it('drops a patch the hub refuses (400) and retries a throttled one (429) until it is taken', async () => {
      hub.failNext(400);
      const refused = sink.deliver([record('pump', 'reported', { temperature: 99 })], { batched: false, gzip: false });
      await expect(refused).rejects.toMatchObject({ name: 'DeliveryError', disposition: 'reject' });
      expect(hub.twin(gateway).reported.pump).toMatchObject({ temperature: 21 });

      hub.failNext(429);
      const throttled = sink.deliver([record('pump', 'reported', { temperature: 22 })], { batched: false, gzip: false });
      await expect(throttled).rejects.toMatchObject({ disposition: 'retry' });
      hub.failNext(503);
      await expect(sink.deliver([record('pump', 'reported', { temperature: 22 })], { batched: false, gzip: false })).rejects.toBeInstanceOf(DeliveryError);
      await sink.deliver([record('pump', 'reported', { temperature: 22 })], { batched: false, gzip: false });
      expect(hub.twin(gateway).reported.pump).toMatchObject({ temperature: 22 });
    });

    it('drops only the records the hub can never take, sending every other one once', async () => {
      const patches = hub.requests.filter((r) => r.op === 'PATCH').length;
      const seen = hub.telemetry.length;
      const { stats, calls } = await throughOutbox(sink, [
        record('meter', 'reported', { kwh: 1 }),
        record('meter', 'telemetry', { t: 'first' }),
        { key: 'meter', kind: 'reported', body: Buffer.from('[1,2]') },
        record('meter', 'telemetry', { t: 'x'.repeat(300 * 1024) }),
        record('meter', 'reported', { kwh: 2 }),
        record('meter', 'telemetry', { t: 'last' }),
      ]);
      expect(stats).toMatchObject({ exported: 4, dropped: { rejected: 2 } });
      expect(stats.lastError?.message).toMatch(/telemetry message would be \d+ bytes, more than the 256 KB/);
      expect(calls).toBe(3);
      const sent = await hub.until(() => hub.telemetry.length >= seen + 2 && hub.telemetry.slice(seen), 5000, 'the telemetry');
      expect(sent.map((m) => JSON.parse(m.body.toString()).t)).toEqual(['first', 'last']);
      expect(hub.requests.filter((r) => r.op === 'PATCH').length).toBe(patches + 2);
      expect(hub.twin(gateway).reported.meter).toMatchObject({ kwh: 2 });
    });

    it('a patch the hub refuses is narrowed down to the record that makes it refused; telemetry after it goes once', async () => {
      const seen = hub.telemetry.length;
      const { stats, calls } = await throughOutbox(
        sink,
        [
          record('logger', 'reported', { a: 1 }),
          record('logger', 'reported', { dump: 'x'.repeat(40 * 1024) }),
          record('logger', 'telemetry', { t: 'after' }),
          record('logger', 'reported', { b: 2 }),
        ],
        { count: 10 },
      );
      expect(stats).toMatchObject({ exported: 3, dropped: { rejected: 1 }, lastError: { message: expect.stringMatching(/answered 413/) } });
      expect(calls).toBe(2);
      expect(hub.twin(gateway).reported.logger).toEqual({ __t: 'c', a: 1, b: 2 });
      const sent = await hub.until(() => hub.telemetry.length > seen && hub.telemetry.slice(seen), 5000, 'the telemetry');
      // The 413 stopped the first call before its telemetry: only the second sent it.
      expect(sent.map((m) => JSON.parse(m.body.toString()))).toEqual([[{ t: 'after' }]]);
    });

    it('applies a desired patch through onDesired and acknowledges each property with its $version', async () => {
      const version = await hub.setDesired(gateway, { pump: { __t: 'c', setpoint: 42, speed: 3 } });
      const acked = await hub.until(() => {
        const pump = hub.twin(gateway).reported.pump as Record<string, any>;
        return pump?.setpoint?.av === version && pump?.speed?.av === version && pump;
      }, 5000, 'the desired acks');
      expect(actuators.changes.at(-1)).toEqual({ deviceName: 'pump', values: { setpoint: 42, speed: 3 }, origin: 'azure-desired', version });
      expect(acked.setpoint).toEqual({ value: 42, ac: 200, av: version, ad: 'completed' });
      expect(acked.speed).toEqual({ ac: 405, av: version, ad: 'resource speed of pump is read-only' });

      // A later reading of a writable property keeps the ack shape, so av survives.
      await sink.deliver([record('pump', 'reported', { setpoint: 41 })], { batched: false, gzip: false });
      expect((hub.twin(gateway).reported.pump as any).setpoint).toEqual({ value: 41, ac: 200, av: version, ad: 'completed' });
    });

    it('answers direct methods named <device>*<command>, and 404 for other names', async () => {
      await expect(hub.invokeMethod(gateway, 'pump*readAll', { verbose: true })).resolves.toEqual({
        status: 200,
        payload: { device: 'pump', command: 'readAll', echo: { verbose: true } },
      });
      expect(actuators.methods.at(-1)).toEqual({ deviceName: 'pump', method: 'readAll', payload: { verbose: true } });
      await expect(hub.invokeMethod(gateway, 'reboot', null)).resolves.toMatchObject({ status: 404 });
    });

    it('applies desired values changed while it was offline once it reconnects (twin GET)', async () => {
      await sink.stop();
      const acked = (hub.twin(gateway).reported.pump as any).setpoint.av as number;
      const offline = await hub.setDesired(gateway, { pump: { mode: 'eco' } });
      expect(offline).toBeGreaterThan(acked);
      const seen = actuators.changes.length;

      const gets = hub.requests.filter((r) => r.op === 'GET').length;
      sink = newSink(connectionString);
      await sink.start({ logger, onDesired: actuators.onDesired, onMethod: actuators.onMethod });
      await hub.until(() => hub.requests.filter((r) => r.op === 'GET').length > gets, 5000, 'a GET after reconnecting');
      const pump = await hub.until(() => {
        const p = hub.twin(gateway).reported.pump as any;
        return p?.mode?.av === offline && p;
      }, 5000, 'the ack of the offline change');
      expect(pump.mode).toEqual({ value: 'eco', ac: 200, av: offline, ad: 'completed' });
      // Everything not acked at the current desired $version is reconciled against the device, at that version.
      expect(actuators.changes.slice(seen)).toEqual([
        { deviceName: 'pump', values: { setpoint: 42, speed: 3, mode: 'eco' }, origin: 'azure-desired', version: offline, reconcile: true },
      ]);
      expect(pump.setpoint.av).toBe(offline);

      // Acked at the current version: the next reconnect applies nothing; only a new patch arrives.
      await sink.stop();
      const getsBefore = hub.requests.filter((r) => r.op === 'GET').length;
      sink = newSink(connectionString);
      await sink.start({ logger, onDesired: actuators.onDesired, onMethod: actuators.onMethod });
      await hub.until(() => hub.requests.filter((r) => r.op === 'GET').length > getsBefore, 5000, 'a GET');
      const next = await hub.setDesired(gateway, { pump: { setpoint: 40 } });
      await hub.until(() => (hub.twin(gateway).reported.pump as any).setpoint.av === next, 5000, 'the ack of the new patch');
      expect(actuators.changes.slice(seen + 1)).toEqual([{ deviceName: 'pump', values: { setpoint: 40 }, origin: 'azure-desired', version: next }]);
    });

    it('renews the SAS token by reconnecting before it expires, without writing desired values again', async () => {
      await sink.stop();
      const gets = () => hub.requests.filter((r) => r.op === 'GET').length;
      const setpointAcked = (version: number) => hub.until(() => (hub.twin(gateway).reported.pump as any).setpoint.av === version, 5000, 'the setpoint ack');
      const [connectsBefore, getsBefore, changesBefore] = [connects.length, gets(), actuators.changes.length];
      sink = newSink(connectionString, { tokenTtl: '2s' });
      await sink.start({ logger, onDesired: actuators.onDesired });
      await hub.until(() => gets() > getsBefore, 5000, 'the first GET');
      // Raises the desired $version above the acks of speed and mode.
      const raised = await hub.setDesired(gateway, { pump: { setpoint: 39 } });
      await setpointAcked(raised);

      // 2 s lifetime: renewed after 1.6 s, with a new token and a new GET.
      await hub.until(() => connects.length >= connectsBefore + 2 && gets() >= getsBefore + 2, 5000, 'a reconnect');
      const [first, second] = connects.slice(connectsBefore).map((c) => verifySasToken(String(c.password), KEY, `${HOST}/devices/${gateway}`, c.at));
      expect(first.ok && second.ok && second.expiry > first.expiry).toBe(true);

      // Patches are handled one after another, so once this one is acked the reconnect's GET is done.
      const barrier = await hub.setDesired(gateway, { pump: { setpoint: 38 } });
      await setpointAcked(barrier);
      // A new sink applies what is older than $version once (speed, mode); the renewal reconnect wrote nothing again.
      expect(actuators.changes.slice(changesBefore).map((c) => c.values)).toEqual([{ speed: 3, mode: 'eco' }, { setpoint: 39 }, { setpoint: 38 }]);

      await sink.deliver([record('pump', 'reported', { temperature: 23 })], { batched: false, gzip: false });
      expect(hub.twin(gateway).reported.pump).toMatchObject({ temperature: 23 });
    });
  });

  describe('with a hub policy (one twin per gateway device)', () => {
    const twinId = `${run}-pump`;
    const connectionString = `HostName=${HOST};SharedAccessKeyName=device;SharedAccessKey=${KEY}`;
    let hub: AzureHubEmulator;
    let sink: AzureTwinSink;
    const actuators = fakeActuators();

    beforeAll(async () => {
      // The device-mode hub is stopped by now: two hubs would both answer the same `$iothub` topics.
      hub = await AzureHubEmulator.start(broker.url, twinId);
      sink = newSink(connectionString, { deviceId: `${run}-{device}` });
      await sink.start({ logger, onDesired: actuators.onDesired });
    });

    afterAll(async () => {
      await sink.stop();
      await hub.stop();
    });

    it('connects as the device of the first record, signing with the policy (skn), and reports plain properties', async () => {
      await sink.deliver([record('pump', 'reported', { temperature: 20 }), record('pump', 'telemetry', { t: 1 })], { batched: false, gzip: false });
      const options = connects.find((c) => c.clientId === twinId)!;
      expect(options.username).toBe(`${HOST}/${twinId}/?api-version=2021-04-12`);
      expect(verifySasToken(String(options.password), KEY, `${HOST}/devices/${twinId}`)).toMatchObject({ ok: true, policyName: 'device' });
      expect(hub.twin(twinId).reported).toEqual({ temperature: 20 });
      const [message] = await hub.until(() => hub.telemetry.length > 0 && hub.telemetry, 5000, 'telemetry');
      expect(message.deviceId).toBe(twinId);
      expect(message.properties).toEqual({ '$.ct': 'application/json', '$.ce': 'utf-8' });
    });

    it('maps a desired patch of the twin to its gateway device, and answers methods without a handler with 501', async () => {
      await hub.until(() => hub.requests.some((r) => r.op === 'GET'), 5000, 'the GET on connect');
      const version = await hub.setDesired(twinId, { setpoint: 7 });
      await hub.until(() => (hub.twin(twinId).reported.setpoint as any)?.av === version, 5000, 'the ack');
      expect(actuators.changes).toEqual([{ deviceName: 'pump', values: { setpoint: 7 }, origin: 'azure-desired', version }]);
      expect(hub.twin(twinId).reported.setpoint).toEqual({ value: 7, ac: 200, av: version, ad: 'completed' });
      await expect(hub.invokeMethod(twinId, 'read', {})).resolves.toMatchObject({ status: 501 });
    });

    it('drops records that name no device, delivering the rest', async () => {
      const { stats } = await throughOutbox(sink, [record('', 'reported', { orphan: 1 }), record('pump', 'reported', { temperature: 21 })]);
      expect(stats).toMatchObject({ exported: 1, dropped: { rejected: 1 }, lastError: { message: expect.stringMatching(/needs a device/) } });
      expect(hub.twin(twinId).reported).toMatchObject({ temperature: 21 });
      expect(hub.twin(twinId).reported).not.toHaveProperty('orphan');
    });
  });

  describe('with IoT Plug and Play (modelId)', () => {
    const gateway = `${run}-pnp`;
    const modelId = 'dtmi:com:example:Gateway;2';
    const connectionString = `HostName=${HOST};DeviceId=${gateway};SharedAccessKey=${KEY}`;
    let hub: AzureHubEmulator;
    let gate: HubGate;
    let sink: AzureTwinSink;
    const actuators = fakeActuators();

    beforeAll(async () => {
      hub = await AzureHubEmulator.start(broker.url, gateway);
      gate = await HubGate.open(broker.port, HOST, KEY);
      sink = newSink(connectionString, { url: gate.url, modelId, components: { 'pump-1': 'pump1' } });
      // core-metadata's devices: how a cleaned component name of a device not seen yet maps back to it.
      await sink.start({ logger, onDesired: actuators.onDesired, onMethod: actuators.onMethod, deviceNames: async () => ['pump-1', 'valve', 'mixer-3'] });
      await hub.until(() => hub.requests.some((r) => r.op === 'GET' && r.status === 200), 5000, 'the twin GET on connect');
    });

    afterAll(async () => {
      await sink.stop();
      await gate.close();
      await hub.stop();
    });

    it('announces the model in the CONNECT user name (model-id)', () => {
      const connect = gate.connects.find((c) => c.clientId === gateway)!;
      expect(connect).toMatchObject({ accepted: true, modelId });
      expect(connect.username).toBe(`${HOST}/${gateway}/?api-version=2021-04-12&model-id=${encodeURIComponent(modelId)}`);
    });

    it('names components as configured, and sends component telemetry with $.sub (a batch per component)', async () => {
      await sink.deliver([record('pump-1', 'reported', { speed: 3 }), record('valve', 'reported', { open: true })], { batched: false, gzip: false });
      expect(hub.twin(gateway).reported).toMatchObject({ pump1: { __t: 'c', speed: 3 }, valve: { __t: 'c', open: true } });

      const seen = hub.telemetry.length;
      await sink.deliver(
        [record('pump-1', 'telemetry', { t: 1 }), record('pump-1', 'telemetry', { t: 2 }), record('valve', 'telemetry', { t: 3 })],
        { batched: true, gzip: false },
      );
      const messages = await hub.until(() => hub.telemetry.length >= seen + 2 && hub.telemetry.slice(seen), 5000, 'two batches');
      expect(messages.map((m) => [m.properties['$.sub'], m.properties.device, JSON.parse(m.body.toString())])).toEqual([
        ['pump1', undefined, [{ t: 1 }, { t: 2 }]],
        ['valve', undefined, [{ t: 3 }]],
      ]);
    });

    it('maps desired state and methods of a component back to its device', async () => {
      const version = await hub.setDesired(gateway, { pump1: { __t: 'c', speed: 4 } });
      await hub.until(() => (hub.twin(gateway).reported.pump1 as any)?.speed?.av === version, 5000, 'the ack');
      expect(actuators.changes.at(-1)).toEqual({ deviceName: 'pump-1', values: { speed: 4 }, origin: 'azure-desired', version });
      await expect(hub.invokeMethod(gateway, 'pump1*Start', {})).resolves.toMatchObject({ status: 200 });
      expect(actuators.methods.at(-1)).toEqual({ deviceName: 'pump-1', method: 'Start', payload: {} });
    });

    it('cleans a device name that is no DTDL name into its component name, and refuses a second device whose name cleans the same, naming the fix', async () => {
      const seen = hub.telemetry.length;
      const { stats } = await throughOutbox(sink, [
        record('tank-2', 'reported', { level: 7 }),
        record('tank-2', 'telemetry', { t: 4 }),
        record('tank.2', 'telemetry', { t: 5 }),
        record('valve', 'reported', { open: false }),
      ]);
      expect(stats).toMatchObject({ exported: 3, dropped: { rejected: 1 } });
      expect(stats.lastError?.message).toMatch(/device tank\.2: its component name "tank_2" is taken by device tank-2: give it another under components/);
      expect(hub.twin(gateway).reported).toMatchObject({ tank_2: { __t: 'c', level: 7 } });
      expect(hub.telemetry.slice(seen).map((m) => [m.properties['$.sub'], JSON.parse(m.body.toString())])).toEqual([['tank_2', { t: 4 }]]);
    });

    it('maps a cleaned component name of a device not seen yet back to it, through the devices core-metadata knows', async () => {
      const version = await hub.setDesired(gateway, { mixer_3: { __t: 'c', speed: 2 } });
      await hub.until(() => (hub.twin(gateway).reported.mixer_3 as any)?.speed?.av === version, 5000, 'the ack');
      expect(actuators.changes.at(-1)).toEqual({ deviceName: 'mixer-3', values: { speed: 2 }, origin: 'azure-desired', version });
    });
  });

  describe('connection', () => {
    const twinId = `${run}-hop`;
    const connectionString = `HostName=${HOST};DeviceId=${twinId};SharedAccessKey=${KEY}`;
    const unbatched: DeliveryOptions = { batched: false, gzip: false };
    let hub: AzureHubEmulator;
    let hop: Hop;

    beforeAll(async () => {
      hub = await AzureHubEmulator.start(broker.url, twinId);
      hop = await Hop.open(broker.port);
    });

    afterAll(async () => {
      await hop.close();
      await hub.stop();
    });

    it('telemetry in flight when the connection drops fails at once and is never sent again by the MQTT client', async () => {
      const gets = () => hub.requests.filter((r) => r.op === 'GET').length;
      const sink = newSink(connectionString, { url: hop.url }, { requestTimeoutMs: 20_000 });
      await sink.start({ logger });
      await hub.until(() => gets() === 1, 5000, 'the GET on connect');

      hop.swallowing = true;
      const swallowed = hop.swallowed();
      const inFlight = sink.deliver([record('pump', 'telemetry', { t: 'lost' })], unbatched).catch((e) => e);
      await swallowed;
      hop.drop();
      // Long before the request timeout.
      expect(await inFlight).toMatchObject({ disposition: 'retry', delivered: 0 });

      await hub.until(() => gets() === 2, 5000, 'the GET after reconnecting');
      await sink.deliver([record('pump', 'telemetry', { t: 'next' })], unbatched);
      await hub.until(() => hub.telemetry.some((m) => m.deviceId === twinId), 5000, 'telemetry');
      // Replayed by mqtt.js, 'lost' would arrive first, besides the copy the outbox sends again.
      expect(hub.telemetry.filter((m) => m.deviceId === twinId).map((m) => JSON.parse(m.body.toString()).t)).toEqual(['next']);
      await sink.stop();
    });
  });
});
