/**
 * core-data stores only what a real device sent: an event is stored when its
 * topic names the same profile, device and source as its payload and
 * core-metadata knows the device, with that profile, under the service the
 * topic names. Over the real brokers (a private Mosquitto, the machine's
 * Redis under a private key prefix) and the in-process bus, with a real
 * core-metadata whose system events reach core-data on the same bus.
 */
import { randomBytes } from 'node:crypto';
import type { Event } from '@gw/contracts';
import { BusConfig, createMessageBus, ManagedMessageBus, MemoryBroker, MessageBus, newEnvelope } from '@gw/messaging';
import { loadCoreDataConfig } from '../../apps/core-data/src/config';
import type { CoreDataOptions } from '../../apps/core-data/src/core-data.app';
import { BrokerProcess, startMosquitto } from '../support/brokers';
import { TestDatabase, testSqlite } from '../support/database';
import { scrape } from '../support/prometheus';
import { deleteRedisKeys } from '../support/redis';
import {
  addEventRequest,
  bootCoreData,
  Booted,
  makeEvent,
  OTHER_PROFILE,
  OTHER_SERVICE,
  pollUntil,
  PROFILE,
  RestClient,
  SERVICE,
  TestMetadata,
} from './support';

jest.setTimeout(60_000);

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NO_REFUSALS = { unknownDevice: 0, wrongProfile: 0, wrongService: 0, topicMismatch: 0, unverified: 0 };

/** The same event under another profile (its readings too), as a device service of that profile would send it. */
function withProfile(event: Event, profileName: string): Event {
  return { ...event, profileName, readings: event.readings.map((r) => ({ ...r, profileName })) };
}

/** core-data's Prometheus metrics as name{labels} → value. */
const metrics = (client: RestClient) => scrape(client.baseUrl);

describe('core-data device check', () => {
  let mosquitto: BrokerProcess;
  const redisPrefix = `gwt-cdc-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    mosquitto = await startMosquitto({ maxQueuedMessages: 0 });
  });

  afterAll(async () => {
    await mosquitto?.dispose();
    await deleteRedisKeys(REDIS_URL, redisPrefix);
  });

  /** One test's world: a topic base and durable name of its own, its buses, core-metadata, core-data. */
  class World {
    readonly runId = randomBytes(4).toString('hex');
    readonly base = `cdcheck-${this.runId}`;
    readonly durableName = `core-data-${this.runId}`;
    readonly db: TestDatabase = testSqlite();
    private readonly memoryBroker = new MemoryBroker();
    private readonly buses: ManagedMessageBus[] = [];
    private readonly closers: Array<() => Promise<void>> = [];
    metadata!: TestMetadata;
    publisher!: MessageBus;
    current?: Booted;

    constructor(readonly busName: string) {}

    config(clientId: string): BusConfig {
      switch (this.busName) {
        case 'memory':
          return { type: 'memory', broker: this.memoryBroker };
        case 'mqtt':
          return { type: 'mqtt', url: mosquitto.url, clientId, reconnectPeriodMs: 200, sessionExpirySec: 300 };
        default:
          return { type: 'redis', url: REDIS_URL, clientId, keyPrefix: redisPrefix };
      }
    }

    async bus(role: string): Promise<ManagedMessageBus> {
      const bus = createMessageBus(this.config(`${role}-${this.runId}-${this.buses.length}`));
      await bus.connect();
      this.buses.push(bus);
      return bus;
    }

    /** core-metadata whose system events reach core-data (on the same broker), unless `deaf`. */
    async start(options: { deaf?: boolean } = {}): Promise<void> {
      const metadataBus = options.deaf ? createMessageBus({ type: 'memory', broker: new MemoryBroker() }) : await this.bus('core-metadata');
      if (options.deaf) await metadataBus.connect();
      this.metadata = await TestMetadata.start(metadataBus, this.base, ['boiler-1', 'boiler-2', 'boiler-3']);
      await this.metadata.addDevices(['other-1'], OTHER_PROFILE, OTHER_SERVICE);
      this.closers.push(async () => {
        await this.metadata.close();
        if (options.deaf) await metadataBus.close();
      });
      this.publisher = await this.bus('device-service');
    }

    async boot(options: Partial<CoreDataOptions> = {}): Promise<Booted> {
      this.current = await bootCoreData(this.db, await this.bus('core-data'), {
        topicBase: this.base,
        durableName: this.durableName,
        metadataUrl: `http://127.0.0.1:${this.metadata.port}`,
        ...options,
      });
      return this.current;
    }

    /** Publishes as a device service does: the EdgeX topic of `service`, the profile, device and source given (default: the event's). */
    publish(event: Event, topic: { service?: string; profile?: string; device?: string; source?: string } = {}): Promise<void> {
      const levels = [topic.service ?? SERVICE, topic.profile ?? event.profileName, topic.device ?? event.deviceName, topic.source ?? event.sourceName];
      return this.publisher.publish(`${this.base}/events/device/${levels.join('/')}`, newEnvelope(addEventRequest(event)));
    }

    async storedIds(): Promise<string[]> {
      const all = await this.current!.client.get('/event/all?limit=-1');
      return all.body.events.map((e: Event) => e.id).sort();
    }

    async close(): Promise<void> {
      await this.current?.coreData.close();
      for (const close of this.closers.reverse()) await close().catch(() => undefined);
      await this.buses[this.buses.length - 1]?.deleteDurable(this.durableName).catch(() => undefined);
      for (const bus of this.buses) await bus.close().catch(() => undefined);
      await this.db.cleanup();
    }
  }

  describe.each(['memory', 'mqtt', 'redis'])('over the %s bus', (busName) => {
    let world: World;

    beforeEach(async () => {
      world = new World(busName);
      await world.start();
    });

    afterEach(() => world.close());

    it('refuses ghost and mismatched events, counting each reason, and stores the good events around them', async () => {
      const { coreData, client, commits } = await world.boot();
      const before = makeEvent({ device: 'boiler-1' });
      const after = makeEvent({ device: 'boiler-2' });
      const boiler = () => makeEvent({ device: 'boiler-1' });
      const strayReading = boiler();
      strayReading.readings[1] = { ...strayReading.readings[1], deviceName: 'boiler-2' };

      await world.publish(before);
      await world.publish(makeEvent({ device: 'Ghost-Device' })); // on its own topic: unknown device
      await world.publish(makeEvent({ device: 'Ghost-Device' }), { device: 'boiler-1' }); // on another device's topic
      await world.publish(withProfile(boiler(), OTHER_PROFILE)); // a profile boiler-1 does not have
      await world.publish(boiler(), { service: OTHER_SERVICE }); // another service's topic
      await world.publish(boiler(), { source: 'OtherSource' }); // topic and payload name other sources
      await world.publish(strayReading); // a reading of another device inside boiler-1's event
      await world.publish(after);
      // One durable subscriber handles messages in order: once `after` is committed, all were handled.
      await commits.waitFor(2);

      expect(await world.storedIds()).toEqual([before.id, after.id].sort());
      expect(await client.count('/event/count/device/name/Ghost-Device')).toBe(0);
      expect(coreData.stats()).toMatchObject({
        received: 8,
        rejected: 6,
        eventsPersisted: 2,
        refused: { unknownDevice: 1, wrongProfile: 1, wrongService: 1, topicMismatch: 3, unverified: 0 },
      });
      const m = await metrics(client);
      expect(m).toMatchObject({
        gw_core_data_events_received_total: 8,
        'gw_core_data_events_rejected_total{reason="unknown_device"}': 1,
        'gw_core_data_events_rejected_total{reason="wrong_profile"}': 1,
        'gw_core_data_events_rejected_total{reason="wrong_service"}': 1,
        'gw_core_data_events_rejected_total{reason="topic_mismatch"}': 3,
        'gw_core_data_events_rejected_total{reason="malformed"}': 0,
        gw_core_data_events_persisted_total: 2,
        // How far behind its devices core-data is: one observation per event committed.
        gw_core_data_persist_lag_seconds_count: 2,
        gw_core_data_known_devices: 4,
        'gw_bus_connected{service="core-data"}': 1,
        'gw_bus_malformed_total{service="core-data"}': 0,
      });
      // core-data's own bus: the eight events were handed over (refused ones too; the last may still be in hand).
      await pollUntil(async () => (await metrics(client))['gw_bus_delivered_total{service="core-data"}'] >= 8, 'eight deliveries counted');
    });

    it('follows core-metadata: a device added is accepted at once, a moved, renamed or deleted one is refused', async () => {
      const { coreData, client, commits } = await world.boot();
      const { metadata } = world;

      // Added and publishing at once: its first event may come before the system event; metadata is asked.
      await metadata.addDevices(['boiler-new']);
      await world.publish(makeEvent({ device: 'boiler-new' }));
      await commits.waitFor(1);

      // Moved to another profile: events under the new profile are stored, under the old one refused.
      await metadata.patchDevice({ name: 'boiler-1', profileName: OTHER_PROFILE });
      await world.publish(withProfile(makeEvent({ device: 'boiler-1' }), OTHER_PROFILE));
      await commits.waitFor(2);
      await world.publish(makeEvent({ device: 'boiler-1' }));

      // Renamed (PATCH by id): the new name is stored, the old one is unknown.
      await metadata.patchDevice({ id: await metadata.deviceId('boiler-2'), name: 'boiler-2b' });
      await world.publish(makeEvent({ device: 'boiler-2b' }));
      await commits.waitFor(3);
      await world.publish(makeEvent({ device: 'boiler-2' }));

      // Deleted: once its system event is in, its events are refused.
      const known = async () => (await metrics(client)).gw_core_data_known_devices;
      const count = await known();
      await metadata.deleteDevice('boiler-new');
      await pollUntil(async () => (await known()) === count - 1, 'the delete system event applied');
      await world.publish(makeEvent({ device: 'boiler-new' }));

      const last = makeEvent({ device: 'boiler-3' });
      await world.publish(last);
      await commits.waitFor(4);
      expect(coreData.stats()).toMatchObject({ eventsPersisted: 4, refused: { ...NO_REFUSALS, unknownDevice: 2, wrongProfile: 1 } });
      expect(await client.count('/event/count/device/name/boiler-new')).toBe(1);
    });

    it('REST ingest: 404 for a device core-metadata does not know, 400 for another profile, service or path', async () => {
      const { coreData, client } = await world.boot();
      const post = (event: Event, path: Partial<Record<'service' | 'profile' | 'device' | 'source', string>> = {}) =>
        client.post(
          `/event/${path.service ?? SERVICE}/${path.profile ?? event.profileName}/${path.device ?? event.deviceName}/${path.source ?? event.sourceName}`,
          addEventRequest(event),
        );

      const good = makeEvent({ device: 'boiler-1' });
      expect((await post(good)).status).toBe(201);

      const ghost = await post(makeEvent({ device: 'Ghost-Device' }));
      expect(ghost.status).toBe(404);
      expect(ghost.body).toMatchObject({ apiVersion: 'v3', statusCode: 404, message: 'event.deviceName: device "Ghost-Device" is not known to core-metadata' });

      const profile = await post(withProfile(makeEvent({ device: 'boiler-1' }), OTHER_PROFILE));
      expect(profile.status).toBe(400);
      expect(profile.body.message).toBe(`event.profileName: "${OTHER_PROFILE}" is not the profile of device "boiler-1" (core-metadata: profile "${PROFILE}")`);

      const service = await post(makeEvent({ device: 'boiler-1' }), { service: OTHER_SERVICE });
      expect(service.status).toBe(400);
      expect(service.body.message).toBe(`serviceName: "${OTHER_SERVICE}" is not the service of device "boiler-1" (core-metadata: "${SERVICE}")`);

      const elsewhere = await post(makeEvent({ device: 'Ghost-Device' }), { device: 'boiler-1' });
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body.message).toBe('event.deviceName: "Ghost-Device" does not match "boiler-1" in the URL path');

      expect(await client.count('/event/count')).toBe(1);
      expect(coreData.stats()).toMatchObject({ rejected: 4, refused: { ...NO_REFUSALS, unknownDevice: 1, wrongProfile: 1, wrongService: 1, topicMismatch: 1 } });
    });

    it('loses no good event when core-metadata is down at start: the broker keeps them until it answers', async () => {
      // A first run creates core-data's durable subscription, as in any installation that ran before.
      const first = await world.boot();
      const earlier = makeEvent({ device: 'boiler-1' });
      await world.publish(earlier);
      await first.commits.waitFor(1);
      await first.coreData.close();

      await world.metadata.stop();
      const { coreData, client, commits } = await world.boot();
      const ready = await client.get('/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.message).toMatch(/core-metadata \(devices not loaded yet; device events wait in the broker\)/);
      // REST cannot be checked either: 503, try again later.
      const rest = await client.post(`/event/${SERVICE}/${PROFILE}/boiler-2/AllValues`, addEventRequest(makeEvent({ device: 'boiler-2' })));
      expect(rest.status).toBe(503);
      expect(rest.body.message).toMatch(/^cannot check device "boiler-2" with core-metadata \(.+\); try again later$/);

      const during = [makeEvent({ device: 'boiler-1' }), makeEvent({ device: 'boiler-2' }), makeEvent({ device: 'boiler-3' })];
      await world.publish(during[0]);
      await world.publish(makeEvent({ device: 'Ghost-Device' }));
      await world.publish(during[1]);
      await world.publish(during[2]);

      await world.metadata.restart();
      await coreData.consuming;
      await commits.waitFor(3);
      expect((await client.get('/ready')).status).toBe(200);
      expect(await world.storedIds()).toEqual([earlier, ...during].map((e) => e.id).sort());
      expect(coreData.stats().refused).toEqual({ ...NO_REFUSALS, unknownDevice: 1, unverified: 1 });
    });
  });

  describe('core-metadata down while core-data runs (MQTT)', () => {
    let world: World;

    beforeEach(async () => {
      world = new World('mqtt');
      // Deaf: its system events do not reach core-data, as when they were lost while the bus was away.
      await world.start({ deaf: true });
    });

    afterEach(() => world.close());

    it('keeps storing known devices; holds events it must ask about until core-metadata answers, then stores or refuses them', async () => {
      const { coreData, client, commits } = await world.boot();
      await world.metadata.addDevices(['late-1']); // core-data does not hear of it
      await world.metadata.stop();

      const known = [makeEvent({ device: 'boiler-1' }), makeEvent({ device: 'boiler-2' })];
      const late = makeEvent({ device: 'late-1' });
      await world.publish(known[0]);
      await world.publish(makeEvent({ device: 'Ghost-Device' }));
      await world.publish(late);
      await world.publish(known[1]);
      await commits.waitFor(2);
      // The known devices do not wait for the two that need core-metadata (many events in hand at once).
      await pollUntil(() => coreData.stats().parkedEvents === 2, 'two events parked');
      expect(coreData.stats()).toMatchObject({ eventsPersisted: 2, parkedEvents: 2, refused: NO_REFUSALS });
      expect((await metrics(client)).gw_core_data_parked_events).toBe(2);

      await world.metadata.restart();
      await commits.waitFor(3);
      expect(await world.storedIds()).toEqual([...known, late].map((e) => e.id).sort());
      expect(coreData.stats()).toMatchObject({ parkedEvents: 0, refused: { ...NO_REFUSALS, unknownDevice: 1 } });
    });

    it('reloads the devices once its bus has reconnected: a change it missed meanwhile is followed', async () => {
      const { coreData, client, commits } = await world.boot();
      const known = async () => (await metrics(client)).gw_core_data_known_devices;
      expect(await known()).toBe(4);
      await world.metadata.deleteDevice('boiler-1'); // core-data does not hear of it, as if it was away
      await mosquitto.stop();
      await mosquitto.start();
      await pollUntil(async () => (await known()) === 3, 'the devices reloaded after the reconnect');
      await world.publish(makeEvent({ device: 'boiler-1' }));
      await world.publish(makeEvent({ device: 'boiler-2' }));
      await commits.waitFor(1);
      // boiler-1's event is refused once core-metadata has answered the ask about it (it may come after boiler-2's commit).
      await pollUntil(() => coreData.stats().refused.unknownDevice === 1, 'boiler-1 refused as unknown');
      expect(coreData.stats()).toMatchObject({ eventsPersisted: 1, refused: { ...NO_REFUSALS, unknownDevice: 1 } });
    });

    it('asks core-metadata about at most GW_CORE_DATA_DEVICE_ASK_RATE names a second: events of more unknown devices are refused at once', async () => {
      expect(loadCoreDataConfig({ GW_CORE_DATA_DEVICE_ASK_RATE: '5' }).deviceAskRate).toBe(5);
      const { coreData, client, commits } = await world.boot({ deviceAskRate: 1 });
      // REST: one of two new names is asked about (404), the other answered 503 at once.
      const post = (device: string) => client.post(`/event/${SERVICE}/${PROFILE}/${device}/AllValues`, addEventRequest(makeEvent({ device })));
      const answers = await Promise.all([post('Rest-Ghost-1'), post('Rest-Ghost-2')]);
      expect(answers.map((a) => a.status).sort()).toEqual([404, 503]);
      expect(answers.find((a) => a.status === 503)?.body.message).toMatch(/at most 1 such lookups a second \(GW_CORE_DATA_DEVICE_ASK_RATE\); try again later$/);
      // A device service inventing names on its own topic...
      for (let i = 0; i < 20; i++) await world.publish(makeEvent({ device: `Ghost-${i}` }));
      // ...holds up a real device's event by one request at most.
      const good = makeEvent({ device: 'boiler-1' });
      await world.publish(good);
      await commits.waitFor(1);
      const refused = () => coreData.stats().refused;
      await pollUntil(() => refused().unknownDevice + refused().unverified === 22, 'the 20 invented names refused');
      expect(refused().unverified).toBeGreaterThanOrEqual(15); // one ask a second, however slow this machine is
      expect(await world.storedIds()).toEqual([good.id]);
    });

    it('leaves what core-metadata never vouched for to the broker when core-data stops: the next start stores it', async () => {
      const { coreData, commits } = await world.boot();
      await world.metadata.addDevices(['late-1']);
      await world.metadata.stop();
      const late = makeEvent({ device: 'late-1' });
      const known = makeEvent({ device: 'boiler-1' });
      await world.publish(late);
      await world.publish(known);
      await commits.waitFor(1);
      await coreData.close();
      expect(coreData.stats()).toMatchObject({ eventsPersisted: 1, parkedEvents: 0, refused: NO_REFUSALS });

      await world.metadata.restart();
      const next = await world.boot();
      await next.commits.waitFor(1);
      expect(await world.storedIds()).toEqual([late.id, known.id].sort());
    });
  });
});
