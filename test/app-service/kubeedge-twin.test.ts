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
 *  - a delta with a desired Fan (set by a local app) drives the device and
 *    the actual value comes back (the delta then disappears);
 *  - refused desired values (read-only Temperature, an unknown resource) are
 *    reported as gatewayErrors.<resource>, once: the deltas edgecore repeats
 *    after every twin change do not try them again;
 *  - a desired value set while the connection was down is caught up through
 *    twin/get after the reconnect (nothing reported meanwhile: no delta);
 *  - a restart applies no desired value again (kept in the outbox database),
 *    though the device has drifted from it and edgecore repeats the delta,
 *    nor the same value sent again (stamped anew);
 *  - a malformed delta is counted on /api/v3/exports and /api/v3/metrics.
 * At the sink (fake actuator handlers): edgecore's 400 costs only the record
 * that causes it; a device without a KubeEdge Device (404) costs one request
 * per device, not per record (tried again after a reconnect), and other
 * devices' records flow; values no
 * twin holds are left out and logged once; an unreadable answer to the
 * sink's request fails it at once, other clients' are not counted; a desired
 * value stamped anew unchanged is not written again, an older stamp never
 * writes an older value back; deltas for unknown KubeEdge devices do not
 * list core-metadata each time; a 5xx is neither reported nor settled, not
 * applied again by the deltas meanwhile, and applied once the device
 * answers; a failed twin/get (500) is read again; a version the database
 * cannot keep is caught up again, never thrown; a malformed delta is logged
 * naming the field and counted, and the next good one is applied; a delta
 * key __proto__ is a key like any other.
 *
 * The emulator is edgecore as of KubeEdge 1.15: Devices come without twins,
 * and `expected` is set by local apps or DMI mapper reports (setExpected).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { BrokerProcess, startMosquitto } from '@gw/test-support/brokers';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { KubeEdgeTwinSink, KubeEdgeTwinSinkOptions } from '../../apps/app-service/src/sinks/kubeedge-twin-sink';
import { AckedVersions, DeliveryError, DesiredChange, DesiredOutcome, DeviceOperatingState, OutboxRecord, SinkLogger } from '../../apps/app-service/src/sinks/sink';
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
const quiet: SinkLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const DELIVERY = { batched: true, gzip: false };
const record = (id: number, key: string, body: object): OutboxRecord => ({ id, key, kind: 'reported', body: Buffer.from(JSON.stringify(body)), createdAt: Date.now(), attempts: 0 });
/** A sink of its own (client id, namespace) on the private broker. */
const newSink = (namespace: string, options: KubeEdgeTwinSinkOptions = {}) =>
  new KubeEdgeTwinSink({ name: 'edge', type: 'kubeedge-twin', url: broker.url, namespace, clientId: `kt-${namespace}` }, { responseTimeoutMs: 5_000, ...options });
/** An actuator handler that takes every value (the device then reports it), recording each change. */
const takeAll =
  (calls: DesiredChange[]) =>
  async (change: DesiredChange): Promise<DesiredOutcome[]> => {
    calls.push(change);
    return Object.entries(change.values).map(([resource, value]) => ({ resource, ok: true, value }));
  };

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

  /** The gateway exporting Demo-Sensor-01's twin state (only `resource` when given). */
  async function start(resource?: string): Promise<RunningGateway> {
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
        `    filters: [{ device: ${DEVICE}${resource ? `, resource: ${resource}` : ''} }]`,
        '    sinks: [edge]',
      ].join('\n'),
    );
    gateway = await startGateway(testGatewayConfig(dir, { GW_DEVICE_SERVICES: 'virtual', GW_PIPELINES_FILE: pipelines }), quietLogger('gateway'));
    return gateway;
  }

  beforeEach(() => {
    NS = freshNamespace();
    ID = `${NS}/demo-sensor-01`;
    // The Device as the cloud places it on the node since KubeEdge 1.15: no twins (the first update naming a property makes it).
    edgecore.addDevice(ID);
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
    expect(edgecore.twin(ID).Temperature).toEqual({ actual: expect.any(String), type: 'float' });

    await edgecore.until(() => (edgecore.state(ID) === 'online' ? true : undefined), 'state online');
    const down = await call('PATCH', `${gateway!.metadata.url}/api/v3/device`, [{ apiVersion: 'v3', device: { name: DEVICE, operatingState: 'DOWN' } }]);
    expect(down.body[0].statusCode).toBe(200);
    const offline = await edgecore.until(() => edgecore.requests(ID, 'state/update').find((r) => (r.body as any).state === 'offline'), 'state offline');
    expect(offline.body).toEqual({ event_id: expect.any(String), timestamp: expect.any(Number), state: 'offline' });
  });

  it('a desired Fan from the delta drives the device, and the actual value comes back', async () => {
    await start();
    await accepted(() => true, 'the first reported update');
    // A local app declares the desired Fan (a twin/update with expected, typed).
    await edgecore.setExpected(ID, 'Fan', 'true', { type: 'boolean' });
    await actualOf('Fan', 'true');
    expect(await fanOnDevice()).toBe('true');
    await edgecore.setExpected(ID, 'Fan', 'false');
    await actualOf('Fan', 'false');
    expect(await fanOnDevice()).toBe('false');
    expect(edgecore.twin(ID).Fan).toEqual({ expected: 'false', actual: 'false', type: 'boolean' });
  });

  it('refused desired values are reported as gatewayErrors.<resource>, once, not tried again on the repeated deltas', async () => {
    await start();
    await accepted(() => true, 'the first reported update');
    await edgecore.setExpected(ID, 'Temperature', '30');
    await edgecore.setExpected(ID, 'Speed', '3');
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
    // Only Fan is exported, and nothing polls it: after the reconnect the gateway reports nothing, so edgecore
    // sends no delta; the value can only come through the catch-up.
    await start('Fan');
    await edgecore.until(() => (edgecore.state(ID) === 'online' && edgecore.requests(ID, 'twin/get').length > 0 ? true : undefined), 'connected, twin read');
    await broker.stop();
    await edgecore.setExpected(ID, 'Fan', 'true');
    const gets = edgecore.requests(ID, 'twin/get').length;
    await broker.start();
    await actualOf('Fan', 'true');
    expect(edgecore.requests(ID, 'twin/get').length).toBeGreaterThan(gets);
    // The only reports: the write's outcome and its Fan reading (no other reading made edgecore send a delta).
    expect([...new Set(twinUpdates().flatMap((r) => Object.keys((r.body as any).twin)))]).toEqual(['Fan']);
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
    await edgecore.setExpected(ID, 'Fan', 'true');
    await actualOf('Fan', 'true');
  });

  it('a restart applies no desired value again, though the device drifted from it and edgecore repeats the delta', async () => {
    await start();
    await accepted(() => true, 'the first reported update');
    await edgecore.setExpected(ID, 'Fan', 'true');
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
    expect(edgecore.twin(ID).Fan).toEqual({ expected: 'true', actual: 'false', type: 'string' });
    // A local app (or a DMI mapper's report) sends Fan=true again: edgecore stamps it anew, but it is the value
    // settled: not written either (a different value would be).
    await edgecore.setExpected(ID, 'Fan', 'true');
    const later = twinUpdates().length;
    await edgecore.until(() => (twinUpdates().length >= later + 2 ? true : undefined), 'two more reported updates');
    expect(writes.received).toEqual([]);
    expect(edgecore.twin(ID).Fan).toEqual({ expected: 'true', actual: 'false', type: 'string' });
  });
});

describe('KubeEdge twin sink: what edgecore refuses', () => {
  it('a value not of the twin type (400) costs only its record; a value no twin holds is left out', async () => {
    const NS = freshNamespace();
    edgecore.addDevice(`${NS}/pump-1`);
    // A mapper made the Running twin, typed boolean (the first update naming a property makes its twin).
    await edgecore.setExpected(`${NS}/pump-1`, 'Running', 'false', { actual: 'false', type: 'boolean' });
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

      await sink.deliver([record(5, 'pump-1', { Mode: 'two words', Speed: 4 }), record(6, 'pump-1', { Mode: 'still two words' })], { batched: true, gzip: false });
      expect(edgecore.twin(`${NS}/pump-1`)).toMatchObject({ Speed: { actual: '4' } });
      expect(edgecore.twin(`${NS}/pump-1`).Mode).toBeUndefined();
      const leftOut = warnings.filter((w) => w.obj.resource === 'Mode');
      expect(leftOut).toHaveLength(1);
      expect(leftOut[0].obj).toMatchObject({ device: 'pump-1', reason: expect.stringMatching(/characters a twin value may not hold/) });
    } finally {
      await sink.stop();
    }
  });

  it("a device without a KubeEdge Device (404) costs one request per device, not per record, logged once; other devices' records flow", async () => {
    const NS = freshNamespace();
    edgecore.addDevice(`${NS}/pump-1`);
    const warnings: Array<{ obj: any; msg?: string }> = [];
    const sink = newSink(NS);
    await sink.start({ logger: { ...quiet, warn: (obj, msg) => void warnings.push({ obj, msg }) } });
    try {
      const page = [record(1, 'pump-2', { Speed: 1 }), record(2, 'pump-1', { Speed: 1 }), record(3, 'pump-2', { Speed: 2 }), record(4, 'pump-1', { Speed: 2 }), record(5, 'pump-2', { Speed: 3 })];
      await sink.deliver(page, DELIVERY);
      expect(edgecore.requests(`${NS}/pump-2`, 'twin/update').map((r) => r.code)).toEqual([404]);
      expect(edgecore.twin(`${NS}/pump-1`).Speed.actual).toBe('2');
      // The next page: pump-2 is not asked again (until a reconnect, or a minute).
      await sink.deliver([record(6, 'pump-2', { Speed: 4 }), record(7, 'pump-1', { Speed: 3 })], DELIVERY);
      expect(edgecore.requests(`${NS}/pump-2`, 'twin/update')).toHaveLength(1);
      expect(edgecore.twin(`${NS}/pump-1`).Speed.actual).toBe('3');
      const missing = warnings.filter((w) => /no KubeEdge Device/.test(w.msg ?? ''));
      expect(missing).toEqual([{ obj: { device: 'pump-2', id: `${NS}/pump-2` }, msg: expect.stringMatching(/answered 404.*logged once per device/) }]);
      // The Device is declared; after a reconnect pump-2 is tried again.
      edgecore.addDevice(`${NS}/pump-2`);
      await broker.stop();
      await broker.start();
      await pollFor(() => (sink.connected ? true : undefined), 'the sink connected again');
      await sink.deliver([record(8, 'pump-2', { Speed: 5 })], DELIVERY);
      expect(edgecore.twin(`${NS}/pump-2`).Speed.actual).toBe('5');
    } finally {
      await sink.stop();
    }
  });

  it("an answer to the sink's request that cannot be read fails that request at once; other clients' answers are not counted", async () => {
    const NS = freshNamespace();
    const ID = `${NS}/pump-5`;
    // edgecore (here: a raw client) answers pump-5's update with a code that is no number.
    edgecore.silence(ID);
    const raw = await mqtt.connectAsync(broker.url, { clientId: `kt-raw-${NS}` });
    await raw.subscribeAsync(`$hw/events/device/${ID}/twin/update`, { qos: 1 });
    raw.on('message', (_topic, payload) => {
      const { event_id } = JSON.parse(payload.toString());
      void raw.publishAsync(`$hw/events/device/${ID}/twin/update/result`, JSON.stringify({ event_id, timestamp: 1, code: 'full' }), { qos: 1 });
    });
    const warnings: Array<{ obj: any; msg?: string }> = [];
    // Longer than the test may take: only failing at once passes.
    const sink = newSink(NS, { responseTimeoutMs: 120_000 });
    await sink.start({ logger: { ...quiet, warn: (obj, msg) => void warnings.push({ obj, msg }) } });
    try {
      // Another mapper's answer, unreadable: not the sink's business.
      await raw.publishAsync(`$hw/events/device/${NS}/pump-6/twin/update/result`, JSON.stringify({ event_id: 'theirs', code: 'x' }), { qos: 1 });
      const failed = await sink.deliver([record(1, 'pump-5', { Speed: 1 })], DELIVERY).catch((err: DeliveryError) => err);
      expect(failed).toMatchObject({ disposition: 'retry', message: expect.stringMatching(/pump-5 twin update: edgecore's answer could not be read: code not a number/) });
      expect(sink.rejectedMessages).toBe(1);
      expect(warnings.map((w) => w.obj)).toEqual([expect.objectContaining({ topic: `$hw/events/device/${ID}/twin/update/result`, field: 'code', rejectedTotal: 1 })]);
    } finally {
      await raw.endAsync();
      await sink.stop();
    }
  });
});

describe('KubeEdge twin sink: desired value versions', () => {
  it('a desired value stamped anew unchanged (a mapper report) is not written again, and an older stamp never writes an older value back', async () => {
    const NS = freshNamespace();
    const ID = `${NS}/valve-1`;
    edgecore.addDevice(ID);
    const calls: DesiredChange[] = [];
    const sink = newSink(NS);
    await sink.start({ logger: quiet, onDesired: takeAll(calls), deviceNames: async () => ['valve-1'] });
    const raw = await mqtt.connectAsync(broker.url, { clientId: `kt-raw-${NS}` });
    const actualOf = (key: string, value: string) => edgecore.until(() => (edgecore.twin(ID)[key]?.actual === value ? true : undefined), `${key} actual ${value}`);
    try {
      await edgecore.until(() => (edgecore.requests(ID, 'twin/get').length > 0 ? true : undefined), 'the first twin/get');
      const first = await edgecore.setExpected(ID, 'Open', 'true');
      await actualOf('Open', 'true');
      // A DMI mapper reports Open=false with the desired value it observed: edgecore stamps true anew, the delta says Open=true.
      await edgecore.setExpected(ID, 'Open', 'true', { actual: 'false' });
      await edgecore.setExpected(ID, 'Mode', 'eco');
      await actualOf('Mode', 'eco');
      await edgecore.setExpected(ID, 'Open', 'half');
      await actualOf('Open', 'half');
      // A delta with the first, older stamp of Open=true arrives late (reordered, or a stale answer).
      const stale = { Open: { expected: { value: 'true', metadata: { timestamp: first } }, actual: { value: 'false', metadata: { timestamp: first } }, metadata: { type: 'string' } } };
      await raw.publishAsync(`$hw/events/device/${ID}/twin/update/delta`, JSON.stringify({ event_id: 'late', timestamp: first, twin: stale, delta: { Open: 'true' } }), { qos: 1 });
      await edgecore.setExpected(ID, 'Mode', 'off');
      await actualOf('Mode', 'off');
      expect(calls.map((c) => c.values)).toEqual([{ Open: 'true' }, { Mode: 'eco' }, { Open: 'half' }, { Mode: 'off' }]);
    } finally {
      await raw.endAsync();
      await sink.stop();
    }
  });
});

describe('KubeEdge twin sink: deltas of devices it does not know', () => {
  it('look core-metadata up at most once a while, not per delta; a device added later is learned from its event', async () => {
    const NS = freshNamespace();
    for (const name of ['pump-1', 'other-1', 'pump-9']) edgecore.addDevice(`${NS}/${name}`);
    let listings = 0;
    let announce: (state: DeviceOperatingState) => void = () => {};
    const calls: DesiredChange[] = [];
    const sink = newSink(NS);
    await sink.start({
      logger: quiet,
      onDesired: takeAll(calls),
      deviceNames: async () => (listings++, ['pump-1']),
      deviceStates: {
        current: async () => (listings++, [{ deviceName: 'pump-1', operatingState: 'UP' }]),
        watch: async (listener) => ((announce = listener), async () => {}),
      },
    });
    try {
      await edgecore.until(() => (edgecore.requests(`${NS}/pump-1`, 'twin/get').length > 0 ? true : undefined), 'the first twin/get');
      // One listing on connect serves the names and the states.
      expect(listings).toBe(1);
      // Another mapper's device in the namespace: every change of its twin sends a delta.
      for (let i = 1; i <= 5; i++) await edgecore.setExpected(`${NS}/other-1`, 'Level', String(i));
      // pump-9 is added to core-metadata (its device system event), then its desired Speed set.
      announce({ deviceName: 'pump-9', operatingState: 'UP' });
      await edgecore.setExpected(`${NS}/pump-9`, 'Speed', '7');
      await edgecore.until(() => (edgecore.twin(`${NS}/pump-9`).Speed?.actual === '7' ? true : undefined), 'pump-9 Speed actual 7');
      expect(calls).toEqual([{ deviceName: 'pump-9', values: { Speed: '7' }, origin: 'kubeedge-delta' }]);
      expect(listings).toBe(1);
    } finally {
      await sink.stop();
    }
  });
});

describe('KubeEdge twin sink: a device that cannot be reached', () => {
  it('a 5xx is not reported as a refusal and not settled: the deltas meanwhile do not apply it again; the twin is read again after the reconnect period and the value applied then', async () => {
    const NS = freshNamespace();
    const ID = `${NS}/valve-1`;
    edgecore.addDevice(ID);
    const calls: DesiredChange[] = [];
    let reachable = false;
    // Long enough for the deltas below to arrive before the retry.
    const sink = newSink(NS, { reconnectPeriodMs: 2_000 });
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
      await edgecore.setExpected(ID, 'Open', 'true');
      // Readings of the valve's Level: each update makes edgecore send the delta Open=true again.
      for (let i = 1; i <= 3; i++) await sink.deliver([record(i, 'valve-1', { Level: i })], DELIVERY);
      // The 504: nothing reported, the twin read again after the reconnect period.
      await edgecore.until(() => (edgecore.requests(ID, 'twin/get').length > gets ? true : undefined), 'the twin read again');
      expect(edgecore.requests(ID, 'twin/update').flatMap((r) => Object.keys((r.body as any).twin))).toEqual(['Level', 'Level', 'Level']);
      reachable = true;
      await edgecore.until(() => (edgecore.twin(ID).Open?.actual === 'true' ? true : undefined), 'Open actual true');
      expect(calls.map((c) => [c.values, c.reconcile ?? false])).toEqual([
        [{ Open: 'true' }, false],
        ...calls.slice(1, -1).map(() => [{ Open: 'true' }, true]),
        [{ Open: 'true' }, true],
      ]);
      expect(Object.keys(edgecore.twin(ID)).sort()).toEqual(['Level', 'Open']);
    } finally {
      await sink.stop();
    }
  });

  it('a twin/get edgecore fails (500) is read again after the retry period, not only on the next reconnect', async () => {
    const NS = freshNamespace();
    const ID = `${NS}/valve-1`;
    edgecore.addDevice(ID);
    // Set before the sink runs: its delta reaches nobody, only the catch-up brings it.
    await edgecore.setExpected(ID, 'Open', 'true');
    edgecore.failNext(ID, 'twin/get', 500);
    const calls: DesiredChange[] = [];
    const sink = newSink(NS, { reconnectPeriodMs: 200 });
    await sink.start({ logger: quiet, onDesired: takeAll(calls), deviceNames: async () => ['valve-1'] });
    try {
      await edgecore.until(() => (edgecore.twin(ID).Open?.actual === 'true' ? true : undefined), 'Open actual true');
      expect(edgecore.requests(ID, 'twin/get').map((r) => r.code)).toEqual([500, 200]);
      expect(calls).toEqual([{ deviceName: 'valve-1', values: { Open: 'true' }, origin: 'kubeedge-delta', reconcile: true }]);
    } finally {
      await sink.stop();
    }
  });

  it('a version the outbox database cannot keep (disk full) is logged and caught up again, never thrown', async () => {
    const NS = freshNamespace();
    const ID = `${NS}/valve-1`;
    edgecore.addDevice(ID);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const kept = new Map<string, number>();
    let failures = 1;
    const versions: AckedVersions = {
      get: (twin) => kept.get(twin),
      set: (twin, version) => {
        if (failures-- > 0) throw new Error('SQLITE_FULL: database or disk is full');
        kept.set(twin, version);
      },
    };
    const errors: Array<{ obj: any; msg?: string }> = [];
    const calls: DesiredChange[] = [];
    const sink = newSink(NS, { reconnectPeriodMs: 200 });
    await sink.start({ logger: { ...quiet, error: (obj, msg) => void errors.push({ obj, msg }) }, onDesired: takeAll(calls), deviceNames: async () => ['valve-1'], versions });
    try {
      await edgecore.until(() => (edgecore.requests(ID, 'twin/get').length > 0 ? true : undefined), 'the first twin/get');
      await edgecore.setExpected(ID, 'Open', 'true');
      await pollFor(() => (kept.size > 0 ? true : undefined), 'the version kept after the catch-up');
      expect(calls.map((c) => c.reconcile ?? false)).toEqual([false, true]);
      expect(errors).toEqual([{ obj: { device: 'valve-1', error: 'SQLITE_FULL: database or disk is full' }, msg: expect.stringMatching(/caught up again/) }]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await sink.stop();
    }
  });
});

describe('KubeEdge twin sink: messages from edgecore it cannot read', () => {
  it('a malformed delta is logged naming the field and counted; the next good one is applied', async () => {
    const NS = freshNamespace();
    const ID = `${NS}/pump-1`;
    edgecore.addDevice(ID);
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

      // A delta larger than a sink reads (MQTT 3.1.1 agrees no size) is dropped unparsed and counted the same way.
      const tooBig = new Promise<void>((resolve) => (warned = resolve));
      const huge = JSON.stringify({ event_id: 'y', timestamp: 2, delta: { Speed: '7', Pad: 'x'.repeat(300 * 1024) } });
      await raw.publishAsync(`$hw/events/device/${ID}/twin/update/delta`, huge, { qos: 1 });
      await tooBig;
      expect(warnings[1].obj).toMatchObject({ field: '(message)', reason: expect.stringMatching(/^larger than 262144 bytes/), rejectedTotal: 2 });
      expect(sink.rejectedMessages).toBe(2);
      expect(calls).toEqual([]);

      await edgecore.setExpected(ID, 'Speed', '5');
      await edgecore.until(() => (edgecore.twin(ID).Speed?.actual === '5' ? true : undefined), 'Speed actual 5');
      expect(calls).toEqual([{ deviceName: 'pump-1', values: { Speed: '5' }, origin: 'kubeedge-delta' }]);
    } finally {
      await raw.endAsync();
      await sink.stop();
    }
  });
});

describe('KubeEdge twin sink: twin keys from the outside', () => {
  it('a delta key __proto__ is a key like any other: handed to the actuator handler, its refusal reported', async () => {
    const NS = freshNamespace();
    const ID = `${NS}/valve-1`;
    edgecore.addDevice(ID);
    const calls: DesiredChange[] = [];
    const sink = newSink(NS);
    await sink.start({
      logger: quiet,
      onDesired: async (change): Promise<DesiredOutcome[]> => {
        calls.push(change);
        return Object.keys(change.values).map((resource) => ({ resource, ok: false, status: 404, message: `device valve-1 has no resource ${resource}` }));
      },
      deviceNames: async () => ['valve-1'],
    });
    try {
      await edgecore.until(() => (edgecore.requests(ID, 'twin/get').length > 0 ? true : undefined), 'the first twin/get');
      await edgecore.setExpected(ID, '__proto__', 'x');
      const error = await edgecore.until(() => edgecore.twin(ID)['gatewayErrors.__proto__'], 'the refusal reported');
      expect(error.actual).toBe('404:device_valve-1_has_no_resource___proto__');
      expect(calls).toHaveLength(1);
      expect(Object.entries(calls[0].values)).toEqual([['__proto__', 'x']]);
      expect(Object.getPrototypeOf(calls[0].values)).toBe(Object.prototype);
    } finally {
      await sink.stop();
    }
  });
});
