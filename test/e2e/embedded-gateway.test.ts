/**
 * The one-process gateway as `npm start` runs it (in-process bus, SQLite in a
 * data folder, the sample devices of ./resources), driven only through the
 * REST APIs a user has.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { call, testGatewayConfig } from '../support/gateway';
import { pollFor } from '../support/poll';
import { quietLogger } from '../support/quiet-logger';

describe('one-process gateway (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-e2e-'));
  let gateway: RunningGateway;
  let command: string;
  let metadata: string;

  beforeAll(async () => {
    const config = testGatewayConfig(dataDir);
    gateway = await startGateway(config, quietLogger('gateway'));
    command = gateway.coreCommand.url + '/api/v3/device/name/Demo-Sensor-01';
    metadata = gateway.metadata.url + '/api/v3';
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // How fast is a benchmark's question (`npm run bench start`), not this test's.
  it('stores live virtual readings in core-data from the start', async () => {
    // Nothing to await here but the REST answer a user would poll for.
    const url = gateway.coreData.url + '/api/v3/reading/device/name/Demo-Sensor-01';
    const readings = await pollFor(async () => {
      const found: Array<{ resourceName: string }> = (await call('GET', url)).body.readings ?? [];
      return found.length > 0 ? found : undefined;
    }, 'the first stored readings of Demo-Sensor-01');
    expect(readings.map((r) => r.resourceName)).toEqual(expect.arrayContaining(['Temperature', 'Humidity']));
  });

  it('writes an actuator through core-command and reads the written value back', async () => {
    for (const value of ['true', 'false']) {
      const put = await call('PUT', `${command}/Fan`, { Fan: value });
      expect(put).toMatchObject({ status: 200, body: { statusCode: 200 } });
      const get = await call('GET', `${command}/Fan`);
      expect(get.status).toBe(200);
      expect(get.body.event.readings).toEqual([expect.objectContaining({ resourceName: 'Fan', valueType: 'Bool', value })]);
    }
  });

  it('reads a device command with every reading of its resources', async () => {
    const get = await call('GET', `${command}/Climate`);
    expect(get.status).toBe(200);
    expect(get.body.event).toMatchObject({ deviceName: 'Demo-Sensor-01', profileName: 'Demo-Sensor', sourceName: 'Climate' });
    expect(get.body.event.readings.map((r: { resourceName: string }) => r.resourceName)).toEqual(['Temperature', 'Humidity']);
    const temperature = Number(get.body.event.readings[0].value);
    expect(temperature).toBeGreaterThanOrEqual(-20);
    expect(temperature).toBeLessThanOrEqual(60);
  });

  it('answers 423 for a locked device and serves it again once unlocked', async () => {
    const lock = await call('PATCH', `${metadata}/device`, [{ apiVersion: 'v3', device: { name: 'Demo-Sensor-01', adminState: 'LOCKED' } }]);
    expect(lock.body[0].statusCode).toBe(200);
    const locked = await call('PUT', `${command}/Fan`, { Fan: 'true' });
    expect(locked.status).toBe(423);
    expect(locked.body.message).toMatch(/Demo-Sensor-01/);

    await call('PATCH', `${metadata}/device`, [{ apiVersion: 'v3', device: { name: 'Demo-Sensor-01', adminState: 'UNLOCKED' } }]);
    expect((await call('GET', `${command}/Fan`)).status).toBe(200);
  });

  it('refuses a write to a read-only resource (405) and a value out of range (400)', async () => {
    expect((await call('PUT', `${command}/Temperature`, { Temperature: '20' })).status).toBe(405);
    const speed = gateway.coreCommand.url + '/api/v3/device/name/Virtual-Integers-01/SpeedSetpoint';
    const tooFast = await call('PUT', speed, { SpeedSetpoint: '3001' });
    expect(tooFast.status).toBe(400);
    expect(tooFast.body.message).toMatch(/SpeedSetpoint/);
    expect((await call('PUT', speed, { SpeedSetpoint: '2500' })).status).toBe(200);
    expect((await call('GET', speed)).body.event.readings[0].value).toBe('2500');
  });

  it('hosts device-modbus too, registered in metadata with no hardware attached', async () => {
    const service = await call('GET', `${metadata}/deviceservice/name/device-modbus`);
    expect(service.status).toBe(200);
    const port = new URL(gateway.deviceServices['device-modbus'].url).port;
    expect(service.body.service.baseAddress).toBe(`http://localhost:${port}`);
    expect((await call('GET', `${gateway.deviceServices['device-modbus'].url}/api/v3/ping`)).status).toBe(200);
  });

  it('runs the app service with the shipped pipelines, exporting what the devices read', async () => {
    const url = `${gateway.appService!.url}/api/v3/exports`;
    const exported = (b: any) => b.pipelines.find((p: { pipeline: string }) => p.pipeline === 'telemetry').exported;
    let body = (await call('GET', url)).body;
    // Nothing to await but the REST answer an operator would poll.
    while (exported(body) === 0) {
      await new Promise((r) => setTimeout(r, 50));
      body = (await call('GET', url)).body;
    }
    expect(body.routes.map((r: { route: string }) => r.route).sort()).toEqual(['state.local-mqtt', 'telemetry.local-mqtt']);
    const metrics = await fetch(`${gateway.appService!.url}/api/v3/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^gw_export_pending_records\{route="telemetry\.local-mqtt",pipeline="telemetry",sink="local-mqtt",sink_type="mqtt"\} \d+$/m);
  });

  it("shows each hosted device service's driver settings on its own /config only", async () => {
    const others = { metadata: gateway.metadata, coreData: gateway.coreData, coreCommand: gateway.coreCommand, appService: gateway.appService! };
    for (const [name, service] of Object.entries(others)) {
      const { config } = (await call('GET', `${service.url}/api/v3/config`)).body;
      expect({ name, keys: Object.keys(config) }).toEqual({ name, keys: expect.not.arrayContaining(['deviceServices', 'driverSettings']) });
    }
    const modbus = (await call('GET', `${gateway.deviceServices['device-modbus'].url}/api/v3/config`)).body.config;
    expect(modbus).toMatchObject({ serviceName: 'device-modbus', driver: 'modbus', driverSettings: { maxRegisterGap: 10 } });
    expect(modbus).not.toHaveProperty('deviceServices');
  });
});
