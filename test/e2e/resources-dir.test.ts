/**
 * `npm start` reads the user's files from GW_RESOURCES_DIR (default
 * <GW_DATA_DIR>/resources), seeded from the bundled samples on first start:
 * a walk-through adds device files there, never inside the source tree.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../apps/gateway/src/gateway';
import { loadGatewayConfig } from '../../apps/gateway/src/config';
import { call, RESOURCES, testGatewayEnv } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';

describe('the user’s resources folder (GW_RESOURCES_DIR)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-resources-e2e-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** The gateway as `npm start` runs it: no folder variables, only the data folder. */
  async function deviceNamesAfterStart(): Promise<string[]> {
    const env = testGatewayEnv(dataDir, { GW_DEVICE_SERVICES: 'virtual', GW_APP_SERVICE: 'false' });
    for (const folder of ['GW_PROFILES_DIR', 'GW_DEVICES_DIR', 'GW_PROVISION_WATCHERS_DIR']) delete env[folder];
    const gateway = await startGateway(loadGatewayConfig(env), quietLogger('gateway'));
    try {
      const { body } = await call('GET', `${gateway.metadata.url}/api/v3/device/all?limit=-1`);
      return body.devices.map((d: { name: string }) => d.name);
    } finally {
      await gateway.close();
    }
  }

  it('starts with the bundled sample devices, copied into the data folder', async () => {
    expect(await deviceNamesAfterStart()).toContain('Demo-Sensor-01');
    const seeded = join(dataDir, 'resources/devices/device-virtual/demo-sensors.yaml');
    expect(readFileSync(seeded, 'utf8')).toBe(readFileSync(join(RESOURCES, 'devices/device-virtual/demo-sensors.yaml'), 'utf8'));
  });

  it('loads a device file the user adds there on the next start', async () => {
    const mine = join(dataDir, 'resources/devices/device-virtual');
    mkdirSync(mine, { recursive: true });
    writeFileSync(
      join(mine, 'hall-2.yaml'),
      ['deviceList:', '  - name: Hall-2-Sensor', '    profileName: Demo-Sensor', '    protocols:', '      other:', '        Address: simulated-02', ''].join('\n'),
    );
    expect(await deviceNamesAfterStart()).toEqual(expect.arrayContaining(['Demo-Sensor-01', 'Hall-2-Sensor']));
  });
});
