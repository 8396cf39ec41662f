/**
 * The light entries load configuration and contracts without the runtime: a
 * CLI, a console or a health check can read and validate settings without
 * Nest, TypeORM, the bus clients or any protocol library (run on the built
 * output, in a fresh process, as such a program would).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { requireFreshBuild } from '../support/fresh-build';

const DIST = join(__dirname, '../../dist');
const HEAVY = /node_modules\/(@nestjs|fastify|typeorm|pg|better-sqlite3|mqtt|redis|@redis|pino|modbus-serial|serialport|@serialport)\//;

const ENTRIES = [
  'libs/contracts/src/index.js',
  'libs/service-kit/src/config/index.js',
  'libs/persistence/src/config.js',
  'libs/device-sdk/src/driver/index.js',
  'libs/device-sdk/src/driver-host.js',
  'libs/drivers/registry.js',
  'apps/metadata/src/config.js',
  'apps/core-data/src/config.js',
  'apps/core-command/src/config.js',
  'apps/device-service/src/config.js',
  'apps/app-service/src/config.js',
  // Checks a pipelines file, every sink's settings included, without loading any sink or client.
  'apps/app-service/src/pipeline/pipelines-file.js',
  'apps/gateway/src/config.js',
];

/** The files a fresh Node process has loaded after requiring `entry`. */
function modulesLoadedBy(entry: string): string[] {
  const script = `require(${JSON.stringify(join(DIST, entry))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script]).toString());
}

describe('light entries', () => {
  beforeAll(() => requireFreshBuild('libs', 'apps'));

  it.each(ENTRIES)('%s loads no runtime library and few modules', (entry) => {
    const loaded = modulesLoadedBy(entry);
    expect(loaded.filter((file) => HEAVY.test(file))).toEqual([]);
    expect(loaded.length).toBeLessThan(200);
  });

  it('the runtime entry does load the runtime (the check above can fail)', () => {
    expect(modulesLoadedBy('libs/service-kit/src/index.js').filter((file) => HEAVY.test(file)).length).toBeGreaterThan(0);
  });
});
