import { randomUUID } from 'node:crypto';
import type { Event } from '@gw/contracts';
import { createMessageBus, ManagedMessageBus, MemoryBroker, newEnvelope } from '@gw/messaging';
import type { CoreDataOptions } from '../../apps/core-data/src/core-data.app';
import { TestDatabase, testPostgres, testPostgresUrl, testSqlite } from '../support/database';
import { addEventRequest, bootCoreData, Booted, eventTopic, makeEvent, MS, pollUntil, PROFILE, publishEvent, SERVICE, TestMetadata } from './support';

const ENGINES = testPostgresUrl() ? ['sqlite', 'postgres'] : ['sqlite'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(ENGINES)('core-data on %s', (engine) => {
  let db: TestDatabase;
  let broker: MemoryBroker;
  let bus: ManagedMessageBus;
  const running: Booted[] = [];
  // Knows every device these tests publish for; core-data loads them over REST (its system events go nowhere).
  let metadata: TestMetadata;
  let metadataBus: ManagedMessageBus;

  beforeAll(async () => {
    metadataBus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await metadataBus.connect();
    metadata = await TestMetadata.start(metadataBus, 'edgex');
  });

  afterAll(async () => {
    await metadata?.close();
    await metadataBus?.close();
  });

  beforeEach(async () => {
    db = engine === 'sqlite' ? testSqlite() : testPostgres(testPostgresUrl() as string);
    broker = new MemoryBroker();
    bus = createMessageBus({ type: 'memory', broker });
    await bus.connect();
  });

  afterEach(async () => {
    for (const booted of running.splice(0)) await booted.coreData.close();
    await bus.close();
    await db.cleanup();
  });

  const start = async (options: Partial<CoreDataOptions> = {}): Promise<Booted> => {
    const booted = await bootCoreData(db, bus, { durableName: `cd-${randomUUID().slice(0, 8)}`, metadataUrl: metadata.url, ...options });
    running.push(booted);
    return booted;
  };

  /** Publishes on the bus and waits until core-data has committed them all. */
  const ingest = async (h: Booted, events: Event[]): Promise<void> => {
    const before = h.commits.committed;
    for (const event of events) await publishEvent(bus, 'edgex', event);
    await h.commits.waitFor(before + events.length);
  };

  describe('events from the bus, queried over REST', () => {
    const t0 = Date.UTC(2024, 0, 1);
    // boiler-1 at t0, t0+2, t0+4 s; boiler-2 at t0+1, t0+3 s: newest first interleaves them.
    const dataset = () => [
      makeEvent({ device: 'boiler-1', atMs: t0 }),
      makeEvent({ device: 'boiler-2', atMs: t0 + 1000 }),
      makeEvent({ device: 'boiler-1', atMs: t0 + 2000 }),
      makeEvent({ device: 'boiler-2', atMs: t0 + 3000 }),
      makeEvent({ device: 'boiler-1', atMs: t0 + 4000 }),
    ];
    const ns = (offsetMs: number) => (t0 + offsetMs) * MS;

    it('answers every event endpoint: all, by device, by time, by id, counts, paging', async () => {
      const h = await start();
      const events = dataset();
      await ingest(h, events);
      const newestFirst = [...events].reverse();
      const api = h.client;

      expect(await api.count('/event/count')).toBe(5);
      expect(await api.count('/event/count/device/name/boiler-1')).toBe(3);
      expect(await api.count('/event/count/device/name/nobody')).toBe(0);

      const all = await api.get('/event/all');
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ apiVersion: 'v3', statusCode: 200, totalCount: 5 });
      expect(all.body.events).toEqual(newestFirst);

      const page = await api.get('/event/all?offset=1&limit=2');
      expect(page.body.totalCount).toBe(5);
      expect(page.body.events.map((e: Event) => e.id)).toEqual(newestFirst.slice(1, 3).map((e) => e.id));
      expect((await api.get('/event/all?offset=4&limit=2')).body.events).toHaveLength(1);
      const past = await api.get('/event/all?offset=5');
      expect(past.status).toBe(416);
      expect(past.body).toMatchObject({ apiVersion: 'v3', statusCode: 416 });
      const uncounted = await api.get('/event/all?offset=-1&limit=2');
      expect(uncounted.body.totalCount).toBe(0);
      expect(uncounted.body.events).toHaveLength(2);
      expect((await api.get('/event/all?limit=-1')).body.events).toHaveLength(5);
      expect((await api.get('/event/all?limit=0')).body).toMatchObject({ totalCount: 5, events: [] });

      const byDevice = await api.get('/event/device/name/boiler-2');
      expect(byDevice.body.totalCount).toBe(2);
      expect(byDevice.body.events.map((e: Event) => e.origin)).toEqual([ns(3000), ns(1000)]);
      expect((await api.get('/event/device/name/boiler-2?offset=2')).status).toBe(416);
      expect((await api.get('/event/device/name/nobody')).body).toMatchObject({ totalCount: 0, events: [] });

      const range = await api.get(`/event/start/${ns(1000)}/end/${ns(3000)}`);
      expect(range.body.totalCount).toBe(3);
      expect(range.body.events.map((e: Event) => e.origin)).toEqual([ns(3000), ns(2000), ns(1000)]);

      const one = await api.get(`/event/id/${events[2].id}`);
      expect(one.body).toMatchObject({ apiVersion: 'v3', statusCode: 200 });
      expect(one.body.event).toEqual(events[2]);
      const missing = await api.get(`/event/id/${randomUUID()}`);
      expect(missing.status).toBe(404);
      expect(missing.body.message).toMatch(/does not exist/);
    });

    it('answers every reading endpoint: all, by device, resource, both, time ranges, counts, numeric', async () => {
      const h = await start();
      const events = dataset();
      await ingest(h, events);
      const api = h.client;
      const readingsOf = (list: Event[]) => list.flatMap((e) => e.readings);
      const newest = [...events].reverse();

      expect(await api.count('/reading/count')).toBe(15);
      expect(await api.count('/reading/count/device/name/boiler-1')).toBe(9);

      const all = await api.get('/reading/all?limit=-1');
      expect(all.body).toMatchObject({ apiVersion: 'v3', statusCode: 200, totalCount: 15 });
      // Newest first; readings of one event (same origin) newest-stored first.
      expect(all.body.readings).toEqual(newest.flatMap((e) => [...e.readings].reverse()));
      expect((await api.get('/reading/all?offset=15')).status).toBe(416);
      expect((await api.get('/reading/all?offset=14')).body.readings).toHaveLength(1);

      const byDevice = await api.get('/reading/device/name/boiler-2?limit=-1');
      expect(byDevice.body.totalCount).toBe(6);
      expect(new Set(byDevice.body.readings.map((r: { deviceName: string }) => r.deviceName))).toEqual(new Set(['boiler-2']));

      const byResource = await api.get('/reading/resourceName/pressure');
      expect(byResource.body.totalCount).toBe(5);
      expect(byResource.body.readings.map((r: { origin: number }) => r.origin)).toEqual(newest.map((e) => e.origin));

      const both = await api.get('/reading/device/name/boiler-1/resourceName/flow');
      expect(both.body.totalCount).toBe(3);
      expect(both.body.readings).toEqual(readingsOf(newest.filter((e) => e.deviceName === 'boiler-1')).filter((r) => r.resourceName === 'flow'));

      const range = `start/${ns(1000)}/end/${ns(3000)}`;
      expect((await api.get(`/reading/${range}`)).body.totalCount).toBe(9);
      expect((await api.get(`/reading/resourceName/temperature/${range}`)).body.totalCount).toBe(3);
      expect((await api.get(`/reading/device/name/boiler-2/${range}`)).body.totalCount).toBe(6);
      const narrow = await api.get(`/reading/device/name/boiler-2/resourceName/temperature/${range}`);
      expect(narrow.body.totalCount).toBe(2);
      expect(narrow.body.readings.map((r: { origin: number }) => r.origin)).toEqual([ns(3000), ns(1000)]);

      const numeric = await api.get('/reading/resourceName/temperature?limit=1&numeric=true');
      expect(numeric.body.readings[0].value).toBe(20.5);
      const numericEvent = await api.get(`/event/id/${events[0].id}?numeric=true`);
      expect(numericEvent.body.event.readings.map((r: { value: unknown }) => r.value)).toEqual([20.5, 21.5, 22.5]);
      // As EdgeX's Go services read the flag (cast.ToBool): 1, t, T, TRUE...
      for (const flag of ['1', 't', 'TRUE']) {
        expect((await api.get(`/reading/resourceName/temperature?limit=1&numeric=${flag}`)).body.readings[0].value).toBe(20.5);
      }
      expect((await api.get('/reading/resourceName/temperature?limit=1&numeric=0')).body.readings[0].value).toBe('20.5');
    });

    it('aggregates readings per device, resource and profile with aggregateFunc (EdgeX 4): numeric ones only', async () => {
      const h = await start();
      const events = dataset();
      const text = makeEvent({ device: 'boiler-1', atMs: t0 + 5000, resources: ['status'] });
      (text.readings[0] as { valueType: string; value: string }).valueType = 'String';
      (text.readings[0] as { value: string }).value = 'running';
      const ints = makeEvent({ device: 'boiler-2', atMs: t0 + 6000, resources: ['count'] });
      (ints.readings[0] as { valueType: string; value: string }).valueType = 'Int64';
      (ints.readings[0] as { value: string }).value = '9007199254740993';
      await ingest(h, [...events, text, ints]);
      const api = h.client;

      // boiler-1 has three events (temperature 20.5 each), boiler-2 two; aggregateFunc in any case.
      const sum = await api.get('/reading/resourceName/temperature?aggregateFunc=sum');
      expect(sum.body).toEqual({
        apiVersion: 'v3',
        statusCode: 200,
        aggregateFunc: 'SUM',
        readings: [
          { deviceName: 'boiler-1', resourceName: 'temperature', profileName: PROFILE, valueType: 'Float64', value: 61.5 },
          { deviceName: 'boiler-2', resourceName: 'temperature', profileName: PROFILE, valueType: 'Float64', value: 41 },
        ],
      });
      const count = await api.get('/reading/device/name/boiler-1?aggregateFunc=COUNT');
      expect(count.body.readings).toEqual([
        { deviceName: 'boiler-1', resourceName: 'flow', profileName: PROFILE, valueType: 'Int64', value: 3 },
        { deviceName: 'boiler-1', resourceName: 'pressure', profileName: PROFILE, valueType: 'Int64', value: 3 },
        // Not numeric: an empty value, as EdgeX answers.
        { deviceName: 'boiler-1', resourceName: 'status', profileName: PROFILE, valueType: 'String', value: '' },
        { deviceName: 'boiler-1', resourceName: 'temperature', profileName: PROFILE, valueType: 'Int64', value: 3 },
      ]);
      const avg = await api.get(`/reading/device/name/boiler-2/resourceName/pressure/start/${ns(0)}/end/${ns(1000)}?aggregateFunc=AVG`);
      expect(avg.body.readings).toEqual([{ deviceName: 'boiler-2', resourceName: 'pressure', profileName: PROFILE, valueType: 'Float64', value: 21.5 }]);
      const max = await api.get('/reading/resourceName/count?aggregateFunc=MAX');
      expect(max.body.readings).toEqual([{ deviceName: 'boiler-2', resourceName: 'count', profileName: PROFILE, valueType: 'Int64', value: 9007199254740992 }]);
    });

    it('sums beyond int64 and float64 without a server error (found by the OpenAPI contract test)', async () => {
      const h = await start();
      const reading = (device: string, atMs: number, resource: string, valueType: string, value: string) => {
        const event = makeEvent({ device, atMs, resources: [resource] });
        Object.assign(event.readings[0], { valueType, value });
        return event;
      };
      await ingest(h, [
        reading('boiler-1', t0, 'big', 'Int64', '9223372036854775807'),
        reading('boiler-1', t0 + 1, 'big', 'Int64', '9223372036854775807'),
        reading('boiler-2', t0, 'huge', 'Float64', '1.7e308'),
        reading('boiler-2', t0 + 1, 'huge', 'Float64', '1.7e308'),
      ]);
      const big = await h.client.get('/reading/resourceName/big?aggregateFunc=SUM');
      expect(big.status).toBe(200);
      expect(big.body.readings).toEqual([{ deviceName: 'boiler-1', resourceName: 'big', profileName: PROFILE, valueType: 'Int64', value: 18446744073709552000 }]);
      // Beyond float64: no JSON number to answer, an empty value (not null).
      const huge = await h.client.get('/reading/resourceName/huge?aggregateFunc=SUM');
      expect(huge.status).toBe(200);
      expect(huge.body.readings).toEqual([{ deviceName: 'boiler-2', resourceName: 'huge', profileName: PROFILE, valueType: 'Float64', value: '' }]);
    });

    it('refuses bad query and path parameters with 400 naming them', async () => {
      const { client: api } = await start();
      const cases: Array<[string, RegExp]> = [
        ['/event/all?limit=abc', /limit/],
        ['/event/all?offset=-2', /offset/],
        ['/reading/all?numeric=maybe', /numeric/],
        ['/reading/all?aggregateFunc=MEDIAN', /aggregateFunc: expected one of MIN, MAX, COUNT, SUM, AVG/],
        ['/event/start/20/end/10', /end .* before start/],
        ['/reading/start/x/end/10', /start/],
      ];
      for (const [path, message] of cases) {
        const reply = await api.get(path);
        expect({ path, status: reply.status }).toEqual({ path, status: 400 });
        expect(reply.body.message).toMatch(message);
      }
      expect((await api.delete('/event/age/soon')).status).toBe(400);
    });
  });

  describe('deletes', () => {
    it('deletes one event, a device\'s events and events older than an age, with their readings', async () => {
      const h = await start({ retentionBatch: 2 });
      const now = Date.now();
      const old = [makeEvent({ device: 'boiler-1', atMs: now - 3 * DAY }), makeEvent({ device: 'boiler-2', atMs: now - 2 * DAY })];
      const recent = [
        makeEvent({ device: 'boiler-1', atMs: now - 2000 }),
        makeEvent({ device: 'boiler-2', atMs: now - 1000 }),
        ...Array.from({ length: 5 }, (_, i) => makeEvent({ device: 'boiler-3', atMs: now - 10_000 + i })),
      ];
      await ingest(h, [...old, ...recent]);
      const api = h.client;

      const one = await api.delete(`/event/id/${recent[0].id}`);
      expect(one.body).toEqual({ apiVersion: 'v3', statusCode: 200 });
      expect((await api.get(`/event/id/${recent[0].id}`)).status).toBe(404);
      expect((await api.delete(`/event/id/${recent[0].id}`)).status).toBe(404);
      expect(await api.count('/reading/count')).toBe(8 * 3);

      // More events than one delete statement takes (retentionBatch 2): all of them go.
      const device = await api.delete('/event/device/name/boiler-3');
      expect(device.status).toBe(202);
      expect(device.body).toEqual({ apiVersion: 'v3', statusCode: 202 });
      expect(await api.count('/event/count/device/name/boiler-3')).toBe(0);
      expect(await api.count('/reading/count/device/name/boiler-3')).toBe(0);
      expect(await api.count('/event/count')).toBe(3);

      // EdgeX reads the age in nanoseconds: older than one day.
      const aged = await api.delete(`/event/age/${DAY * MS}`);
      expect(aged.status).toBe(202);
      expect((await api.get('/event/all')).body.events.map((e: Event) => e.id)).toEqual([recent[1].id]);
      expect(await api.count('/reading/count')).toBe(3);
    });
  });

  describe('REST ingest', () => {
    const path = (e: Event) => `/event/${SERVICE}/${e.profileName}/${e.deviceName}/${e.sourceName}`;

    it('stores a POSTed event (201 with its id) with binary, object and tagged readings, and publishes it on events/core; a repeat is 409', async () => {
      const { client: api } = await start();
      let republish!: (message: { topic: string; payload: unknown }) => void;
      const republishedOn = new Promise<{ topic: string; payload: unknown }>((resolve) => (republish = resolve));
      const coreEvents = await bus.subscribe('edgex/events/core/#', (envelope, topic) => republish({ topic, payload: envelope.payload }));
      const base = makeEvent({ device: 'camera-1', resources: ['status'] });
      const event: Event = {
        ...base,
        tags: { site: 'plant-4', location: { line: 2 } },
        readings: [
          { ...base.readings[0], tags: { calibrated: true } },
          {
            id: randomUUID(),
            origin: base.origin,
            deviceName: 'camera-1',
            resourceName: 'snapshot',
            profileName: base.profileName,
            valueType: 'Binary',
            binaryValue: Buffer.from([0, 1, 2, 250, 255]).toString('base64'),
            mediaType: 'image/png',
          },
          {
            id: randomUUID(),
            origin: base.origin,
            deviceName: 'camera-1',
            resourceName: 'settings',
            profileName: base.profileName,
            valueType: 'Object',
            objectValue: { exposure: 1.5, modes: ['a', 'b'], off: null },
          },
        ],
      };
      const request = addEventRequest(event);
      const added = await api.post(path(event), request);
      expect(added.status).toBe(201);
      expect(added.body).toEqual({ apiVersion: 'v3', statusCode: 201, requestId: request.requestId, id: event.id });
      expect((await api.get(`/event/id/${event.id}`)).body.event).toEqual(event);

      const again = await api.post(path(event), request);
      expect(again.status).toBe(409);
      expect(again.body.message).toContain(event.id);
      expect(await api.count('/event/count')).toBe(1);

      // Stored, it is published on events/core/... as EdgeX's core-data does, for app services.
      const republished = await republishedOn;
      expect(republished.topic).toBe(`edgex/events/core/${SERVICE}/${event.profileName}/${event.deviceName}/${event.sourceName}`);
      expect(republished.payload).toMatchObject({ apiVersion: 'v3', requestId: expect.any(String), event });
      await coreEvents.unsubscribe();

      // As a producer following EdgeX's core-data OpenAPI sends it: readings carry apiVersion (no field of ours,
      // ignored as EdgeX ignores it) and the envelope's keys may be capitalised (Go's encoding/json matches them anyway).
      const spec = makeEvent();
      const specShaped = { ApiVersion: 'v3', Event: { ...spec, readings: spec.readings.map((r) => ({ apiVersion: 'v3', ...r })) } };
      expect((await api.post(path(spec), specShaped)).status).toBe(201);
      expect((await api.get(`/event/id/${spec.id}`)).body.event).toEqual(spec);
    });

    it('refuses a bad body with 400 naming the field, and an event that disagrees with the path', async () => {
      const { client: api, coreData } = await start();
      const event = makeEvent();
      const badType = { ...event, readings: [{ ...event.readings[0], valueType: 'Float99' }] };
      const reply = await api.post(path(event), addEventRequest(badType as Event));
      expect(reply.status).toBe(400);
      expect(reply.body.message).toMatch(/event\.readings\[0\]\.valueType/);

      const noEvent = await api.post(path(event), { apiVersion: 'v3' });
      expect(noEvent.status).toBe(400);
      expect(noEvent.body.message).toMatch(/event: is required/);

      const badId = await api.post(path(event), addEventRequest({ ...event, id: 'not-a-uuid' }));
      expect(badId.status).toBe(400);
      expect(badId.body.message).toMatch(/event\.id: must be a UUID/);

      const elsewhere = await api.post(`/event/${SERVICE}/${event.profileName}/other-device/${event.sourceName}`, addEventRequest(event));
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body.message).toMatch(/event\.deviceName: "boiler-1" does not match "other-device"/);

      const notJson = await api.call('POST', path(event), '{"apiVersion":');
      expect(notJson.status).toBe(400);
      expect(await api.count('/event/count')).toBe(0);
      expect(coreData.stats().rejected).toBe(4);
    });

    it('refuses an event with more readings than maxReadingsPerEvent with 400 naming the limit and its variable', async () => {
      const { client: api, coreData } = await start({ maxReadingsPerEvent: 2 });
      const event = makeEvent();
      const reply = await api.post(path(event), addEventRequest(event));
      expect(reply.status).toBe(400);
      expect(reply.body.message).toMatch(/event\.readings: at most 2 readings per event \(GW_CORE_DATA_MAX_READINGS_PER_EVENT\), got 3/);
      const fits = makeEvent({ resources: ['temperature', 'pressure'] });
      expect((await api.post(path(fits), addEventRequest(fits))).status).toBe(201);
      expect(await api.count('/event/count')).toBe(1);
      expect(coreData.stats()).toMatchObject({ rejected: 1, oversized: 1 });
    });
  });

  describe('bus ingest', () => {
    it('counts and skips malformed messages; the good events after them are stored', async () => {
      const h = await start();
      const topic = eventTopic('edgex', makeEvent());
      const good = [makeEvent({ atMs: Date.now() - 2 }), makeEvent({ atMs: Date.now() - 1 })];
      await publishEvent(bus, 'edgex', good[0]);
      broker.publishRaw(topic, 'not json at all');
      await bus.publish(topic, newEnvelope({ apiVersion: 'v3', event: { ...makeEvent(), readings: [] } }));
      await bus.publish(topic, newEnvelope({ hello: 'world' }));
      await bus.publish(topic, newEnvelope({ apiVersion: 'v3', event: { ...makeEvent(), origin: 'yesterday' } }));
      await publishEvent(bus, 'edgex', good[1]);
      await h.commits.waitFor(2);

      expect(await h.client.count('/event/count')).toBe(2);
      // The unparseable one never reaches core-data: the bus counts it (stats().malformed).
      expect(h.coreData.stats()).toMatchObject({ received: 5, rejected: 3, eventsPersisted: 2, readingsPersisted: 6 });
      expect(bus.stats().malformed).toBe(1);
    });

    it('refuses and counts an event with more readings than maxReadingsPerEvent; the good events around it are stored', async () => {
      const h = await start({ maxReadingsPerEvent: 5 });
      const many = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);
      const good = [makeEvent({ resources: many(5) }), makeEvent()];
      await publishEvent(bus, 'edgex', good[0]);
      await publishEvent(bus, 'edgex', makeEvent({ resources: many(6) }));
      await publishEvent(bus, 'edgex', good[1]);
      await h.commits.waitFor(2);
      expect(await h.client.count('/event/count')).toBe(2);
      expect(h.coreData.stats()).toMatchObject({ received: 3, rejected: 1, oversized: 1, eventsPersisted: 2, readingsPersisted: 8 });
    });

    it('refuses the default limit of 10,000 readings plus one without storing any of them', async () => {
      const h = await start();
      const resources = Array.from({ length: 10_001 }, (_, i) => `r${i}`);
      await publishEvent(bus, 'edgex', makeEvent({ resources }));
      const after = makeEvent();
      await publishEvent(bus, 'edgex', after);
      await h.commits.waitFor(1);
      expect(h.coreData.stats()).toMatchObject({ rejected: 1, oversized: 1, eventsPersisted: 1, readingsPersisted: 3 });
    });

    it('skips a 20 MB bus message unparsed, counting it, while the good events around it are stored', async () => {
      const h = await start();
      const before = makeEvent({ atMs: Date.now() - 2 });
      const after = makeEvent({ atMs: Date.now() - 1 });
      const huge = makeEvent({ resources: Array.from({ length: 200_000 }, (_, i) => `resource-${i}`) });
      const wire = JSON.stringify(newEnvelope(addEventRequest(huge)));
      expect(wire.length).toBeGreaterThan(20 * 1024 * 1024);
      await publishEvent(bus, 'edgex', before);
      broker.publishRaw(eventTopic('edgex', huge), wire);
      await publishEvent(bus, 'edgex', after);
      await h.commits.waitFor(2);
      expect(await h.client.count('/event/count')).toBe(2);
      expect(h.coreData.stats()).toMatchObject({ received: 3, rejected: 1, oversized: 1, eventsPersisted: 2, readingsPersisted: 6 });
      expect(bus.stats().malformed).toBe(1);
    });

    it('takes bus messages up to maxBody bytes (GW_CORE_DATA_MAX_BODY) and skips larger ones', async () => {
      const h = await start({ maxBody: 64 * 1024 });
      const resources = (n: number) => Array.from({ length: n }, (_, i) => `resource-${i}`);
      const fits = makeEvent({ resources: resources(200) });
      const over = makeEvent({ resources: resources(400) });
      expect(JSON.stringify(newEnvelope(addEventRequest(fits))).length).toBeLessThan(64 * 1024);
      expect(JSON.stringify(newEnvelope(addEventRequest(over))).length).toBeGreaterThan(64 * 1024);
      await publishEvent(bus, 'edgex', over);
      await publishEvent(bus, 'edgex', fits);
      await h.commits.waitFor(1);
      expect(h.coreData.stats()).toMatchObject({ rejected: 1, oversized: 1, eventsPersisted: 1, readingsPersisted: 200 });
    });

    it('stores an event delivered more than once only once', async () => {
      const h = await start();
      const event = makeEvent();
      for (let i = 0; i < 3; i++) await publishEvent(bus, 'edgex', event);
      await h.commits.waitFor(3);
      expect(await h.client.count('/event/count')).toBe(1);
      expect(await h.client.count('/reading/count')).toBe(3);
      expect(h.coreData.stats()).toMatchObject({ eventsPersisted: 1, duplicates: 2 });
    });

    it('holds the bus back while its queue is full, and loses nothing', async () => {
      // A queue of 12 readings = 4 events; the in-process durable queue holds the rest meanwhile.
      const h = await start({ batchSize: 6, queueLimit: 12, flushInterval: 0 });
      const events = Array.from({ length: 120 }, (_, i) => makeEvent({ device: `boiler-${i % 7}`, atMs: Date.now() - 1000 + i }));
      await Promise.all(events.map((e) => publishEvent(bus, 'edgex', e)));
      await h.commits.waitFor(120);
      expect(await h.client.count('/event/count')).toBe(120);
      expect(await h.client.count('/reading/count')).toBe(360);
      expect(h.coreData.stats().batches).toBeGreaterThanOrEqual(60);
    });

    it('acknowledges each message only once its event is committed (the default), with many in hand at once', async () => {
      // One in hand: the bus hands over the next message only after the previous one was acknowledged, so
      // each commit holds one event — which shows the acknowledgement waits for the commit.
      const one = await start({ maxInFlight: 1, flushInterval: HOUR });
      for (const event of Array.from({ length: 20 }, () => makeEvent())) await publishEvent(bus, 'edgex', event);
      await one.commits.waitFor(20);
      expect(one.coreData.stats().batches).toBe(20);
      await one.coreData.close();
      running.splice(running.indexOf(one), 1);

      // Many in hand (GW_CORE_DATA_MAX_IN_FLIGHT): the same wait, but the events share commits.
      const many = await start({ flushInterval: HOUR });
      const events = Array.from({ length: 200 }, () => makeEvent());
      await Promise.all(events.map((event) => publishEvent(bus, 'edgex', event)));
      await many.commits.waitFor(200);
      expect(many.coreData.stats().batches).toBeLessThan(50);
    });

    it('a stop in the middle of a stream loses nothing and stores nothing twice: what it held is committed, the rest comes at the next start', async () => {
      const durableName = `cd-${randomUUID().slice(0, 8)}`;
      const first = await start({ durableName });
      const events = Array.from({ length: 300 }, () => makeEvent());
      const publishing = Promise.all(events.map((event) => publishEvent(bus, 'edgex', event)));
      await pollUntil(() => first.coreData.stats().received >= 50, '50 events taken off the bus');
      await first.coreData.close();
      running.splice(running.indexOf(first), 1);
      await publishing;
      expect(first.coreData.stats().queuedEvents).toBe(0);

      const second = await start({ durableName });
      await pollUntil(async () => (await second.client.count('/event/count')) === 300, 'all 300 events stored');
      expect(await second.client.count('/reading/count')).toBe(900);
      expect(second.coreData.stats().eventsPersisted + first.coreData.stats().eventsPersisted).toBe(300);
    });
  });

  describe('retention', () => {
    it('purges by age and then by count, oldest first', async () => {
      const h = await start({ retentionMaxAge: HOUR, retentionMaxEvents: 3, retentionInterval: HOUR, retentionBatch: 2 });
      const now = Date.now();
      const tooOld = Array.from({ length: 4 }, (_, i) => makeEvent({ atMs: now - 2 * HOUR - i }));
      const recent = Array.from({ length: 5 }, (_, i) => makeEvent({ atMs: now - 5000 + i }));
      await ingest(h, [...tooOld, ...recent]);

      expect(await h.coreData.runRetention()).toEqual({ byAge: 4, byCount: 2 });
      const kept = (await h.client.get('/event/all')).body.events.map((e: Event) => e.id);
      expect(kept).toEqual(recent.slice(2).reverse().map((e) => e.id));
      expect(await h.client.count('/reading/count')).toBe(9);
      expect(await h.coreData.runRetention()).toEqual({ byAge: 0, byCount: 0 });
    });

    it('runs on its own every interval', async () => {
      const h = await start({ retentionMaxAge: HOUR, retentionInterval: 50 });
      await ingest(h, [makeEvent({ atMs: Date.now() - 2 * HOUR }), makeEvent()]);
      // Nothing announces a retention pass: poll the count with a deadline.
      await pollUntil(async () => (await h.client.count('/event/count')) === 1, 'the old event to be purged', 10_000);
    });
  });
});
