/**
 * EdgeX's device-opc-ua sample profile and device file (test/opcua/fixtures,
 * unchanged) in the one-process gateway against apps/opcua-sim, whose ns=3
 * holds the Prosys nodes they name. The device's Endpoint host and port are
 * the test server's (its path is the sample's). A second device of the same
 * profile on the same endpoint has an autoEvent: its values come from a
 * monitored item (not a poll) and reach core-data.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Event, parseDeviceList, parseDeviceProfile } from '@gw/contracts';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import type { RunningOpcuaSim } from '../../apps/opcua-sim/src/simulator';
import { EventRecorder } from '../support/event-recorder';
import { call, testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { PKI_DIR, startSim } from './support';

const FIXTURES = join(__dirname, 'fixtures');
const PROFILE = 'OPCUA-Server';
const DEVICE = 'SimulationServer';
const MONITORED = 'SimulationServer-Monitored';

describe('EdgeX sample OPC UA profile and device through the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-edgex-opcua-sample-'));
  const events = new EventRecorder();
  let sim: RunningOpcuaSim;
  let gateway: RunningGateway;
  let command: string;

  beforeAll(async () => {
    sim = await startSim();
    const profileText = readFileSync(join(FIXTURES, 'OpcuaServer.yaml'), 'utf8');
    expect(parseDeviceProfile(profileText).name).toBe(PROFILE);
    const [device] = parseDeviceList(readFileSync(join(FIXTURES, 'Simple-Devices.yaml'), 'utf8'));
    const sample = new URL(device.protocols.opcua.Endpoint as string);
    const server = new URL(sim.endpointUrl);
    expect(server.pathname).toBe(sample.pathname); // /OPCUA/SimulationServer
    const endpoint = `opc.tcp://${server.host}${sample.pathname}`;
    const local = { ...device, protocols: { opcua: { ...device.protocols.opcua, Endpoint: endpoint } } };
    const monitored = { ...local, name: MONITORED, autoEvents: [{ sourceName: 'CounterNum', interval: '200ms', onChange: false }] };
    mkdirSync(join(dir, 'profiles'));
    writeFileSync(join(dir, 'profiles', 'OpcuaServer.yaml'), profileText);
    mkdirSync(join(dir, 'devices/device-opcua'), { recursive: true });
    writeFileSync(join(dir, 'devices/device-opcua/simple.devices.yaml'), stringify({ deviceList: [local, monitored] }));

    const config = testGatewayConfig(dir, {
      GW_DEVICE_SERVICES: 'opcua',
      GW_APP_SERVICE: 'false',
      GW_PROFILES_DIR: join(dir, 'profiles'),
      GW_DEVICES_DIR: join(dir, 'devices'),
      GW_OPCUA_PKI_DIR: join(PKI_DIR, 'gateway'),
    });
    gateway = await startGateway(config, quietLogger('gateway'));
    await gateway.bus.subscribe(`edgex/events/device/device-opcua/${PROFILE}/${MONITORED}/#`, events.handler);
    command = `${gateway.coreCommand.url}/api/v3/device/name/${DEVICE}`;
  });

  afterAll(async () => {
    await gateway?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const value = (event: Event) => (event.readings[0] as { value: string }).value;

  it('reads the sample commands through core-command', async () => {
    const constant = await call('GET', `${command}/ConstantNum`);
    expect(constant.status).toBe(200);
    expect(constant.body.event.readings).toEqual([expect.objectContaining({ resourceName: 'Constant', valueType: 'Float64', value: '3.14e+00' })]);
    const counter = await call('GET', `${command}/CounterNum`);
    expect(counter.body.event.readings[0]).toMatchObject({ resourceName: 'Counter', valueType: 'Int32' });
    expect(Number(value(counter.body.event))).toBeGreaterThanOrEqual(0);
    const random = await call('GET', `${command}/RandomNum`);
    expect(random.body.event.readings[0]).toMatchObject({ resourceName: 'Random', valueType: 'Float64' });
  });

  it('writes ConstantNum (RW) and reads it back; refuses CounterNum (R)', async () => {
    expect(await call('PUT', `${command}/ConstantNum`, { Constant: '42.5' })).toMatchObject({ status: 200 });
    expect(sim.get('ns=3;i=1001').value).toBe(42.5);
    expect(value((await call('GET', `${command}/ConstantNum`)).body.event)).toBe('4.25e+01');
    expect((await call('PUT', `${command}/CounterNum`, { Counter: '1' })).status).toBe(405);
  });

  it('publishes the autoEvent from a monitored item, not a poll, and core-data stores the readings', async () => {
    await events.waitFor(3, 15_000);
    const counts = events.received.map(({ envelope }) => Number(value((envelope.payload as { event: Event }).event)));
    // The sim's counter goes up by one per tick: every event is a new value, in order.
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1]);
    const stats = gateway.deviceServices['device-opcua'].stats();
    expect(stats.autoEvents).toMatchObject({ monitored: 1, reads: 0 });
    expect(stats.push.accepted).toBeGreaterThanOrEqual(3);

    const stored = await call('GET', `${gateway.coreData.url}/api/v3/reading/device/name/${MONITORED}?limit=100`);
    expect(stored.status).toBe(200);
    expect(stored.body.readings.length).toBeGreaterThan(0);
    expect(stored.body.readings[0]).toMatchObject({ deviceName: MONITORED, profileName: PROFILE, resourceName: 'Counter', valueType: 'Int32' });
  });
});
