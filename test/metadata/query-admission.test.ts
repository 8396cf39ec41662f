/**
 * core-metadata's listings take turns like core-data's history queries
 * (GW_METADATA_MAX_CONCURRENT_QUERIES, _QUERY_QUEUE_LIMIT): a console polling
 * `device/all` from many tabs cannot hold the event loop the device services
 * and core-data share in the one-process gateway. A slow listing, for real:
 * metadata on PostgreSQL while the test holds a lock on the devices table (so
 * the test watches PostgreSQL, not /metrics, whose row counts would block too).
 */
import { Client } from 'pg';
import { createMessageBus, ManagedMessageBus, MemoryBroker } from '@gw/messaging';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { TestDatabase, testPostgres, testPostgresUrl } from '../support/database';
import { quietLogger } from '../support/quiet-logger';
import { pollUntil } from '../messaging/helpers';

const pgUrl = testPostgresUrl();
const describeOnPostgres = pgUrl ? describe : describe.skip;

describeOnPostgres('core-metadata lets listings take turns', () => {
  let db: TestDatabase;
  let bus: ManagedMessageBus;
  let metadata: RunningMetadata;
  let locker: Client;

  beforeAll(async () => {
    db = testPostgres(pgUrl!);
    bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await bus.connect();
    metadata = await startMetadata(
      { host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, topicBase: 'edgex', maxConcurrentQueries: 1, queryQueueLimit: 0 },
      { bus, logger: quietLogger('core-metadata') },
    );
    locker = new Client({ connectionString: pgUrl });
    await locker.connect();
  });

  afterAll(async () => {
    await locker?.query('ROLLBACK').catch(() => undefined);
    await locker?.end();
    await metadata?.close();
    await bus?.close();
    await db?.cleanup();
  });

  const get = (path: string) =>
    fetch(`${metadata.url}/api/v3${path}`).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, any> }));
  /** Whether a query of metadata's waits in PostgreSQL for the test's lock. */
  const blockedInDatabase = async () => {
    const { rows } = await locker.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'core-metadata'",
    );
    return rows[0].n === 1;
  };

  it('runs one listing at a time and refuses one more beyond the queue, naming the setting; ping never waits', async () => {
    await locker.query(`BEGIN; LOCK TABLE "${(db.config as { schema: string }).schema}".devices IN ACCESS EXCLUSIVE MODE`);
    const first = get('/device/all?limit=10');
    await pollUntil(blockedInDatabase, 'the device listing to hold the slot, waiting for the lock');

    // GW_METADATA_QUERY_QUEUE_LIMIT 0: nothing may wait.
    const second = await get('/deviceprofile/all');
    expect(second).toMatchObject({ status: 503, body: { message: expect.stringContaining('GW_METADATA_QUERY_QUEUE_LIMIT') } });
    expect((await get('/ping')).status).toBe(200);

    await locker.query('COMMIT');
    expect(await first).toMatchObject({ status: 200, body: { totalCount: 0 } });
    expect(await get('/deviceprofile/all')).toMatchObject({ status: 200, body: { totalCount: 0 } });
  });
});
