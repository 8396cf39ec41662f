/**
 * End-to-end ingest: synthetic device events published on the bus, through
 * core-data's durable subscription and batch writer, into the database.
 *
 *   (a) embedded: in-process bus + SQLite file in a temp dir (publisher and
 *       core-data share one thread, as in `npm start`);
 *   (b) MQTT (the machine's Mosquitto, private topic base) + PostgreSQL (a
 *       fresh schema); the publisher runs in a worker thread, standing in for
 *       a device service in its own process.
 *
 * The publisher keeps at most WINDOW events published but not yet persisted
 * (closed loop): the figure is the rate core-data sustains, not how fast a
 * queue overflows. Printed per stack: readings/s persisted (persisted
 * readings / time from the first publish to the last commit, checked against
 * a count in the database), origin->commit latency p50/p99 (each event's
 * origin against its batch's commit time), the zero-loss check (published ==
 * persisted, by count of distinct event ids), and peak RSS.
 *
 * Then, per stack, a fixed-rate run (open loop): BENCH_INGEST_RATE readings/s
 * (20,000; 0 skips it) offered at a steady pace whatever core-data does, for
 * the latency a plant sees at a sustainable load: origin->commit p50, p99 and
 * max (saturation runs measure throughput; their latency is queueing).
 * core-data runs with its defaults (crash-safe: each event acknowledged once committed).
 *
 * Env: BENCH_INGEST_SECONDS (12 per stack), BENCH_INGEST_DEVICES (200),
 * BENCH_INGEST_READINGS (5 per event), BENCH_INGEST_STACKS (embedded,mqtt-postgres),
 * BENCH_INGEST_WINDOW (events in flight: 5,000 embedded, 800 MQTT), MQTT_URL,
 * GW_TEST_PG_URL (postgres://root@127.0.0.1:5432/test); core-data's own
 * defaults unless BENCH_INGEST_BATCH (readings), BENCH_INGEST_FLUSH_MS or
 * BENCH_INGEST_QUEUE (readings) override them.
 * The publisher is `runSyntheticPublisher`: swap it for real virtual devices.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Client } from 'pg';
import { Event } from '@gw/contracts';
import { BusConfig, createMessageBus, MemoryBroker, MessageBus, newEnvelope } from '@gw/messaging';
import { PersistenceConfig } from '@gw/persistence';
import { createLogger } from '@gw/service-kit';
import { startCoreData } from '../apps/core-data/src/core-data.app';
import { startMetadata } from '../apps/metadata/src/metadata.app';
import { addToMetadata } from './support/metadata-add';

const SECONDS = Number(process.env.BENCH_INGEST_SECONDS ?? 12);
const DEVICES = Number(process.env.BENCH_INGEST_DEVICES ?? 200);
const READINGS = Number(process.env.BENCH_INGEST_READINGS ?? 5);
const STACKS = (process.env.BENCH_INGEST_STACKS ?? 'embedded,mqtt-postgres').split(',').map((s) => s.trim());
const MQTT_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const PG_URL = process.env.GW_TEST_PG_URL ?? 'postgres://root@127.0.0.1:5432/test';
const RATE = Number(process.env.BENCH_INGEST_RATE ?? 20_000);
const RESOURCES = ['temperature', 'pressure', 'flow', 'level', 'power', 'speed', 'current', 'voltage'];

interface PublisherOptions {
  base: string;
  devices: number;
  readingsPerEvent: number;
  durationMs: number;
  /** Events published but not yet persisted, at most. */
  window: number;
  /** Fixed rate in events/s (open loop: published on schedule, the window only a safety bound); unset = as fast as the window allows. */
  eventsPerSecond?: number;
}

/** Wall-clock now in ns, finer than Date.now(), as a device service would stamp an origin. */
function nowNs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1e6);
}

/** One EdgeX event of a synthetic boiler: `readingsPerEvent` Float32 readings at one origin. */
function syntheticEvent(device: number, seq: number, readingsPerEvent: number): Event {
  const deviceName = `boiler-${device}`;
  const origin = nowNs();
  const readings = [];
  for (let i = 0; i < readingsPerEvent; i++) {
    readings.push({
      id: randomUUID(),
      origin,
      deviceName,
      resourceName: RESOURCES[i % RESOURCES.length] + (i >= RESOURCES.length ? i : ''),
      profileName: 'Boiler-Profile',
      valueType: 'Float32' as const,
      units: 'degC',
      value: (20 + ((seq + i) % 100) / 10).toFixed(1),
    });
  }
  return { apiVersion: 'v3', id: randomUUID(), deviceName, profileName: 'Boiler-Profile', sourceName: 'AllValues', origin, readings };
}

/**
 * The event source: round-robin over the devices, as fast as the window
 * allows, for `durationMs`. Resolves with the number of events published.
 */
export async function runSyntheticPublisher(
  bus: MessageBus,
  options: PublisherOptions,
  persisted: () => number,
  persistedChanged: () => Promise<void>,
): Promise<number> {
  const start = performance.now();
  const end = start + options.durationMs;
  let published = 0;
  let failure: unknown;
  while (performance.now() < end) {
    if (failure) throw failure;
    if (published - persisted() >= options.window) {
      await persistedChanged();
      continue;
    }
    if (options.eventsPerSecond) {
      // On schedule: what is due now goes out now, then wait for the next millisecond's share.
      const due = ((performance.now() - start) * options.eventsPerSecond) / 1000;
      if (published >= due) {
        await sleep(1);
        continue;
      }
    }
    const device = published % options.devices;
    const event = syntheticEvent(device, published, options.readingsPerEvent);
    const topic = `${options.base}/events/device/device-bench/Boiler-Profile/${event.deviceName}/AllValues`;
    bus.publish(topic, newEnvelope({ apiVersion: 'v3', requestId: randomUUID(), event })).catch((err: unknown) => (failure ??= err));
    published++;
    // Let deliveries and commits run: in the embedded stack they share this thread.
    if (published % 100 === 0 && !options.eventsPerSecond) await nextTurn();
  }
  return published;
}

interface StackResult {
  readingsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  published: number;
  persisted: number;
  storedEvents: number;
  storedReadings: number;
  peakRssMb: number;
  readingsPerBatch: number;
}

interface Stack {
  name: string;
  database: PersistenceConfig;
  bus: () => BusConfig;
  /** Publisher in a worker thread (its own event loop and bus client), or on this thread. */
  publisherInWorker: boolean;
  window: number;
  cleanup(): Promise<void>;
}

async function measure(stack: Stack, eventsPerSecond?: number): Promise<StackResult> {
  const runId = randomBytes(4).toString('hex');
  const base = `bench-ingest-${runId}`;
  const logger = createLogger('core-data', (process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'warn');
  const bus = createMessageBus({ ...stack.bus(), clientId: `bench-core-data-${runId}` });
  await bus.connect();

  let worker: Worker | undefined;
  let persistedEvents = 0;
  let wake: (() => void) | undefined;
  let firstOrigin = Infinity;
  let lastCommit = 0;
  const latencies: number[] = [];
  const onCommitted = (events: readonly Event[]) => {
    const committed = nowNs();
    for (const event of events) {
      latencies.push((committed - event.origin) / 1e6);
      if (event.origin < firstOrigin) firstOrigin = event.origin;
    }
    lastCommit = committed;
    persistedEvents += events.length;
    worker?.postMessage(persistedEvents);
    wake?.();
  };
  const persistedChanged = () => new Promise<void>((resolve) => (wake = resolve));

  // core-data stores only events of devices core-metadata knows: the synthetic boilers are registered first.
  const metadata = await benchMetadata(DEVICES);
  const coreData = await startCoreData(
    {
      host: '127.0.0.1',
      port: 0,
      database: stack.database,
      maxResultCount: 1000,
      topicBase: base,
      durableName: `bench-${runId}`,
      metadataUrl: metadata.url,
      retentionMaxAge: 0,
      ...(process.env.BENCH_INGEST_BATCH ? { batchSize: Number(process.env.BENCH_INGEST_BATCH) } : {}),
      ...(process.env.BENCH_INGEST_FLUSH_MS ? { flushInterval: Number(process.env.BENCH_INGEST_FLUSH_MS) } : {}),
      ...(process.env.BENCH_INGEST_QUEUE ? { queueLimit: Number(process.env.BENCH_INGEST_QUEUE) } : {}),
    },
    { bus, logger, onCommitted },
  );
  try {
    const options: PublisherOptions = {
      base,
      devices: DEVICES,
      readingsPerEvent: READINGS,
      durationMs: SECONDS * 1000,
      window: stack.window,
      eventsPerSecond,
    };
    let published: number;
    if (stack.publisherInWorker) {
      worker = new Worker(__filename, { workerData: { options, bus: stack.bus() } });
      published = await new Promise<number>((resolve, reject) => {
        worker?.on('message', (m: { published?: number; error?: string }) =>
          m.error ? reject(new Error(m.error)) : m.published !== undefined && resolve(m.published),
        );
        worker?.on('error', reject);
      });
    } else {
      const pub = createMessageBus(stack.bus());
      await pub.connect();
      try {
        published = await runSyntheticPublisher(pub, options, () => persistedEvents, persistedChanged);
      } finally {
        await pub.close();
      }
    }
    const deadline = Date.now() + 60_000;
    while (persistedEvents < published && Date.now() < deadline) await Promise.race([persistedChanged(), sleep(1000)]);

    const seconds = (lastCommit - firstOrigin) / 1e9;
    const stats = coreData.stats();
    const stored = await countStored(coreData.url);
    latencies.sort((a, b) => a - b);
    return {
      readingsPerSec: stats.readingsPersisted / seconds,
      p50: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
      p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
      max: latencies[latencies.length - 1] ?? NaN,
      published,
      persisted: stats.eventsPersisted,
      storedEvents: stored.events,
      storedReadings: stored.readings,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      readingsPerBatch: stats.readingsPersisted / Math.max(stats.batches, 1),
    };
  } finally {
    await worker?.terminate();
    await coreData.close();
    await bus.deleteDurable(`bench-${runId}`).catch(() => undefined);
    await bus.close();
    await metadata.close();
  }
}

/** A real core-metadata (temp SQLite, its own in-process bus) that knows boiler-0..boiler-<devices-1> of device-bench. */
async function benchMetadata(devices: number): Promise<{ url: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-metadata-'));
  const bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
  await bus.connect();
  const running = await startMetadata(
    { host: '127.0.0.1', port: 0, database: { type: 'sqlite', path: join(dir, 'metadata.db') }, maxResultCount: 1000, topicBase: 'bench' },
    { bus, logger: createLogger('core-metadata', 'warn') },
  );
  const post = (path: string, key: string, items: unknown[]) => addToMetadata(running.url, path, key, items);
  await post('/deviceservice', 'service', [{ name: 'device-bench', baseAddress: 'http://localhost:1' }]);
  const resources = Array.from({ length: READINGS }, (_, i) => RESOURCES[i % RESOURCES.length] + (i >= RESOURCES.length ? i : ''));
  await post('/deviceprofile', 'profile', [{ name: 'Boiler-Profile', deviceResources: resources.map((name) => ({ name, properties: { valueType: 'Float32', readWrite: 'R' } })) }]);
  const names = Array.from({ length: devices }, (_, i) => `boiler-${i}`);
  for (let i = 0; i < names.length; i += 500) {
    await post('/device', 'device', names.slice(i, i + 500).map((name) => ({ name, serviceName: 'device-bench', profileName: 'Boiler-Profile', protocols: { other: { Address: name } } })));
  }
  return {
    url: running.url,
    close: async () => {
      await running.close();
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What is in the database, through core-data's own API (distinct event ids: the id is unique). */
async function countStored(url: string): Promise<{ events: number; readings: number }> {
  const count = async (path: string) => ((await (await fetch(`${url}/api/v3${path}`)).json()) as { count: number }).count;
  return { events: await count('/event/count'), readings: await count('/reading/count') };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function embedded(): Stack {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-ingest-'));
  const broker = new MemoryBroker();
  return {
    name: 'embedded',
    database: { type: 'sqlite', path: join(dir, 'core-data.db') },
    bus: () => ({ type: 'memory', broker }),
    publisherInWorker: false,
    // Well inside the in-process durable queue bound (100,000, drop-oldest).
    window: Number(process.env.BENCH_INGEST_WINDOW ?? 5_000),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function mqttPostgres(): Stack {
  const schema = `gw_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  return {
    name: 'mqtt-postgres',
    database: { type: 'postgres', url: PG_URL, schema, poolSize: 4 },
    bus: () => ({ type: 'mqtt', url: MQTT_URL, connectTimeoutMs: 5_000 }),
    publisherInWorker: true,
    // Below the machine's Mosquitto queue (1,000 messages per client beyond 20 in flight, the
    // rest dropped): the durable subscriber acknowledges one message at a time, so under load
    // the backlog waits at the broker. (5,000 in flight lost ~150 events there.)
    window: Number(process.env.BENCH_INGEST_WINDOW ?? 800),
    cleanup: async () => {
      const client = new Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

async function main(): Promise<void> {
  console.log(
    `ingest benchmark: ${DEVICES} devices x ${READINGS} readings per event, ${SECONDS} s per stack, ` +
      `closed loop (bounded events in flight), then ${RATE} readings/s fixed rate, bus -> core-data -> database, ` +
      'each event acknowledged once committed',
  );
  const figures: number[] = [];
  let lossless = true;
  for (const name of STACKS) {
    const stack = name === 'embedded' ? embedded() : name === 'mqtt-postgres' ? mqttPostgres() : undefined;
    if (!stack) throw new Error(`unknown stack "${name}" (embedded, mqtt-postgres)`);
    try {
      const r = await measure(stack);
      const lost = r.published - r.storedEvents;
      figures.push(r.readingsPerSec);
      lossless &&= lost === 0 && r.storedReadings === r.published * READINGS;
      console.log(`ingest-${stack.name}-throughput: ${Math.round(r.readingsPerSec)} readings/s`);
      console.log(`ingest-${stack.name}-latency-p50: ${r.p50.toFixed(1)} ms`);
      console.log(`ingest-${stack.name}-latency-p99: ${r.p99.toFixed(1)} ms`);
      console.log(`ingest-${stack.name}-published: ${r.published} events`);
      console.log(`ingest-${stack.name}-stored: ${r.storedEvents} events, ${r.storedReadings} readings`);
      console.log(`ingest-${stack.name}-lost: ${lost} events`);
      console.log(`ingest-${stack.name}-batch-mean: ${Math.round(r.readingsPerBatch)} readings`);
      console.log(`ingest-${stack.name}-peak-rss: ${Math.round(r.peakRssMb)} MB`);
      if (RATE > 0) {
        const fixed = await measure(stack, RATE / READINGS);
        // The same database as the run before: count this run's commits, not the table.
        const lostAtRate = fixed.published - fixed.persisted;
        lossless &&= lostAtRate === 0;
        const label = `ingest-${stack.name}-fixed-${RATE}`;
        console.log(`${label}-offered: ${Math.round((fixed.published * READINGS) / SECONDS)} readings/s`);
        console.log(`${label}-latency-p50: ${fixed.p50.toFixed(1)} ms`);
        console.log(`${label}-latency-p99: ${fixed.p99.toFixed(1)} ms`);
        console.log(`${label}-latency-max: ${fixed.max.toFixed(1)} ms`);
        console.log(`${label}-lost: ${lostAtRate} events`);
      }
    } catch (err) {
      console.log(`ingest-${stack.name}: skipped (${err instanceof Error ? err.message : String(err)})`);
    } finally {
      await stack.cleanup().catch(() => undefined);
    }
  }
  if (figures.length === 0) throw new Error('no stack could be measured');
  console.log(`ingest-zero-loss: ${lossless ? 'yes' : 'NO'}`);
  console.log(`ingest-throughput-min: ${Math.round(Math.min(...figures))} readings/s`);
}

/** Worker side of (b): its own bus connection, publishing until told the time is up. */
async function publisherWorker(): Promise<void> {
  const { options, bus: config } = workerData as { options: PublisherOptions; bus: BusConfig };
  const bus = createMessageBus(config);
  await bus.connect();
  let persisted = 0;
  let wake: (() => void) | undefined;
  parentPort?.on('message', (n: number) => {
    persisted = n;
    wake?.();
  });
  try {
    const published = await runSyntheticPublisher(bus, options, () => persisted, () => new Promise((r) => (wake = r)));
    await bus.close();
    parentPort?.postMessage({ published });
  } catch (err) {
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  void publisherWorker();
}
