/**
 * The twin stays true through the one-process gateway (virtual Demo-Sensor-01,
 * whose Fan is not polled) and an Azure IoT Hub twin (the hub emulator on a
 * private Mosquitto, behind its CONNECT check), with IoT Plug and Play on
 * (a modelId, the device a component of the gateway's twin):
 *  - every write reaches the reported state, whoever makes it: a direct
 *    method, a REST PUT through core-command;
 *  - a desired value set while the gateway was offline is applied against
 *    the device, not against the (stale) reported state, and acknowledged at
 *    its $version; a restart does not apply that version again (it is kept in
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
import { call, testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { AzureHubEmulator } from './support/azure-hub-emulator';
import { HubGate } from './support/hub-gate';

jest.setTimeout(60_000);

const HOST = 'writes-hub.azure-devices.net';
const KEY = randomBytes(32).toString('base64');
const GATEWAY = `gw-${randomBytes(3).toString('hex')}`;
const DEVICE = 'Demo-Sensor-01';
/** Its Plug and Play component: a DTDL name has no '-'. */
const COMPONENT = 'demoSensor01';
const MODEL_ID = 'dtmi:com:example:Gateway;1';

type Ack = { value?: unknown; ac: number; av: number; ad?: string };

describe('twin writes and offline desired state through the gateway (Azure hub emulator)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-twin-writes-'));
  let broker: BrokerProcess;
  let gate: HubGate;
  let hub: AzureHubEmulator;
  let gateway: RunningGateway | undefined;

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

  afterAll(async () => {
    await gateway?.close();
    await hub?.stop();
    await gate?.close();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
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
    expect(res.body.omitted).toEqual([]);
    expect((await call('GET', `${gateway!.appService!.url}/api/v3/twin/model/nope`)).status).toBe(404);
  });

  it('reports a direct-method write of Fan, which nobody polls', async () => {
    const answer = await hub.invokeMethod(GATEWAY, `${COMPONENT}*Fan`, { Fan: false });
    expect(answer.status).toBe(200);
    const fan = await reportedFan((f) => f.value === false, 'reported Fan false');
    // Still the ack of $version 3, now with the value the device has.
    expect(fan).toEqual({ value: false, ac: 200, av: 3, ad: 'completed' });
  });

  it('reports a REST PUT through core-command by anyone', async () => {
    const before = (component().Fan as Ack).value;
    const put = await call('PUT', `${gateway!.coreCommand.url}/api/v3/device/name/${DEVICE}/Fan`, { Fan: String(!before) });
    expect(put.status).toBe(200);
    await reportedFan((f) => f.value === !before, `reported Fan ${!before}`);
  });

  it('a restart does not apply an acknowledged version again', async () => {
    const refusedAt = async (value: number) => {
      const version = await hub.setDesired(GATEWAY, { [COMPONENT]: { NoSuchResource: value } });
      return hub.until(() => {
        const ack = component().NoSuchResource as Ack | undefined;
        return ack?.av === version ? ack : undefined;
      }, 15_000, `the ack of $version ${version}`);
    };
    // $version 4 raises the twin's version above Fan's ack (3): only the kept version tells a restart that 4 was applied.
    expect(await refusedAt(1)).toMatchObject({ ac: 404, av: 4 });
    // A local change the twin is not told of (ds-pushevent=false): desired (true) and the device (false) now differ.
    const put = await call('PUT', `${gateway!.coreCommand.url}/api/v3/device/name/${DEVICE}/Fan?ds-pushevent=false`, { Fan: 'false' });
    expect(put.status).toBe(200);
    await gateway!.close();
    gateway = undefined;
    const getsBefore = hub.requests.filter((r) => r.op === 'GET').length;

    await start();
    await hub.until(() => hub.requests.filter((r) => r.op === 'GET').length > getsBefore, 15_000, 'the twin GET after the restart');
    // Patches are handled after the catch-up of the connect: once this one is acked, the catch-up is done.
    expect(await refusedAt(2)).toMatchObject({ ac: 404, av: 5 });
    expect(await fanOnDevice()).toBe('false');
    expect((component().Fan as Ack).av).toBe(3);
  });
});
