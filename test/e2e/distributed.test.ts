/**
 * The services as docker compose runs them: separate Nest applications, each
 * with its own connection to a real broker (Mosquitto, then Redis) and its
 * own PostgreSQL schema, talking to each other only over the bus and REST.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MetadataClient } from '@gw/clients';
import { BusConfig, createMessageBus, ManagedMessageBus } from '@gw/messaging';
import { startCoreCommand } from '../../apps/core-command/src/core-command.app';
import { startCoreData } from '../../apps/core-data/src/core-data.app';
import { startDeviceServiceApp } from '../../apps/device-service/src/device-service.app';
import { startMetadata } from '../../apps/metadata/src/metadata.app';
import { TestDatabase, testPostgres, testPostgresUrl, testSqlite } from '../support/database';
import { call } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { deleteRedisKeys } from '../support/redis';

const RESOURCES = join(__dirname, '../../resources');
const REDIS_URL = 'redis://127.0.0.1:6379';

const BUSES: Record<string, (clientId: string, prefix: string) => BusConfig> = {
  mqtt: (clientId) => ({ type: 'mqtt', url: 'mqtt://127.0.0.1:1883', clientId }),
  redis: (clientId, prefix) => ({ type: 'redis', url: REDIS_URL, clientId, keyPrefix: prefix }),
};

describe.each(Object.keys(BUSES))('services as separate applications over %s', (busName) => {
  const runId = randomBytes(4).toString('hex');
  const topicBase = `gw-e2e-${runId}`;
  const redisPrefix = `gw-e2e-${runId}:`;
  const pgUrl = testPostgresUrl();
  const databases: TestDatabase[] = pgUrl ? [testPostgres(pgUrl), testPostgres(pgUrl)] : [testSqlite(), testSqlite()];
  const buses: ManagedMessageBus[] = [];
  const closers: Array<() => Promise<void>> = [];
  let coreData: string;
  let coreCommand: string;
  let metadata: string;

  const busFor = async (service: string) => {
    const bus = createMessageBus(BUSES[busName](`${service}-${runId}`, redisPrefix));
    await bus.connect();
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    const common = { host: '127.0.0.1', port: 0, topicBase, logLevel: 'silent' as const };
    const md = await startMetadata(
      { ...common, database: databases[0].config, maxResultCount: 1000, folders: { profilesDir: join(RESOURCES, 'profiles'), devicesDir: join(RESOURCES, 'devices') } },
      { bus: await busFor('core-metadata'), logger: quietLogger('core-metadata') },
    );
    closers.push(() => md.close());
    metadata = md.url + '/api/v3';
    const cd = await startCoreData(
      { ...common, database: databases[1].config, maxResultCount: 1000, durableName: `core-data-${runId}`, metadataUrl: md.url },
      { bus: await busFor('core-data'), logger: quietLogger('core-data') },
    );
    closers.push(() => cd.close());
    coreData = cd.url + '/api/v3';
    const client = new MetadataClient({ baseUrl: md.url });
    const cc = await startCoreCommand({ ...common, commandTimeout: 5000 }, { bus: await busFor('core-command'), logger: quietLogger('core-command'), metadata: client });
    closers.push(() => cc.close());
    coreCommand = cc.url + '/api/v3/device/name/Demo-Sensor-01';
    const ds = await startDeviceServiceApp(
      { ...common, serviceName: 'device-virtual', driver: 'virtual', metadataUrl: md.url },
      { bus: await busFor('device-virtual'), logger: quietLogger('device-virtual') },
    );
    closers.push(() => ds.close());
    await ds.ready;
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    // Forget core-data's durable subscription, or the broker would keep queueing for it.
    await buses[1]?.deleteDurable(`core-data-${runId}`).catch(() => undefined);
    for (const bus of buses) await bus.close().catch(() => undefined);
    for (const db of databases) await db.cleanup();
    if (busName === 'redis') await deleteRedisKeys(REDIS_URL, redisPrefix);
  });

  it('stores the virtual devices\' readings in core-data', async () => {
    let total = 0;
    const deadline = Date.now() + 10_000;
    while (total === 0 && Date.now() < deadline) {
      total = (await call('GET', `${coreData}/reading/device/name/Demo-Sensor-01`)).body.totalCount ?? 0;
      if (total === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(total).toBeGreaterThan(0);
  });

  it('writes through core-command and reads the written value back; a locked device answers 423', async () => {
    expect((await call('PUT', `${coreCommand}/Fan`, { Fan: 'true' })).status).toBe(200);
    const get = await call('GET', `${coreCommand}/Fan`);
    expect(get.body.event.readings[0]).toMatchObject({ resourceName: 'Fan', value: 'true' });

    await call('PATCH', `${metadata}/device`, [{ apiVersion: 'v3', device: { name: 'Demo-Sensor-01', adminState: 'LOCKED' } }]);
    expect((await call('GET', `${coreCommand}/Fan`)).status).toBe(423);
  });
});
