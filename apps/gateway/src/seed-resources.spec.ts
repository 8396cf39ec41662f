import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledResourcesDir, seedResources } from './seed-resources';

const silent = { info: jest.fn() } as never;

describe('the user’s resources folder', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'gw-resources-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is seeded on first start with the bundled profiles, devices, watchers, pipelines and units (not the examples)', async () => {
    const target = join(root, 'data', 'resources');
    expect(await seedResources(target, silent)).toBe(true);
    const bundled = bundledResourcesDir();
    for (const file of ['profiles/Demo-Sensor.profile.yaml', 'devices/device-virtual/demo-sensors.yaml', 'app-service/pipelines.yaml', 'uom.yaml']) {
      expect(readFileSync(join(target, file), 'utf8')).toBe(readFileSync(join(bundled, file), 'utf8'));
    }
    expect(existsSync(join(target, 'examples'))).toBe(false);
  });

  it('is never touched again once seeded: the user’s edits and deletions stay', async () => {
    const target = join(root, 'resources');
    await seedResources(target, silent);
    writeFileSync(join(target, 'uom.yaml'), 'Source: mine\n');
    unlinkSync(join(target, 'devices/device-virtual/demo-sensors.yaml'));
    expect(await seedResources(target, silent)).toBe(false);
    expect(readFileSync(join(target, 'uom.yaml'), 'utf8')).toBe('Source: mine\n');
    expect(existsSync(join(target, 'devices/device-virtual/demo-sensors.yaml'))).toBe(false);
  });

  it('keeps what the user put there before the first start and adds the samples beside it (a walk-through’s mkdir first)', async () => {
    const target = join(root, 'resources');
    mkdirSync(join(target, 'devices/device-modbus'), { recursive: true });
    writeFileSync(join(target, 'devices/device-modbus/meter.yaml'), 'deviceList: []\n');
    writeFileSync(join(target, 'uom.yaml'), 'Source: mine\n');
    expect(await seedResources(target, silent)).toBe(true);
    expect(readFileSync(join(target, 'devices/device-modbus/meter.yaml'), 'utf8')).toBe('deviceList: []\n');
    expect(readFileSync(join(target, 'uom.yaml'), 'utf8')).toBe('Source: mine\n');
    // what the gateway needs to boot is there: the pipelines file and the sample devices
    expect(existsSync(join(target, 'app-service/pipelines.yaml'))).toBe(true);
    expect(existsSync(join(target, 'devices/device-virtual/demo-sensors.yaml'))).toBe(true);
  });

  it('completes an interrupted seed at the next start, and fails loudly when it cannot write', async () => {
    const target = join(root, 'resources');
    mkdirSync(join(target, 'profiles'), { recursive: true }); // as a seed killed after its first folder leaves it
    expect(await seedResources(target, silent)).toBe(true);
    expect(existsSync(join(target, 'profiles/Demo-Sensor.profile.yaml'))).toBe(true);
    expect(existsSync(join(target, 'uom.yaml'))).toBe(true);
    writeFileSync(join(root, 'blocker'), '');
    await expect(seedResources(join(root, 'blocker', 'resources'), silent)).rejects.toThrow();
  });
});
