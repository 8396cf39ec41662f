/**
 * History queries take turns (GW_CORE_DATA_MAX_CONCURRENT_QUERIES): while one
 * holds the only slot, the next waits and then answers; beyond
 * GW_CORE_DATA_QUERY_QUEUE_LIMIT waiting ones the answer is 503 with
 * Retry-After; ping, metrics and small lookups never wait; a client that
 * leaves, waiting or running, gives its place back.
 *
 * A slow query, for real: core-data on PostgreSQL, and the test holds an
 * ACCESS EXCLUSIVE lock on the readings table, so a reading listing blocks
 * inside the database (holding the slot) until the test commits. Event counts
 * read only the events table: they would answer at once but for the gate.
 */
import { Client } from 'pg';
import { createMessageBus, ManagedMessageBus, MemoryBroker } from '@gw/messaging';
import { TestDatabase, testPostgres, testPostgresUrl } from '../support/database';
import { scrape } from '../support/prometheus';
import { addEventRequest, bootCoreData, Booted, makeEvent, pollUntil, PROFILE, SERVICE } from './support';

jest.setTimeout(30_000);

const pgUrl = testPostgresUrl();
const describeOnPostgres = pgUrl ? describe : describe.skip;

describeOnPostgres('core-data lets history queries take turns', () => {
  let db: TestDatabase;
  let bus: ManagedMessageBus;
  let h: Booted;
  let locker: Client;
  const pending: Array<Promise<unknown>> = [];

  beforeAll(async () => {
    db = testPostgres(pgUrl!);
    bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await bus.connect();
    h = await bootCoreData(db, bus, { deviceCheck: false, retentionMaxAge: 0, maxConcurrentQueries: 1, queryQueueLimit: 1 });
    for (const device of ['boiler-1', 'boiler-2']) {
      const event = makeEvent({ device });
      const added = await h.client.post(`/event/${SERVICE}/${PROFILE}/${device}/AllValues`, addEventRequest(event));
      expect(added.status).toBe(201);
    }
    locker = new Client({ connectionString: pgUrl });
    await locker.connect();
  });

  afterEach(async () => {
    await locker.query('ROLLBACK'); // a failed test must not leave the table locked
    await Promise.allSettled(pending.splice(0));
  });

  afterAll(async () => {
    await locker?.end();
    await h?.coreData.close();
    await bus?.close();
    await db?.cleanup();
  });

  const lockReadings = () => locker.query(`BEGIN; LOCK TABLE "${(db.config as { schema: string }).schema}".readings IN ACCESS EXCLUSIVE MODE`);
  const unlockReadings = () => locker.query('COMMIT');
  const gate = async () => {
    const m = await scrape(h.coreData.url);
    return { running: m.gw_http_queries_running, waiting: m.gw_http_queries_waiting, rejected: m.gw_http_queries_rejected_total };
  };
  const gateIs = (want: Partial<Awaited<ReturnType<typeof gate>>>, what: string) =>
    pollUntil(async () => {
      const now = await gate();
      return Object.entries(want).every(([key, value]) => now[key as keyof typeof now] === value);
    }, what);
  /** A GET as a client sends it, answered in full; `signal` hangs up. */
  const get = (path: string, signal?: AbortSignal) => {
    const answer = fetch(`${h.coreData.url}/api/v3${path}`, { signal }).then(async (res) => ({
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as Record<string, any>,
    }));
    pending.push(answer.catch(() => undefined));
    return answer;
  };
  /** A reading listing that blocks in the database (holding the slot) until unlockReadings; its answer to come. */
  const holdSlot = async (signal?: AbortSignal) => {
    await lockReadings();
    const answer = get('/reading/all?limit=10', signal);
    await gateIs({ running: 1 }, 'the reading listing to hold the slot');
    return { answer };
  };

  it('a second query waits for the slot, then answers; ping, metrics and small lookups do not wait', async () => {
    const { answer: first } = await holdSlot();
    const second = get('/event/count');
    await gateIs({ running: 1, waiting: 1 }, 'the event count to wait');

    expect((await get('/ping')).status).toBe(200);
    expect((await get('/version')).status).toBe(200);
    expect((await gate()).waiting).toBe(1);

    await unlockReadings();
    const [a, b] = await Promise.all([first, second]);
    expect(a).toMatchObject({ status: 200, body: { totalCount: 6 } });
    expect(a.body.readings).toHaveLength(6);
    expect(b).toMatchObject({ status: 200, body: { count: 2 } });
    await gateIs({ running: 0, waiting: 0 }, 'the slot to be free');
  });

  it('answers 503 with Retry-After beyond the queue’s bound, and counts it', async () => {
    const { rejected } = await gate();
    const { answer: first } = await holdSlot();
    const second = get('/event/count');
    await gateIs({ waiting: 1 }, 'the event count to wait');

    const third = await get('/reading/count');
    expect(third).toEqual({
      status: 503,
      retryAfter: '1',
      body: {
        apiVersion: 'v3',
        statusCode: 503,
        message: 'too many queries wait for their turn (1, GW_CORE_DATA_QUERY_QUEUE_LIMIT): retry after 1 s',
      },
    });
    expect((await gate()).rejected).toBe(rejected + 1);

    await unlockReadings();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
  });

  it('a client that hangs up while waiting leaves the queue; the next query still gets through', async () => {
    const { answer: first } = await holdSlot();
    const hangUp = new AbortController();
    const leaving = get('/event/count', hangUp.signal);
    await gateIs({ waiting: 1 }, 'the event count to wait');
    hangUp.abort();
    await expect(leaving).rejects.toThrow();
    await gateIs({ running: 1, waiting: 0 }, 'the client that hung up to leave the queue');

    await unlockReadings();
    expect((await first).status).toBe(200);
    expect(await get('/event/count')).toMatchObject({ status: 200, body: { count: 2 } });
    await gateIs({ running: 0, waiting: 0 }, 'the slot to be free');
  });

  it('a client that hangs up while its query runs gives the slot back at once', async () => {
    const hangUp = new AbortController();
    const { answer: leaving } = await holdSlot(hangUp.signal);
    hangUp.abort();
    await expect(leaving).rejects.toThrow();
    await gateIs({ running: 0 }, 'the slot of the client that hung up to be free');

    // Its query still blocks in the database, yet the next one runs.
    expect(await get('/event/count')).toMatchObject({ status: 200, body: { count: 2 } });

    await unlockReadings();
    expect(await get('/reading/all?limit=10')).toMatchObject({ status: 200, body: { totalCount: 6 } });
    // The abandoned query's late answer gives back nothing twice.
    await gateIs({ running: 0, waiting: 0 }, 'the slot to be free');
    expect(await get('/reading/count')).toMatchObject({ status: 200, body: { count: 6 } });
  });
});
