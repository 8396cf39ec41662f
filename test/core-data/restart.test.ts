/**
 * The acceptance test of the data path: core-data is stopped while a device
 * service keeps publishing, and started again under the same durable name;
 * every event must be stored exactly once. Over the real brokers: a private
 * Mosquitto (unlimited queue for the offline session, unlike the machine's
 * default of 1,000) and the machine's Redis (private key prefix), and the
 * in-process bus; on SQLite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import type { Event } from '@gw/contracts';
import { BusConfig, createMessageBus, ManagedMessageBus, MemoryBroker } from '@gw/messaging';
import { BrokerProcess, startMosquitto } from '../support/brokers';
import { TestDatabase, testPostgres, testPostgresUrl, testSqlite } from '../support/database';
import { deleteRedisKeys } from '../support/redis';
import { bootCoreData, Booted, makeEvent, pollUntil, publishEvent, TestMetadata } from './support';

jest.setTimeout(60_000);

const ENGINES = testPostgresUrl() ? ['sqlite', 'postgres'] : ['sqlite'];
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const EVENTS = 600;
const STOP_AFTER = 150;
const START_AGAIN_AFTER = 300;

describe('core-data restart while events keep coming', () => {
  let mosquitto: BrokerProcess;
  const memoryBroker = new MemoryBroker();
  const redisPrefix = `gwt-cd-${randomBytes(4).toString('hex')}:`;
  // Knows the devices published for; core-data loads them over REST.
  let metadata: TestMetadata;
  let metadataBus: ManagedMessageBus;

  beforeAll(async () => {
    mosquitto = await startMosquitto({ maxQueuedMessages: 0 });
    metadataBus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await metadataBus.connect();
    metadata = await TestMetadata.start(metadataBus, 'edgex');
  });

  afterAll(async () => {
    await metadata?.close();
    await metadataBus?.close();
    await mosquitto?.dispose();
    await deleteRedisKeys(REDIS_URL, redisPrefix);
  });

  const buses: Record<string, (clientId: string) => BusConfig> = {
    memory: () => ({ type: 'memory', broker: memoryBroker }),
    mqtt: (clientId) => ({ type: 'mqtt', url: mosquitto.url, clientId, reconnectPeriodMs: 200, sessionExpirySec: 300 }),
    redis: (clientId) => ({ type: 'redis', url: REDIS_URL, clientId, keyPrefix: redisPrefix }),
  };

  describe.each(Object.keys(buses))('over the %s bus', (busName) => {
    it.each(ENGINES)('stores every event exactly once across a stop and start (%s)', async (engine) => {
      const runId = randomBytes(4).toString('hex');
      const base = `cdtest-${runId}`;
      const durableName = `core-data-${runId}`;
      const db: TestDatabase = engine === 'sqlite' ? testSqlite() : testPostgres(testPostgresUrl() as string);
      const open: ManagedMessageBus[] = [];
      const newBus = async (role: string) => {
        const bus = createMessageBus(buses[busName](`${role}-${runId}`));
        await bus.connect();
        open.push(bus);
        return bus;
      };
      let current: Booted | undefined;
      const boot = async () => bootCoreData(db, await newBus(`core-data-${open.length}`), { topicBase: base, durableName, metadataUrl: metadata.url });
      try {
        const publisher = await newBus('device-service');
        current = await boot();
        const sent: Event[] = [];
        let restarting: Promise<void> | undefined;
        const first = current;
        for (let i = 0; i < EVENTS; i++) {
          const event = makeEvent({ device: `boiler-${i % 5}`, atMs: Date.now() - 60_000 + i });
          await publishEvent(publisher, base, event);
          sent.push(event);
          if (i === STOP_AFTER) {
            // Stop in the background while publishing goes on, as a device service would.
            const stopping = current;
            restarting = stopping.coreData.close();
          }
          if (i === START_AGAIN_AFTER) {
            await restarting;
            current = await boot();
          }
          if (i % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
        }

        // Nothing announces that a stored count was reached across two instances: poll with a deadline.
        await pollUntil(async () => (await current!.client.count('/event/count')) >= EVENTS, `${EVENTS} stored events`, 30_000);
        const stored = await current.client.get('/event/all?limit=-1');
        const ids = stored.body.events.map((e: Event) => e.id);
        expect(stored.body.totalCount).toBe(EVENTS);
        expect(new Set(ids).size).toBe(EVENTS);
        expect(new Set(ids)).toEqual(new Set(sent.map((e) => e.id)));
        expect(await current.client.count('/reading/count')).toBe(EVENTS * 3);
        // The stop really happened mid-stream: the second instance got the backlog published while none was running.
        const before = first.coreData.stats();
        const after = current.coreData.stats();
        expect(before.eventsPersisted).toBeLessThan(START_AGAIN_AFTER);
        expect(after.received).toBeGreaterThan(EVENTS - START_AGAIN_AFTER);
        expect(before.eventsPersisted + after.eventsPersisted).toBe(EVENTS);
      } finally {
        await current?.coreData.close();
        await open[open.length - 1]?.deleteDurable(durableName).catch(() => undefined);
        for (const bus of open) await bus.close().catch(() => undefined);
        await db.cleanup();
      }
    });
  });
});
