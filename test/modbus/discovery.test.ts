/**
 * ModbusDriver.discover() against real peers: pymodbus (units 1 and 2 answer,
 * others stay silent) and a modbus-serial server posing as a TCP gateway that
 * identifies some units, refuses FC43 for one and reports others absent.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerTCP } from 'modbus-serial';
import type { Device, DeviceProfile, DeviceResource } from '@gw/contracts';
import type { DriverContext } from '@gw/device-sdk/driver';
import { ModbusDriver, parseScanTargets } from '@gw/drivers/modbus';
import { bootHarness } from '../device-sdk/harness';
import { pollUntil } from '../messaging/helpers';
import { freePort, servedRequests, startPymodbus, stopProcess } from './pymodbus';

let port: number;
let dir: string;
let logFile: string;
let server: ChildProcess | undefined;

type LogLine = { level: string; obj: Record<string, unknown>; msg?: string };

function recordingContext(lines: LogLine[]): DriverContext {
  const log = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  return { serviceName: 'device-modbus', logger, pushValues: () => undefined };
}

async function newDriver(scan: string, lines: LogLine[] = []): Promise<ModbusDriver> {
  const driver = new ModbusDriver({ discovery: { targets: parseScanTargets(scan), probeTimeoutMs: 200 } });
  await driver.initialize(recordingContext(lines));
  return driver;
}

/** What pymodbus served from now on. */
function servedFromNow(): () => number[][] {
  const before = servedRequests(logFile).length;
  return () => servedRequests(logFile).slice(before);
}

const tcp = (unit: number) => ({ 'modbus-tcp': { Address: '127.0.0.1', Port: String(port), UnitID: String(unit) } });

beforeAll(async () => {
  port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'modbus-discovery-'));
  logFile = join(dir, 'requests.log');
  server = await startPymodbus({ tcpPort: port }, logFile);
});

afterAll(async () => {
  await stopProcess(server);
  rmSync(dir, { recursive: true, force: true });
});

describe('ModbusDriver.discover against pymodbus', () => {
  let driver: ModbusDriver | undefined;
  afterEach(async () => {
    await driver?.stop(true);
    driver = undefined;
  });

  it('finds exactly the units that answer, and skips an endpoint nobody listens on', async () => {
    const deadPort = await freePort();
    const lines: LogLine[] = [];
    driver = await newDriver(`tcp://127.0.0.1:${deadPort}?units=1-2 tcp://127.0.0.1:${port}?units=1-4`, lines);
    const served = servedFromNow();

    const found = await driver.discover();

    expect(found).toEqual([1, 2].map((unit) => ({
      name: `modbus-127.0.0.1-${port}-${unit}`,
      description: `Modbus unit ${unit} on tcp://127.0.0.1:${port}`,
      labels: ['modbus'],
      protocols: tcp(unit),
    })));
    expect(served()).toEqual([[1, 43, 0, 0], [2, 43, 0, 0], [3, 43, 0, 0], [4, 43, 0, 0]]);
    const warned = lines.filter((l) => l.level === 'warn');
    expect(warned).toEqual([expect.objectContaining({ obj: expect.objectContaining({ endpoint: `tcp://127.0.0.1:${deadPort}` }) })]);
    expect(lines).toContainEqual({ level: 'info', obj: { targets: 2, probed: 4, found: 2 }, msg: 'modbus discovery scan finished' });
    // No device uses the scanned endpoints: the scan leaves no connection open.
    expect(driver.connections.size).toBe(0);
  });

  it('leaves units that have a device alone and lets their polling in between probes', async () => {
    driver = await newDriver(`tcp://127.0.0.1:${port}?units=1-5`);
    const device = { name: 'Meter', adminState: 'UNLOCKED', operatingState: 'UP', profileName: 'P', protocols: tcp(1) } as unknown as Device;
    const attributes = { primaryTable: 'HOLDING_REGISTERS', startingAddress: 9 };
    const resource = { name: 'hr9', properties: { valueType: 'Uint16', readWrite: 'R' }, attributes };
    await driver.addDevice(device);
    const served = servedFromNow();

    const scan = driver.discover();
    const [read] = await driver.read(device, {} as DeviceProfile, [
      { resource: resource as unknown as DeviceResource, attributes, valueType: 'Uint16' },
    ]);
    const found = await scan;

    expect(read.value).toBe(0x1234);
    expect(found.map((d) => d.name)).toEqual([`modbus-127.0.0.1-${port}-2`]);
    // The read waits for the probe on the line, not for the whole scan.
    expect(served()).toEqual([[2, 43, 0, 0], [1, 3, 9, 1], [3, 43, 0, 0], [4, 43, 0, 0], [5, 43, 0, 0]]);
  });

  it('returns nothing and says so when no target is configured', async () => {
    const lines: LogLine[] = [];
    driver = await newDriver('', lines);
    expect(await driver.discover()).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', msg: 'modbus discovery: no scan targets configured' }));
  });
});

describe('ModbusDriver.discover behind a gateway', () => {
  const LONG = 'x'.repeat(240);
  let gateway: ServerTCP;
  let gatewayPort: number;

  beforeAll(async () => {
    gatewayPort = await freePort();
    const absent = () => Object.assign(new Error('no such unit'), { modbusErrorCode: 11 });
    let unit7Asked = 0;
    const vector = {
      readDeviceIdentification: async (unit: number) => {
        if (unit === 5) return { 0: 'Acme', 1: 'PM-1', 2: '1.2' };
        if (unit === 6) throw Object.assign(new Error('FC43 not supported'), { modbusErrorCode: 1 });
        // Too long for one response: the answer says more follows, and a follow-up fails.
        if (unit === 7 && unit7Asked++ === 0) return { 0: 'Acme', 1: LONG };
        if (unit === 7) throw Object.assign(new Error('slave device failure'), { modbusErrorCode: 4 });
        throw absent();
      },
    };
    gateway = new ServerTCP(vector as never, { host: '127.0.0.1', port: gatewayPort, unitID: 255 });
    await once(gateway, 'initialized');
  });

  afterAll(async () => {
    await new Promise((resolve) => gateway.close(resolve));
  });

  it('reports identified units, units refusing FC43, not those the gateway reports absent, and survives a multi-part identification', async () => {
    const driver = await newDriver(`tcp://127.0.0.1:${gatewayPort}?units=4-8`);
    try {
      const found = await driver.discover();
      expect(found.map((d) => [d.name, d.properties])).toEqual([
        [`modbus-127.0.0.1-${gatewayPort}-5`, { VendorName: 'Acme', ProductCode: 'PM-1', MajorMinorRevision: '1.2' }],
        [`modbus-127.0.0.1-${gatewayPort}-6`, undefined],
        [`modbus-127.0.0.1-${gatewayPort}-7`, { VendorName: 'Acme' }],
      ]);
      expect(found[0].description).toBe(`Modbus unit 5 on tcp://127.0.0.1:${gatewayPort} (Acme PM-1 1.2)`);
    } finally {
      await driver.stop(true);
    }
  });
});

describe('ModbusDriver.discover through the device SDK', () => {
  it('lets a provision watcher matching Address and UnitID turn a found unit into a device', async () => {
    const driver = await newDriver(`tcp://127.0.0.1:${port}?units=1-2`);
    const h = await bootHarness();
    try {
      h.driver.discover = () => driver.discover();
      const watcher = {
        name: `${h.serviceName}-modbus`,
        serviceName: h.serviceName,
        identifiers: { Address: '127\\.0\\.0\\.1', UnitID: '1' },
        adminState: 'UNLOCKED',
        discoveredDevice: { profileName: 'Test-Sensor', adminState: 'UNLOCKED' },
      };
      expect((await h.rest.batch('POST', '/provisionwatcher', 'provisionwatcher', [watcher])).body[0].statusCode).toBe(201);
      // The watcher reaches the service as a system event; a run before it matches nothing.
      await pollUntil(async () => (await h.service.discover()).added.length > 0, 'discovery with the watcher');

      const name = `modbus-127.0.0.1-${port}-1`;
      const stored = await h.rest.get(`/device/name/${name}`);
      expect(stored.body.device).toMatchObject({ name, serviceName: h.serviceName, profileName: 'Test-Sensor', labels: ['modbus'], protocols: tcp(1) });
      expect((await h.rest.get(`/device/name/modbus-127.0.0.1-${port}-2`)).status).toBe(404);
    } finally {
      await h.close();
      await driver.stop(true);
    }
  });
});
