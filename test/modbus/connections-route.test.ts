/**
 * GET /api/v3/modbus/connections, served by device-modbus (the SDK serves the
 * driver's routes, API key included) while the driver talks to a real Modbus
 * peer (pymodbus): each endpoint's state, its units and devices, the last
 * connect failure, and the units backed off after timeouts.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Device } from '@gw/contracts';
import { ModbusDriver } from '@gw/drivers/modbus';
import { DeviceServiceHost, startDeviceServiceHost } from '../support/device-service-host';
import { HR, newDriver, profile, reqs, resource } from './driver-fixtures';
import { freePort, startPymodbus, stopProcess } from './pymodbus';

const API_KEY = 'modbus-route-test-key';

describe('device-modbus connection status route', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let port: number;
  let closedPort: number;
  let driver: ModbusDriver;
  let host: DeviceServiceHost;

  const device = (name: string, unitId: number, at = port): Device =>
    ({
      name,
      adminState: 'UNLOCKED',
      operatingState: 'UP',
      profileName: 'P',
      protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: at, UnitID: unitId, Timeout: '300ms' } },
    }) as unknown as Device;
  const r = [resource('i16', 'Int16', { primaryTable: HR, startingAddress: 8 })];
  const p = profile(r);
  const connections = async () => {
    const res = await host.call('GET', '/modbus/connections');
    expect(res.status).toBe(200);
    return ((await res.json()) as { connections: Array<Record<string, unknown>> }).connections;
  };

  beforeAll(async () => {
    [port, closedPort] = await Promise.all([freePort(), freePort()]);
    dir = mkdtempSync(join(tmpdir(), 'modbus-route-'));
    server = await startPymodbus({ tcpPort: port }, join(dir, 'requests.log'));
    driver = await newDriver({ unitBackoffMs: 60_000, connection: { reconnectMinMs: 60_000, reconnectMaxMs: 60_000 } });
    host = await startDeviceServiceHost({ serviceName: 'device-modbus', driverName: 'modbus', driver, apiKey: API_KEY });
  });

  afterAll(async () => {
    await host?.close();
    await driver?.stop(true);
    await stopProcess(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs the API key, like every route of the service', async () => {
    const { service } = host;
    expect((await fetch(`${service.url}/api/v3/modbus/connections`)).status).toBe(401);
  });

  it('lists each endpoint with its state, units and devices, last error and backed-off units', async () => {
    await driver.addDevice(device('meter-a', 1), p);
    await driver.addDevice(device('meter-b', 2), p);
    await driver.addDevice(device('dead', 9), p);
    await driver.addDevice(device('unplugged', 1, closedPort), p);
    // Before any request: known endpoints, nothing opened.
    expect((await connections()).map((c) => [c.endpoint, c.state])).toEqual([
      [`tcp://127.0.0.1:${closedPort}`, 'not connected'],
      [`tcp://127.0.0.1:${port}`, 'not connected'],
    ].sort((a, b) => a[0].localeCompare(b[0])));

    expect(await driver.read(device('meter-a', 1), p, reqs(r))).toEqual([{ value: -2 }]);
    await driver.read(device('meter-b', 2), p, reqs(r));
    await expect(driver.read(device('dead', 9), p, reqs(r))).rejects.toThrow(/timed out/);
    await expect(driver.read(device('unplugged', 1, closedPort), p, reqs(r))).rejects.toThrow(/cannot connect/);

    const byEndpoint = Object.fromEntries((await connections()).map((c) => [c.endpoint, c]));
    expect(byEndpoint[`tcp://127.0.0.1:${port}`]).toEqual({
      endpoint: `tcp://127.0.0.1:${port}`,
      state: 'connected',
      connects: 1,
      failedConnects: 0,
      queued: 0,
      units: [
        { unitId: 1, devices: ['meter-a'] },
        { unitId: 2, devices: ['meter-b'] },
        { unitId: 9, devices: ['dead'] },
      ],
      backedOffUnits: [{ unitId: 9, timeouts: 1, retryInMs: expect.any(Number) }],
    });
    expect(byEndpoint[`tcp://127.0.0.1:${closedPort}`]).toEqual({
      endpoint: `tcp://127.0.0.1:${closedPort}`,
      state: 'backing off',
      connects: 0,
      failedConnects: 1,
      queued: 0,
      retryInMs: expect.any(Number),
      lastError: { message: expect.stringMatching(/^cannot connect: .*ECONNREFUSED/), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      units: [{ unitId: 1, devices: ['unplugged'] }],
      backedOffUnits: [],
    });
    const [backedOff] = byEndpoint[`tcp://127.0.0.1:${port}`].backedOffUnits as Array<{ retryInMs: number }>;
    expect(backedOff.retryInMs).toBeGreaterThan(0);
  });

  it('says a lost line and drops an endpoint whose last device went away', async () => {
    await stopProcess(server);
    server = undefined;
    await expect(driver.read(device('meter-a', 1), p, reqs(r))).rejects.toThrow();
    const lost = (await connections()).find((c) => c.endpoint === `tcp://127.0.0.1:${port}`)!;
    expect(lost.state).not.toBe('connected');
    expect((lost.lastError as { message: string }).message).toMatch(/connection lost|cannot connect/);

    await driver.removeDevice(device('unplugged', 1, closedPort));
    expect((await connections()).map((c) => c.endpoint)).toEqual([`tcp://127.0.0.1:${port}`]);
  });
});
