/**
 * EdgeX's sample Modbus profile and device file (mirrored, boiler-flavoured,
 * by libs/contracts/fixtures/boiler.modbus.*.yaml: same tables, addresses,
 * rawType/scale, `N.b` bit address and deviceCommands with mappings) in the
 * one-process gateway, against pymodbus. Only the device's Address/Port and
 * its autoEvent interval differ from the fixture.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Event, parseDeviceList, parseDeviceProfile } from '@gw/contracts';
import { fixture } from '../../libs/contracts/fixtures';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { EventRecorder } from '../support/event-recorder';
import { call, testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { freePort, servedRequests, startPymodbus, stopProcess } from './pymodbus';

const PROFILE = 'boiler.modbus.profile.yaml';
const DEVICE = 'Boiler-TCP';

type ReadingValues = Record<string, string>;

function valuesOf(event: Pick<Event, 'readings'>): ReadingValues {
  return Object.fromEntries(event.readings.map((r) => [r.resourceName, (r as { value: string }).value]));
}

describe('EdgeX sample modbus profile and devices against pymodbus through the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-edgex-modbus-sample-'));
  const logFile = join(dir, 'requests.log');
  const events = new EventRecorder();
  let server: ChildProcess | undefined;
  let gateway: RunningGateway;
  let boiler: string;

  const get = async (command: string): Promise<ReadingValues> => {
    const res = await call('GET', `${boiler}/${command}`);
    expect(res.status).toBe(200);
    return valuesOf(res.body.event);
  };
  const put = async (command: string, body: Record<string, string>): Promise<void> => {
    const res = await call('PUT', `${boiler}/${command}`, body);
    expect(res).toMatchObject({ status: 200 });
  };

  beforeAll(async () => {
    const port = await freePort();
    server = await startPymodbus({ tcpPort: port }, logFile);

    const profileText = fixture(PROFILE);
    expect(parseDeviceProfile(profileText).name).toBe('Boiler-Modbus-Profile');
    const device = parseDeviceList(fixture('boiler.modbus.devices.yaml')).find((d) => d.name === DEVICE)!;
    expect(device.protocols['modbus-tcp']).toMatchObject({ UnitID: 1 });
    expect(device.autoEvents).toEqual([expect.objectContaining({ sourceName: 'Settings', interval: '20s' })]);
    // Address and Port as EdgeX's REST API carries protocol properties (strings); the rest as parsed.
    const local = {
      ...device,
      protocols: { 'modbus-tcp': { ...device.protocols['modbus-tcp'], Address: '127.0.0.1', Port: String(port) } },
      autoEvents: device.autoEvents!.map((a) => ({ ...a, interval: '200ms' })),
    };
    mkdirSync(join(dir, 'profiles'));
    writeFileSync(join(dir, 'profiles', PROFILE), profileText);
    mkdirSync(join(dir, 'devices/device-modbus'), { recursive: true });
    writeFileSync(join(dir, 'devices/device-modbus/boiler.devices.yaml'), stringify({ deviceList: [local] }));

    const config = testGatewayConfig(dir, {
      GW_DEVICE_SERVICES: 'modbus',
      GW_APP_SERVICE: 'false',
      GW_PROFILES_DIR: join(dir, 'profiles'),
      GW_DEVICES_DIR: join(dir, 'devices'),
    });
    gateway = await startGateway(config, quietLogger('gateway'));
    await gateway.bus.subscribe(`edgex/events/device/device-modbus/Boiler-Modbus-Profile/${DEVICE}/#`, events.handler);
    boiler = `${gateway.coreCommand.url}/api/v3/device/name/${DEVICE}`;
  });

  afterAll(async () => {
    await gateway?.close();
    await stopProcess(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the Settings autoEvent with its mappings and scale applied', async () => {
    await events.waitFor(1, 10_000);
    const { event } = events.received[0].envelope.payload as { event: Event };
    expect(event).toMatchObject({ deviceName: DEVICE, profileName: 'Boiler-Modbus-Profile', sourceName: 'Settings' });
    // HR[1] = 0 → mappings "0":"Off"; HR[5] = 0 as Int16 × 0.1.
    expect(valuesOf(event)).toEqual({ Mode: 'Off', Setpoint: '0e+00' });
  });

  it('reads the deviceCommands and the scaled input register through core-command', async () => {
    expect(await get('Settings')).toEqual({ Mode: 'Off', Setpoint: '0e+00' });
    // Coils 0 (on) and 8 (off), through mappings "true":"ON","false":"OFF".
    expect(await get('Burner')).toEqual({ BurnerOn: 'ON', PumpOn: 'OFF' });
    // IR[3] = 0xFF9C: rawType Int16 -100, scale 0.1, presented as the Float32 valueType.
    expect(await get('WaterTemperature')).toEqual({ WaterTemperature: '-1e+01' });
  });

  it('reads the hidden `10.10` bit resource from the device service', async () => {
    // Hidden from core-command; HR[10] = 0xF8A4 has bit 10 clear but bit 11 set.
    const res = await call('GET', `${gateway.deviceServices['device-modbus'].url}/api/v3/device/name/${DEVICE}/Fault`);
    expect(res.status).toBe(200);
    expect(valuesOf(res.body.event)).toEqual({ Fault: 'false' });
  });

  it('reads each deviceCommand in one coalesced request', async () => {
    // The autoEvent polls Settings meanwhile: always that same single request, HR 1..5.
    const settingsRead = [1, 3, 1, 5];
    let before = servedRequests(logFile).length;
    await get('Settings');
    const settings = servedRequests(logFile).slice(before);
    expect(settings.length).toBeGreaterThanOrEqual(1);
    for (const request of settings) expect(request).toEqual(settingsRead);

    before = servedRequests(logFile).length;
    await get('Burner');
    const burner = servedRequests(logFile).slice(before).filter((r) => r.join() !== settingsRead.join());
    expect(burner).toEqual([[1, 1, 0, 9]]); // coils 0..8
  });

  it('writes Burner through the mappings, PumpOn falling back to its resourceOperation defaultValue', async () => {
    await put('Burner', { BurnerOn: 'OFF', PumpOn: 'ON' });
    expect(await get('Burner')).toEqual({ BurnerOn: 'OFF', PumpOn: 'ON' });
    await put('Burner', { BurnerOn: 'ON' });
    expect(await get('Burner')).toEqual({ BurnerOn: 'ON', PumpOn: 'OFF' });
  });

  it('writes Settings through the mapping and the reverse scale', async () => {
    await put('Settings', { Mode: 'Eco', Setpoint: '21.5' });
    expect(await get('Settings')).toEqual({ Mode: 'Eco', Setpoint: '2.15e+01' });
    const before = servedRequests(logFile).length;
    const refused = await call('PUT', `${boiler}/Settings`, { Mode: 'Turbo', Setpoint: '22' });
    expect(refused.status).toBe(400);
    // Neither resource is written when one value is not in the mappings.
    expect(servedRequests(logFile).slice(before).filter(([, fc]) => fc === 6 || fc === 16)).toEqual([]);
    expect(await get('Settings')).toEqual({ Mode: 'Eco', Setpoint: '2.15e+01' });
  });
});
