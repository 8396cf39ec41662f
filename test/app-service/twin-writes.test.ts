/**
 * The twin stays true through the one-process gateway (virtual Demo-Sensor-01,
 * whose Fan is not polled) and an Azure IoT Hub twin (the hub emulator on a
 * private Mosquitto, behind its CONNECT check), with IoT Plug and Play on
 * (a modelId, the device a component of the gateway's twin). Each test has a
 * twin, a data folder and a gateway of its own:
 *  - a desired value set while the connection was down is applied against the
 *    device in the same running process, not against what the twin or the
 *    gateway remembers; a value already on the device is read, not written;
 *  - a twin made again (a re-registered device, $version from 1) is caught up;
 *  - a desired value set while the gateway was offline is applied though the
 *    stale reported state agrees with it;
 *  - every write reaches the reported state, whoever makes it: a direct
 *    method, a REST PUT through core-command;
 *  - a restart does not apply an acknowledged version again (it is kept in
 *    the outbox database);
 *  - the CONNECT announces the model, and the app service gives its DTDL,
 *    built from the device profile.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess, startMosquitto } from '@gw/test-support/brokers';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { EventRecorder } from '../support/event-recorder';
import { call, testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { AzureHubEmulator } from './support/azure-hub-emulator';
import { HubGate } from './support/hub-gate';
import { pollUntil } from '../support/poll';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped module, as in the outbox store
const Database = require('better-sqlite3') as new (file: string, options: { readonly: boolean }) => {
  prepare(sql: string): { pluck(): { get(...params: unknown[]): unknown } };
  close(): void;
};

jest.setTimeout(60_000);

const HOST = 'writes-hub.azure-devices.net';
const KEY = randomBytes(32).toString('base64');
const DEVICE = 'Demo-Sensor-01';
/** Its Plug and Play component: a DTDL name has no '-'. */
const COMPONENT = 'demoSensor01';
const MODEL_ID = 'dtmi:com:example:Gateway;1';

type Ack = { value?: unknown; ac: number; av: number; ad?: string };
/** Where the virtual device service publishes Fan's events: every SET of it, read back (nobody polls Fan). */
const FAN_EVENTS = `edgex/events/device/device-virtual/Demo-Sensor/${DEVICE}/Fan`;

describe('twin writes and offline desired state through the gateway (Azure hub emulator)', () => {
  let broker: BrokerProcess;
  let gate: HubGate;
  let hub: AzureHubEmulator;
  /** This test's twin (the gateway's IoT Hub device id), data folder, gateway and log. */
  let GATEWAY: string;
  let dir: string;
  let gateway: RunningGateway | undefined;

  /** The desired $version the sink keeps for this twin, read from the outbox database as a restart reads it. */
  const keptVersion = (): number | undefined => {
    const db = new Database(join(dir, 'app-service-outbox.db'), { readonly: true });
    try {
      return db.prepare('SELECT version FROM twin_desired_acked WHERE sink = ? AND twin = ?').pluck().get('hub', GATEWAY) as number | undefined;
    } finally {
      db.close();
    }
  };
  const component = () => (hub.twin(GATEWAY).reported[COMPONENT] ?? {}) as Record<string, unknown>;
  const fanOnDevice = async () => {
    const read = await call('GET', `${gateway!.coreCommand.url}/api/v3/device/name/${DEVICE}/Fan`);
    return read.body.event.readings[0].value as string;
  };
  const reportedFan = (predicate: (fan: Ack) => boolean, what: string) =>
    hub.until(() => {
      const fan = component().Fan as Ack | undefined;
      return fan && predicate(fan) ? fan : undefined;
    }, 15_000, what);

  async function start(): Promise<RunningGateway> {
    const pipelines = join(dir, 'pipelines.yaml');
    writeFileSync(
      pipelines,
      [
        'sinks:',
        '  - name: hub',
        '    type: azure-twin',
        `    connectionString: "HostName=${HOST};DeviceId=${GATEWAY};SharedAccessKey=${KEY}"`,
        `    url: ${gate.url}`,
        `    devices: "^${DEVICE}$"`,
        `    modelId: "${MODEL_ID}"`,
        `    components: { ${DEVICE}: ${COMPONENT} }`,
        'pipelines:',
        '  - name: state',
        '    transform: twin',
        `    filters: [{ device: ${DEVICE} }]`,
        '    sinks: [hub]',
      ].join('\n'),
    );
    gateway = await startGateway(testGatewayConfig(dir, { GW_DEVICE_SERVICES: 'virtual', GW_PIPELINES_FILE: pipelines }), quietLogger('gateway'));
    return gateway;
  }

  beforeAll(async () => {
    broker = await startMosquitto();
    gate = await HubGate.open(broker.port, HOST, KEY);
    hub = await AzureHubEmulator.start(broker.url, GATEWAY);
  });

  beforeEach(() => {
    GATEWAY = `gw-${randomBytes(3).toString('hex')}`;
    hub.serve(GATEWAY);
    dir = mkdtempSync(join(tmpdir(), 'gw-twin-writes-'));
  });

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    gate.up();
    rmSync(dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await hub?.stop();
    await gate?.close();
    await broker?.dispose();
  });

  it('in one running process: desired Fan=true set while the connection was down is applied, though the gateway applied Fan=true before; a value already on the device is read, not written', async () => {
    await start();
    const writes = new EventRecorder();
    await gateway!.bus.subscribe(FAN_EVENTS, writes.handler);
    // Applied live, then changed on the device by a direct method: the twin's desired (true) and the device (false) now differ.
    const first = await hub.setDesired(GATEWAY, { [COMPONENT]: { __t: 'c', Fan: true } });
    await reportedFan((f) => f.av === first && f.value === true, `Fan acknowledged at $version ${first}`);
    expect((await hub.invokeMethod(GATEWAY, `${COMPONENT}*Fan`, { Fan: false })).status).toBe(200);
    await reportedFan((f) => f.value === false, 'reported Fan false');

    // The connection drops; the cloud asks for Fan=true again (what it asked before) while it is down.
    gate.down();
    const offline = await hub.setDesired(GATEWAY, { [COMPONENT]: { Fan: true } });
    gate.up();
    const fan = await reportedFan((f) => f.av === offline, `Fan acknowledged at $version ${offline}`);
    expect(fan).toEqual({ value: true, ac: 200, av: offline, ad: 'completed' });
    expect(await fanOnDevice()).toBe('true');

    // Once more, with the device already where desired says: read and acknowledged, not written.
    gate.down();
    const again = await hub.setDesired(GATEWAY, { [COMPONENT]: { Fan: true } });
    gate.up();
    const before = writes.received.length;
    expect(await reportedFan((f) => f.av === again, `Fan acknowledged at $version ${again}`)).toEqual({ value: true, ac: 200, av: again, ad: 'completed' });
    // A write of our own after the ack: its event comes after any the catch-up's write would have published.
    expect((await call('PUT', `${gateway!.coreCommand.url}/api/v3/device/name/${DEVICE}/Fan`, { Fan: 'true' })).status).toBe(200);
    await writes.waitFor(before + 1);
    expect(writes.received).toHaveLength(before + 1);
  });

  it('a twin made again (the device registered again, $version from 1) is caught up, not taken for one applied already', async () => {
    await start();
    for (const value of [true, false, true]) await hub.setDesired(GATEWAY, { [COMPONENT]: { __t: 'c', Fan: value } });
    await reportedFan((f) => f.av === 4 && f.value === true, 'Fan acknowledged at $version 4');

    gate.down();
    hub.deleteTwin(GATEWAY);
    const version = await hub.setDesired(GATEWAY, { [COMPONENT]: { __t: 'c', Fan: false } });
    expect(version).toBe(2);
    gate.up();
    expect(await reportedFan((f) => f.av === version, `Fan acknowledged at $version ${version} of the new twin`)).toEqual({ value: false, ac: 200, av: 2, ad: 'completed' });
    expect(await fanOnDevice()).toBe('false');
  });

  it('applies desired Fan=true set at $version 3 while offline, though the stale reported Fan is true and the device is false', async () => {
    // The twin as the issue found it: desired Fan true at $version 3, reported Fan true (acked at 2), the device false.
    await hub.setDesired(GATEWAY, { [COMPONENT]: { __t: 'c', Fan: false } });
    const version = await hub.setDesired(GATEWAY, { [COMPONENT]: { Fan: true } });
    expect(version).toBe(3);
    hub.setReported(GATEWAY, { [COMPONENT]: { __t: 'c', Fan: { value: true, ac: 200, av: 2, ad: 'completed' } } });

    await start();
    const fan = await reportedFan((f) => f.av === 3, 'Fan acknowledged at $version 3');
    expect(fan).toEqual({ value: true, ac: 200, av: 3, ad: 'completed' });
    expect(await fanOnDevice()).toBe('true');
    expect(gate.connects.at(-1)).toMatchObject({ clientId: GATEWAY, accepted: true, modelId: MODEL_ID });
  });

  it('gives the DTDL model it announces: a component of the device profile\'s interface', async () => {
    await start();
    const res = await call('GET', `${gateway!.appService!.url}/api/v3/twin/model/hub`);
    expect(res.status).toBe(200);
    const [main, profile, ...rest] = res.body.models;
    expect(rest).toEqual([]);
    expect(main).toEqual({
      '@context': 'dtmi:dtdl:context;2',
      '@id': MODEL_ID,
      '@type': 'Interface',
      displayName: 'Gateway',
      contents: [{ '@type': 'Component', name: COMPONENT, schema: 'dtmi:com:example:Gateway:Demo_Sensor;1', displayName: DEVICE }],
    });
    expect(profile).toMatchObject({ '@id': 'dtmi:com:example:Gateway:Demo_Sensor;1', '@type': 'Interface', displayName: 'Demo-Sensor' });
    expect(profile.contents).toEqual([
      { '@type': 'Property', name: 'Temperature', schema: 'float', writable: false, description: 'Air temperature' },
      { '@type': 'Property', name: 'Humidity', schema: 'float', writable: false, description: 'Relative humidity' },
      { '@type': 'Property', name: 'Fan', schema: 'boolean', writable: true, description: 'Fan relay, true = running' },
      { '@type': 'Command', name: 'Climate' },
    ]);
    // Said, not left to be found out in IoT Central: the telemetry the sink sends is not in the model.
    expect(res.body.omitted).toEqual([expect.stringMatching(/^telemetry: not modeled/)]);
    expect(JSON.stringify(res.body.models)).not.toMatch(/"Telemetry"/);
    expect((await call('GET', `${gateway!.appService!.url}/api/v3/twin/model/nope`)).status).toBe(404);
  });

  it('reports a direct-method write of Fan, which nobody polls', async () => {
    await start();
    const version = await hub.setDesired(GATEWAY, { [COMPONENT]: { __t: 'c', Fan: true } });
    await reportedFan((f) => f.av === version && f.value === true, `Fan acknowledged at $version ${version}`);
    const answer = await hub.invokeMethod(GATEWAY, `${COMPONENT}*Fan`, { Fan: false });
    expect(answer.status).toBe(200);
    const fan = await reportedFan((f) => f.value === false, 'reported Fan false');
    // Still the ack of the desired version, now with the value the device has.
    expect(fan).toEqual({ value: false, ac: 200, av: version, ad: 'completed' });
  });

  it('reports a REST PUT through core-command by anyone', async () => {
    await start();
    const version = await hub.setDesired(GATEWAY, { [COMPONENT]: { __t: 'c', Fan: true } });
    await reportedFan((f) => f.av === version && f.value === true, `Fan acknowledged at $version ${version}`);
    const put = await call('PUT', `${gateway!.coreCommand.url}/api/v3/device/name/${DEVICE}/Fan`, { Fan: 'false' });
    expect(put.status).toBe(200);
    await reportedFan((f) => f.value === false, 'reported Fan false');
  });

  it('a restart does not apply an acknowledged version again', async () => {
    await start();
    const acked = await hub.setDesired(GATEWAY, { [COMPONENT]: { __t: 'c', Fan: true } });
    await reportedFan((f) => f.av === acked, `Fan acknowledged at $version ${acked}`);
    const refusedAt = async (value: number) => {
      const version = await hub.setDesired(GATEWAY, { [COMPONENT]: { NoSuchResource: value } });
      return hub.until(() => {
        const ack = component().NoSuchResource as Ack | undefined;
        return ack?.av === version ? ack : undefined;
      }, 15_000, `the ack of $version ${version}`);
    };
    // The next $version raises the twin's version above Fan's ack: only the kept version tells a restart that it was applied.
    expect(await refusedAt(1)).toMatchObject({ ac: 404, av: acked + 1 });
    // Kept once the hub's answer to the ack is back (the twin shows the ack a moment before): stopping earlier would rightly apply it again.
    await pollUntil(() => keptVersion() === acked + 1, `$version ${acked + 1} kept in the outbox database`);
    // A local change the twin is not told of (ds-pushevent=false): desired (true) and the device (false) now differ.
    const put = await call('PUT', `${gateway!.coreCommand.url}/api/v3/device/name/${DEVICE}/Fan?ds-pushevent=false`, { Fan: 'false' });
    expect(put.status).toBe(200);
    await gateway!.close();
    gateway = undefined;
    const getsBefore = hub.requests.filter((r) => r.op === 'GET').length;

    await start();
    await hub.until(() => hub.requests.filter((r) => r.op === 'GET').length > getsBefore, 15_000, 'the twin GET after the restart');
    // Patches are handled after the catch-up of the connect: once this one is acked, the catch-up is done.
    expect(await refusedAt(2)).toMatchObject({ ac: 404, av: acked + 2 });
    expect(await fanOnDevice()).toBe('false');
    expect((component().Fan as Ack).av).toBe(acked);
  });
});
