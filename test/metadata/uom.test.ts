/**
 * Units of measure (EdgeX v3 GET /api/v3/uom): the file core-metadata serves
 * and, with GW_METADATA_UNITS_VALIDATION, the units a profile may name.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorKind } from '@gw/contracts';
import { createMessageBus, MemoryBroker } from '@gw/messaging';
import { startMetadata } from '../../apps/metadata/src/metadata.app';
import type { MetadataConfig } from '../../apps/metadata/src/config';
import { testSqlite } from '../support/database';
import { quietLogger } from '../support/quiet-logger';
import { MetadataClient } from './metadata-client';

const ROOT = join(__dirname, '../..');

describe('units of measure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-uom-'));
  const running: Array<{ cleanup: () => Promise<void> }> = [];

  async function start(options: Partial<MetadataConfig> & { folders?: { profilesDir?: string } }) {
    const db = testSqlite();
    const bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await bus.connect();
    // Cleaned up whether or not metadata starts (some cases expect it to refuse).
    const cleanups: Array<() => Promise<unknown>> = [() => db.cleanup(), () => bus.close()];
    running.push({ cleanup: async () => { for (const step of cleanups.reverse()) await step(); } });
    const metadata = await startMetadata(
      { host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 100, topicBase: 'edgex', ...options },
      { bus, logger: quietLogger('core-metadata') },
    );
    cleanups.push(() => metadata.close());
    return { metadata, api: new MetadataClient(metadata.url) };
  }

  afterAll(async () => {
    for (const { cleanup } of running) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const profile = (units: string) => ({
    name: `Gauge-${units.replace(/\W/g, '')}`,
    deviceResources: [{ name: 'level', properties: { valueType: 'Float32', readWrite: 'R', units } }],
  });

  it('serves the file and, with validation on, refuses a profile naming units it does not list', async () => {
    const file = join(dir, 'uom.yaml');
    writeFileSync(file, 'source: plant handbook\nunits:\n  length:\n    source: SI\n    values: [mm, m]\n');
    const { api } = await start({ unitsFile: file, unitsValidation: true });

    const uom = await api.get('/uom');
    expect(uom.body).toEqual({ apiVersion: 'v3', statusCode: 200, uom: { source: 'plant handbook', units: { length: { source: 'SI', values: ['mm', 'm'] } } } });

    const added = await api.batch('POST', '/deviceprofile', 'profile', [profile('mm'), profile('furlong')]);
    expect(added.body.map((r: { statusCode: number }) => r.statusCode)).toEqual([201, 400]);
    expect(added.body[1].message).toMatch(/profile\.deviceResources\[0\]\.properties\.units: "furlong" is not a unit of measure known to core-metadata/);
  });

  it('only serves the list when validation is off (EdgeX’s default)', async () => {
    const file = join(dir, 'uom-off.yaml');
    writeFileSync(file, 'units:\n  length:\n    values: [m]\n');
    const { api } = await start({ unitsFile: file });
    const added = await api.batch('POST', '/deviceprofile', 'profile', [profile('furlong')]);
    expect(added.body.map((r: { statusCode: number }) => r.statusCode)).toEqual([201]);
  });

  it('refuses to start on a file it cannot read or understand, naming the setting', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'units:\n  length:\n    values: metres\n');
    await expect(start({ unitsFile: bad })).rejects.toMatchObject({ kind: ErrorKind.Config, message: expect.stringMatching(/^GW_METADATA_UNITS_FILE: .*bad\.yaml: units\.length\.values: /) });
    await expect(start({ unitsFile: join(dir, 'missing.yaml') })).rejects.toMatchObject({ kind: ErrorKind.Config, message: expect.stringMatching(/^GW_METADATA_UNITS_FILE: cannot read/) });
  });

  it('ships a list that covers every sample profile: they all load with validation on', async () => {
    const { metadata, api } = await start({
      unitsFile: join(ROOT, 'resources/uom.yaml'),
      unitsValidation: true,
      folders: { profilesDir: join(ROOT, 'resources/profiles') },
    });
    expect(metadata.loader.report).toMatchObject({ rejected: 0 });
    expect((await api.get('/deviceprofile/all?limit=-1')).body.totalCount).toBeGreaterThan(3);
  });
});
