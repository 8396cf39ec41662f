import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
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
    expect(readdirSync(join(root, 'data'))).toEqual(['resources']); // no staging folder left behind
  });

  it('is never touched again once it exists: the user’s edits and deletions stay', async () => {
    const target = join(root, 'resources');
    await seedResources(target, silent);
    writeFileSync(join(target, 'uom.yaml'), 'Source: mine\n');
    unlinkSync(join(target, 'devices/device-virtual/demo-sensors.yaml'));
    expect(await seedResources(target, silent)).toBe(false);
    expect(readFileSync(join(target, 'uom.yaml'), 'utf8')).toBe('Source: mine\n');
    expect(existsSync(join(target, 'devices/device-virtual/demo-sensors.yaml'))).toBe(false);
  });

  it('leaves no half-seeded folder when the copy fails', async () => {
    writeFileSync(join(root, 'blocker'), '');
    await expect(seedResources(join(root, 'blocker', 'resources'), silent)).rejects.toThrow();
    expect(readdirSync(root).sort()).toEqual(['blocker']);
  });
});
