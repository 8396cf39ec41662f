/**
 * The kubeedge-twin sink against an edgecore emulator written from KubeEdge's
 * documented devicetwin topics and types (support/kubeedge-edgecore-emulator.ts),
 * on a private Mosquitto (a test restarts it). Each test has a namespace of
 * its own.
 *
 * Through the one-process gateway (virtual Demo-Sensor-01, KubeEdge Device
 * `demo-sensor-01`; its Fan is RW and not polled, Temperature read-only):
 *  - reported state arrives as KubeEdge's DeviceTwinUpdate; the device state
 *    follows operatingState (online; offline once set DOWN in metadata);
 *  - a delta with a desired Fan drives the device and the actual value comes
 *    back (the delta then disappears);
 *  - refused desired values (read-only Temperature, an unknown resource) are
 *    reported as gatewayErrors.<resource>, once: the deltas edgecore repeats
 *    after every twin change do not try them again;
 *  - a desired value set while the connection was down is caught up through
 *    twin/get after the reconnect;
 *  - a restart applies no desired value again (kept in the outbox database),
 *    though the device has drifted from it and edgecore repeats the delta;
 *  - a malformed delta is counted on /api/v3/exports and /api/v3/metrics.
 * At the sink (fake actuator handlers): edgecore's 400 costs only the record
 * that causes it, 404 (no such device on the node) is refused, values no
 * twin holds are left out and logged once; a 5xx is neither reported nor
 * settled, and applied once the device answers; a malformed delta is logged
 * naming the field and counted, and the next good one is applied.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { BrokerProcess, startMosquitto } from '@gw/test-support/brokers';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { KubeEdgeTwinSink } from '../../apps/app-service/src/sinks/kubeedge-twin-sink';
import { DeliveryError, DesiredChange, DesiredOutcome, OutboxRecord, SinkLogger } from '../../apps/app-service/src/sinks/sink';
import { EventRecorder } from '../support/event-recorder';
import { call, testGatewayConfig } from '../support/gateway';
import { pollFor } from '../support/poll';
import { scrape, series } from '../support/prometheus';
import { quietLogger } from '../support/quiet-logger';
import { EdgecoreEmulator } from './support/kubeedge-edgecore-emulator';

jest.setTimeout(60_000);

const DEVICE = 'Demo-Sensor-01';
const FAN_EVENTS = `edgex/events/device/device-virtual/Demo-Sensor/${DEVICE}/Fan`;

let broker: BrokerProcess;
let edgecore: EdgecoreEmulator;

beforeAll(async () => {
  broker = await startMosquitto();
  edgecore = await EdgecoreEmulator.start(broker.url, () => true);
});

afterAll(async () => {
  await edgecore?.stop();
  await broker?.dispose();
});

const freshNamespace = () => `kt${randomBytes(4).toString('hex')}`;

describe('KubeEdge device twin through the gateway (edgecore emulator)', () => {
  let NS: string;
  /** The KubeEdge device id of Demo-Sensor-01: {namespace}/{name}. */
  let ID: string;
  let dir: string;
  let gateway: RunningGateway | undefined;

  const fanOnDevice = async () => {
    const read = await call('GET', `${gateway!.coreCommand.url}/api/v3/device/name/${DEVICE}/Fan`);
    return read.body.event.readings[0].value as string;
  };
  const twinUpdates = () => edgecore.requests(ID, 'twin/update');
  const accepted = (predicate: (twin: Record<string, any>) => boolean, what: string) =>
    edgecore.until(() => twinUpdates().find((r) => r.code === 200 && predicate((r.body as any).twin)), what);
  const actualOf = (key: string, value: string) => edgecore.until(() => (edgecore.twin(ID)[key]?.actual === value ? true : undefined), `${key} actual ${value}`);

  async function start(): Promise<RunningGateway> {
    const pipelines = join(dir, 'pipelines.yaml');
    writeFileSync(
      pipelines,
      [
        'sinks:',
        '  - name: edge',
        '    type: kubeedge-twin',
        `    url: ${broker.url}`,
        `    namespace: ${NS}`,
        `    devices: "^${DEVICE}$"`,
        'pipelines:',
        '  - name: state',
        '    transform: twin',
        `    filters: [{ device: ${DEVICE} }]`,
        '    sinks: [edge]',
      ].join('\n'),
    );
    gateway = await startGateway(testGatewayConfig(dir, { GW_DEVICE_SERVICES: 'virtual', GW_PIPELINES_FILE: pipelines }), quietLogger('gateway'));
    return gateway;
  }

  beforeEach(() => {
    NS = freshNamespace();
    ID = `${NS}/demo-sensor-01`;
    // The Device as the cloud made it: its properties' twins.
    edgecore.addDevice(ID, { Temperature: { type: 'float' }, Humidity: { type: 'float' }, Fan: { type: 'boolean' }, Speed: { type: 'int' } });
    dir = mkdtempSync(join(tmpdir(), 'gw-kubeedge-twin-'));
  });

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports readings as a DeviceTwinUpdate (actual text, ms timestamps, type) and the device state from its operatingState', async () => {
    await start();
    const before = Date.now();
    const update = await accepted((twin) => twin.Temperature !== undefined, 'a reported Temperature');
    const body = update.body as any;
    expect(body).toEqual({ event_id: expect.stringMatching(/^[0-9a-f-]{36}$/), timestamp: expect.any(Number), twin: expect.any(Object) });
    expect(body.timestamp).toBeGreaterThan(before - 60_000);
    expect(body.twin.Temperature).toEqual({ actual: { value: expect.stringMatching(/^-?\d+(\.\d+)?$/), metadata: { timestamp: expect.any(Number) } }, metadata: { type: 'float' } });
    expect(edgecore.twin(ID).Temperature.actual).toBeDefined();

    await edgecore.until(() => (edgecore.state(ID) === 'online' ? true : undefined), 'state online');
    const down = await call('PATCH', `${gateway!.metadata.url}/api/v3/device`, [{ apiVersion: 'v3', device: { name: DEVICE, operatingState: 'DOWN' } }]);
    expect(down.body[0].statusCode).toBe(200);
    const offline = await edgecore.until(() => edgecore.requests(ID, 'state/update').find((r) => (r.body as any).state === 'offline'), 'state offline');
    expect(offline.body).toEqual({ event_id: expect.any(String), timestamp: expect.any(Number), state: 'offline' });
  });

  it('a desired Fan from the delta drives the device, and the actual value comes back', async () => {
    await start();
    await accepted(() => true, 'the first reported update');
    await edgecore.setDesired(ID, 'Fan', 'true');
    await actualOf('Fan', 'true');
    expect(await fanOnDevice()).toBe('true');
    await edgecore.setDesired(ID, 'Fan', 'false');
    await actualOf('Fan', 'false');
    expect(await fanOnDevice()).toBe('false');
    expect(edgecore.twin(ID).Fan).toEqual({ expected: 'false', actual: 'false', type: 'boolean' });
  });

  it('refused desired values are reported as gatewayErrors.<resource>, once, not tried again on the repeated deltas', async () => {
    await start();
    await accepted(() => true, 'the first reported update');
    await edgecore.setDesired(ID, 'Temperature', '30');
    await edgecore.setDesired(ID, 'Speed', '3');
    const errors = await edgecore.until(() => {
      const twin = edgecore.twin(ID);
      return twin['gatewayErrors.Temperature'] && twin['gatewayErrors.Speed'] ? twin : undefined;
    }, 'both refusals reported');
    expect(errors['gatewayErrors.Temperature']).toEqual({ actual: expect.stringMatching(/^405:resource_Temperature_of_Demo-Sensor-01_is_read-only/), type: 'string' });
    expect(errors['gatewayErrors.Speed']).toEqual({ actual: expect.stringMatching(/^404:device_Demo-Sensor-01_.*has_no_resource_Speed/), type: 'string' });
    // Readings keep coming (Temperature every second); each twin change makes edgecore send the delta again.
    const reportsSoFar = twinUpdates().length;
    await edgecore.until(() => (twinUpdates().length >= reportsSoFar + 3 ? true : undefined), 'three more twin updates (and deltas)');
    const errorReports = twinUpdates().filter((r) => Object.keys((r.body as any).twin).some((k) => k.startsWith('gatewayErrors.')));
    expect(errorReports.length).toBeLessThanOrEqual(2);
    expect(errorReports.flatMap((r) => Object.keys((r.body as any).twin)).sort()).toEqual(['gatewayErrors.Speed', 'gatewayErrors.Temperature']);
  });

  it('a desired value set while the connection was down is caught up through twin/get after the reconnect', async () => {
    await start();
    await accepted(() => true, 'the first reported update');
    expect(await fanOnDevice()).toBe('false');
    await broker.stop();
    await edgecore.setDesired(ID, 'Fan', 'true');
    const gets = edgecore.requests(ID, 'twin/get').length;
    await broker.start();
    await actualOf('Fan', 'true');
    expect(edgecore.requests(ID, 'twin/get').length).toBeGreaterThan(gets);
    expect(await fanOnDevice()).toBe('true');
  });

  it('a malformed delta is counted on /api/v3/exports and /api/v3/metrics; the next good delta is applied', async () => {
    await start();
    await accepted(() => true, 'the first reported update');
    const raw = await mqtt.connectAsync(broker.url, { clientId: `kt-raw-${NS}` });
    try {
      await raw.publishAsync(`$hw/events/device/${ID}/twin/update/delta`, JSON.stringify({ event_id: 'x', timestamp: 1, delta: { Fan: true } }), { qos: 1 });
    } finally {
      await raw.endAsync();
    }
    const route = await pollFor(async () => {
      const res = await call('GET', `${gateway!.appService!.url}/api/v3/exports`);
      return res.body.routes.find((r: any) => r.sink === 'edge' && r.rejectedMessages === 1);
    }, 'the refused delta counted');
    expect(route).toMatchObject({ sinkType: 'kubeedge-twin', rejectedMessages: 1 });
    expect(series(await scrape(gateway!.appService!.url), 'gw_export_messages_rejected_total')).toEqual({
      'gw_export_messages_rejected_total{sink="edge",sink_type="kubeedge-twin"}': 1,
    });
    await edgecore.setDesired(ID, 'Fan', 'true');
    await actualOf('Fan', 'true');
  });

  it('a restart applies no desired value again, though the device drifted from it and edgecore repeats the delta', async () => {
    await start();
    await accepted(() => true, 'the first reported update');
    await edgecore.setDesired(ID, 'Fan', 'true');
    await actualOf('Fan', 'true');
    // Someone switches the fan off through core-command: the twin reports it, edgecore sends the delta (Fan true) again.
    expect((await call('PUT', `${gateway!.coreCommand.url}/api/v3/device/name/${DEVICE}/Fan`, { Fan: 'false' })).status).toBe(200);
    await actualOf('Fan', 'false');
    await gateway!.close();

    const gets = edgecore.requests(ID, 'twin/get').length;
    await start();
    const writes = new EventRecorder();
    await gateway!.bus.subscribe(FAN_EVENTS, writes.handler);
    await edgecore.until(() => (edgecore.requests(ID, 'twin/get').length > gets ? true : undefined), 'the catch-up twin/get after the restart');
    // Two more reports (a second apart), each followed by the delta Fan=true that edgecore repeats: nothing written.
    const reports = twinUpdates().length;
    await edgecore.until(() => (twinUpdates().length >= reports + 2 ? true : undefined), 'two more reported updates');
    expect(writes.received).toEqual([]);
    expect(edgecore.twin(ID).Fan).toEqual({ expected: 'true', actual: 'false', type: 'boolean' });
    // The cloud sets Fan=true anew: applied once, after anything the catch-up would have applied (one queue per device).
    await edgecore.setDesired(ID, 'Fan', 'true');
    await writes.waitFor(1);
    await actualOf('Fan', 'true');
    expect(writes.received.map((r) => (r.envelope.payload as any).event.readings[0].value)).toEqual(['true']);
    expect(await fanOnDevice()).toBe('true');
  });
});

describe('KubeEdge twin sink: what edgecore refuses', () => {
  const record = (id: number, key: string, body: object): OutboxRecord => ({ id, key, kind: 'reported', body: Buffer.from(JSON.stringify(body)), createdAt: Date.now(), attempts: 0 });

  it('a value not of the twin type (400) costs only its record; a device not on this node (404) is refused; a value no twin holds is left out', async () => {
    const NS = freshNamespace();
    edgecore.addDevice(`${NS}/pump-1`, { Speed: { type: 'int' }, Running: { type: 'boolean' }, Mode: { type: 'string' } });
    const warnings: Array<{ obj: any; msg?: string }> = [];
    const logger: SinkLogger = { debug: () => {}, info: () => {}, error: () => {}, warn: (obj, msg) => void warnings.push({ obj, msg }) };
    const sink = new KubeEdgeTwinSink({ name: 'edge', type: 'kubeedge-twin', url: broker.url, namespace: NS, clientId: `kt-${NS}` }, { responseTimeoutMs: 5_000 });
    await sink.start({ logger });
    try {
      // Merged, the three records make one update edgecore refuses (Running 5 is no boolean): the second record is found.
      const page = [record(1, 'pump-1', { Speed: 1 }), record(2, 'pump-1', { Running: 5 }), record(3, 'pump-1', { Speed: 3 })];
      const refused = await sink.deliver(page, { batched: true, gzip: false }).catch((err: DeliveryError) => err);
      expect(refused).toBeInstanceOf(DeliveryError);
      expect(refused).toMatchObject({ disposition: 'reject', delivered: 1, message: expect.stringMatching(/pump-1 \(.*\/pump-1\): edgecore answered 400 \(the bool value must be true or false\)/) });
      expect(edgecore.twin(`${NS}/pump-1`).Speed.actual).toBe('1');

      const missing = await sink.deliver([record(4, 'pump-2', { Speed: 1 })], { batched: true, gzip: false }).catch((err: DeliveryError) => err);
      expect(missing).toMatchObject({ disposition: 'reject', delivered: 0, message: expect.stringMatching(/edgecore answered 404 \(.*\/pump-2 is not a device of this edge node\)/) });

      await sink.deliver([record(5, 'pump-1', { Mode: 'two words', Speed: 4 }), record(6, 'pump-1', { Mode: 'still two words' })], { batched: true, gzip: false });
      expect(edgecore.twin(`${NS}/pump-1`)).toMatchObject({ Speed: { actual: '4' }, Mode: { type: 'string' } });
      expect(edgecore.twin(`${NS}/pump-1`).Mode.actual).toBeUndefined();
      const leftOut = warnings.filter((w) => w.obj.resource === 'Mode');
      expect(leftOut).toHaveLength(1);
      expect(leftOut[0].obj).toMatchObject({ device: 'pump-1', reason: expect.stringMatching(/characters a twin value may not hold/) });
    } finally {
      await sink.stop();
    }
  });
});

describe('KubeEdge twin sink: a device that cannot be reached', () => {
  it('a 5xx is not reported as a refusal and not settled: the twin is read again after the reconnect period and the value applied then', async () => {
    const NS = freshNamespace();
    const ID = `${NS}/valve-1`;
    edgecore.addDevice(ID, { Open: { type: 'boolean' } });
    const calls: DesiredChange[] = [];
    let reachable = false;
    const sink = new KubeEdgeTwinSink({ name: 'edge', type: 'kubeedge-twin', url: broker.url, namespace: NS, clientId: `kt-${NS}` }, { responseTimeoutMs: 5_000, reconnectPeriodMs: 200 });
    await sink.start({
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      onDesired: async (change): Promise<DesiredOutcome[]> => {
        calls.push(change);
        return Object.entries(change.values).map(([resource, value]) =>
          reachable ? { resource, ok: true, value: value === 'true' } : { resource, ok: false, status: 504, message: 'device valve-1 did not answer' },
        );
      },
      deviceNames: async () => ['valve-1'],
    });
    try {
      await edgecore.until(() => (edgecore.requests(ID, 'twin/get').length > 0 ? true : undefined), 'the first twin/get');
      const gets = edgecore.requests(ID, 'twin/get').length;
      await edgecore.setDesired(ID, 'Open', 'true');
      // The 504: nothing reported, the twin read again after the reconnect period.
      await edgecore.until(() => (edgecore.requests(ID, 'twin/get').length > gets ? true : undefined), 'the twin read again');
      expect(edgecore.requests(ID, 'twin/update')).toEqual([]);
      reachable = true;
      await edgecore.until(() => (edgecore.twin(ID).Open?.actual === 'true' ? true : undefined), 'Open actual true');
      expect(calls.map((c) => [c.values, c.reconcile ?? false])).toEqual([
        [{ Open: 'true' }, false],
        ...calls.slice(1, -1).map(() => [{ Open: 'true' }, true]),
        [{ Open: 'true' }, true],
      ]);
      expect(Object.keys(edgecore.twin(ID))).toEqual(['Open']);
    } finally {
      await sink.stop();
    }
  });
});

describe('KubeEdge twin sink: messages from edgecore it cannot read', () => {
  it('a malformed delta is logged naming the field and counted; the next good one is applied', async () => {
    const NS = freshNamespace();
    const ID = `${NS}/pump-1`;
    edgecore.addDevice(ID, { Speed: { type: 'int' } });
    const warnings: Array<{ obj: any; msg?: string }> = [];
    let warned: () => void = () => {};
    const logger: SinkLogger = { debug: () => {}, info: () => {}, error: () => {}, warn: (obj, msg) => (warnings.push({ obj, msg }), warned()) };
    const calls: DesiredChange[] = [];
    const sink = new KubeEdgeTwinSink({ name: 'edge', type: 'kubeedge-twin', url: broker.url, namespace: NS, clientId: `kt-${NS}` }, { responseTimeoutMs: 5_000 });
    await sink.start({
      logger,
      onDesired: async (change): Promise<DesiredOutcome[]> => {
        calls.push(change);
        return Object.entries(change.values).map(([resource, value]) => ({ resource, ok: true, value: Number(value) }));
      },
      deviceNames: async () => ['pump-1'],
    });
    const raw = await mqtt.connectAsync(broker.url, { clientId: `kt-raw-${NS}` });
    try {
      await sink.deliver([{ id: 1, key: 'pump-1', kind: 'reported', body: Buffer.from('{"Speed":1}'), createdAt: Date.now(), attempts: 0 }], { batched: true, gzip: false });
      const refused = new Promise<void>((resolve) => (warned = resolve));
      await raw.publishAsync(`$hw/events/device/${ID}/twin/update/delta`, JSON.stringify({ event_id: 'x', timestamp: 1, delta: { Speed: 5 } }), { qos: 1 });
      await refused;
      expect(warnings[0].obj).toMatchObject({ field: 'delta.Speed', reason: 'not text (a twin value is a string)', rejectedTotal: 1 });
      expect(warnings[0].msg).toMatch(/delta.Speed/);
      expect(sink.rejectedMessages).toBe(1);
      expect(calls).toEqual([]);

      await edgecore.setDesired(ID, 'Speed', '5');
      await edgecore.until(() => (edgecore.twin(ID).Speed?.actual === '5' ? true : undefined), 'Speed actual 5');
      expect(calls).toEqual([{ deviceName: 'pump-1', values: { Speed: '5' }, origin: 'kubeedge-delta' }]);
    } finally {
      await raw.endAsync();
      await sink.stop();
    }
  });
});
