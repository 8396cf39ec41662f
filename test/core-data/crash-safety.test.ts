/**
 * Crash safety as an operator meets it: core-data in its own process, killed
 * with SIGKILL (power cut, OOM killer) while a device keeps publishing, and
 * started again once. Every event the broker acknowledged to the publisher
 * must end up stored exactly once: core-data acknowledges an event to the
 * broker only after the batch holding it is committed, so whatever it had in
 * hand comes again from the broker. On a private Mosquitto and a private
 * Redis, with PostgreSQL (or SQLite when GW_TEST_PG_URL=off).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createMessageBus, ManagedMessageBus, MemoryBroker } from '@gw/messaging';
import { BrokerProcess, freePort, startMosquitto, startRedis } from '../support/brokers';
import { testPostgres, testPostgresUrl, testSqlite } from '../support/database';
import { requireFreshBuild } from '../support/fresh-build';
import { makeEvent, pollUntil, publishEvent, RestClient, TestMetadata } from './support';

jest.setTimeout(120_000);

const EVENTS = 3_000;
const KILL_AFTER = 1_000;
/** Offered rate: what a plant's devices send, not a saturation test. */
const EVENTS_PER_SECOND = 1_000;
const MAIN = join(__dirname, '../../dist/apps/core-data/src/main.js');

/** Every core-data started here, killed when the test process ends whatever happened (a timeout included). */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** core-data as `docker compose` runs it; resolves once it logs that it serves HTTP. */
async function startCoreDataProcess(env: Record<string, string>): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let log = '';
  child.stderr!.on('data', (chunk) => (log += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  const listening = new Promise<void>((resolve) =>
    lines.on('line', (line) => {
      if (!line.includes('"level":30')) log += line + '\n'; // warnings and errors, for the failure message
      if (line.includes('"msg":"listening"')) resolve();
    }),
  );
  await Promise.race([listening, exited.then((code) => Promise.reject(new Error(`core-data exited with ${code} before listening:\n${log}`)))]);
  return { child, exited };
}

/** Every event id core-data serves, with how often each is there (paging GET /event/all as a client would). */
async function storedIds(rest: RestClient): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let offset = 0; ; offset += 1000) {
    const page = (await rest.get(`/event/all?offset=${offset}&limit=1000`)).body.events as Array<{ id: string }>;
    for (const { id } of page) counts.set(id, (counts.get(id) ?? 0) + 1);
    if (page.length < 1000) return counts;
  }
}

describe('faults under load: core-data killed with SIGKILL, the broker restarted', () => {
  requireFreshBuild('apps/core-data/src', 'libs');
  let mosquitto: BrokerProcess;
  let redis: BrokerProcess;
  let metadata: TestMetadata;
  let metadataBus: ManagedMessageBus;

  beforeAll(async () => {
    // Redis keeps its streams across the restart only with its append-only file, as compose runs it.
    [mosquitto, redis] = await Promise.all([startMosquitto({ maxQueuedMessages: 0 }), startRedis({ appendOnly: true })]);
    metadataBus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await metadataBus.connect();
    metadata = await TestMetadata.start(metadataBus, 'edgex');
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await metadata?.close();
    await metadataBus?.close();
    await Promise.all([mosquitto?.dispose(), redis?.dispose()]);
  });

  interface Run {
    topicBase: string;
    env: Record<string, string>;
    publisher: ManagedMessageBus;
    rest: RestClient;
    close(): Promise<void>;
  }

  /** A core-data of its own (port, database, durable name, topic base) on `bus`, and a publisher standing in for a device service. */
  async function newRun(bus: { type: 'mqtt' | 'redis'; url: string }, name: string): Promise<Run> {
    const runId = randomBytes(4).toString('hex');
    const topicBase = `${name}-${runId}`;
    const pgUrl = testPostgresUrl();
    const db = pgUrl ? testPostgres(pgUrl) : testSqlite('core-data.db');
    const databaseUrl =
      db.config.type === 'sqlite' ? `sqlite:${db.config.path}` : `${db.config.url}${db.config.url.includes('?') ? '&' : '?'}schema=${db.config.schema}`;
    const port = await freePort();
    const env = {
      GW_BUS_TYPE: bus.type,
      GW_BUS_URL: bus.url,
      GW_HOST: '127.0.0.1',
      GW_CORE_DATA_PORT: String(port),
      GW_CORE_DATA_DATABASE: databaseUrl,
      GW_CORE_DATA_METADATA_URL: metadata.url,
      GW_CORE_DATA_DURABLE_NAME: `core-data-${runId}`,
      GW_TOPIC_BASE: topicBase,
      GW_LOG_LEVEL: 'info',
    };
    const publisher = createMessageBus({ ...bus, clientId: `publisher-${runId}` });
    await publisher.connect();
    const close = async () => {
      await publisher.close();
      await db.cleanup();
    };
    return { topicBase, env, publisher, rest: new RestClient(`http://127.0.0.1:${port}`), close };
  }

  /**
   * A first start subscribes once it has loaded the devices; before that the broker keeps nothing for it.
   * Probes (on boiler-0, which carries nothing else) until one is stored show the durable subscription is there.
   */
  async function firstEventStored({ publisher, topicBase, rest }: Run): Promise<void> {
    await pollUntil(async () => {
      await publishEvent(publisher, topicBase, makeEvent({ device: 'boiler-0' }));
      return (await rest.get('/event/count')).body?.count > 0;
    }, 'a first event stored');
  }

  /** The events stored apart from the probes. */
  async function loadEvents(rest: RestClient): Promise<number> {
    return (await rest.get('/event/count')).body.count - (await rest.get('/event/count/device/name/boiler-0')).body.count;
  }

  const buses: Record<string, () => { type: 'mqtt' | 'redis'; url: string; broker: BrokerProcess }> = {
    mqtt: () => ({ type: 'mqtt', url: mosquitto.url, broker: mosquitto }),
    redis: () => ({ type: 'redis', url: redis.url, broker: redis }),
  };
  const cases = Object.keys(buses).flatMap((bus) => [
    [bus, 'core-data killed with SIGKILL and started again once'],
    [bus, 'the broker restarted'],
  ]);

  it.each(cases)('over %s, %s: every acknowledged event is stored exactly once', async (busName, fault) => {
    const { broker, ...bus } = buses[busName]();
    const run = await newRun(bus, 'crash');
    const { topicBase, publisher, rest } = run;
    let coreData = await startCoreDataProcess(run.env);
    try {
      await firstEventStored(run);

      const acknowledged: string[] = [];
      const started = Date.now();
      let killed: Promise<void> | undefined;
      for (let i = 0; i < EVENTS; i++) {
        const due = started + (i * 1000) / EVENTS_PER_SECOND;
        if (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, due - Date.now())); // pacing the offered load
        // boiler-1..9: boiler-0 carries only the probes, so the load can be counted apart from them.
        const event = makeEvent({ device: `boiler-${1 + (i % 9)}` });
        await publishEvent(publisher, topicBase, event);
        acknowledged.push(event.id);
        if (i === KILL_AFTER && fault === 'the broker restarted') {
          // Graceful, as `docker compose restart` does: Mosquitto saves its sessions, Redis its AOF.
          await broker.stop();
          await broker.start();
        } else if (i === KILL_AFTER) {
          coreData.child.kill('SIGKILL');
          // Started again once, while the device keeps publishing.
          killed = coreData.exited.then(async () => {
            coreData = await startCoreDataProcess(run.env);
          });
        }
      }
      await killed;
      // Nothing announces "all stored": ask core-data until it holds as many load events as were acknowledged
      // (or the deadline: then the comparison below says what is missing). Paging only once nothing more comes in.
      await pollUntil(async () => (await loadEvents(rest)) >= acknowledged.length, `${acknowledged.length} events stored`, 30_000).catch(
        () => undefined,
      );
      const stored = await storedIds(rest);
      const missing = acknowledged.filter((id) => !stored.has(id));
      const twice = [...stored].filter(([, n]) => n > 1);
      expect({ missing: missing.length, twice: twice.length }).toEqual({ missing: 0, twice: 0 });
      // It came up on the first try after the kill (or rode out the broker's restart), and is still up.
      expect(coreData.child.exitCode).toBeNull();
    } finally {
      coreData.child.kill('SIGKILL');
      await coreData.exited;
      await run.close();
    }
  });

  it('over mqtt, starts on the first try with 100,000 events waiting and stores them all', async () => {
    const run = await newRun({ type: 'mqtt', url: mosquitto.url }, 'backlog');
    const { topicBase, publisher, rest } = run;
    let coreData = await startCoreDataProcess(run.env);
    try {
      // Its durable session exists once a first event is stored; then it goes away and the backlog builds.
      await firstEventStored(run);
      coreData.child.kill('SIGTERM');
      expect(await coreData.exited).toBe(0);
      const BACKLOG = 100_000;
      for (let i = 0; i < BACKLOG; i += 1_000) {
        await Promise.all(
          Array.from({ length: 1_000 }, (_, j) => publishEvent(publisher, topicBase, makeEvent({ device: `boiler-${1 + ((i + j) % 9)}`, resources: ['temperature'] }))),
        );
      }
      // Started once: it must come up (subscribing behind the backlog) and drain it.
      coreData = await startCoreDataProcess(run.env);
      await pollUntil(async () => (await loadEvents(rest)) >= BACKLOG, `${BACKLOG} events stored`, 120_000);
      expect(await loadEvents(rest)).toBe(BACKLOG);
      expect(coreData.child.exitCode).toBeNull();
    } finally {
      coreData.child.kill('SIGKILL');
      await coreData.exited;
      await run.close();
    }
  });
});
