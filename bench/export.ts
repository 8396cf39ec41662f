/**
 * The app service's export path, end to end: EdgeX events on the in-process
 * bus, one pipeline (`flat` transform, batch { count: 500, interval: 100ms }),
 * its durable SQLite outbox, and an MQTT sink publishing to a Mosquitto this
 * bench starts itself (its own port and config, so nothing else shares it).
 * A subscriber in a child process, standing in for the cloud, counts the
 * readings inside the JSON arrays it receives; event ids carry a sequence
 * number, so it also counts duplicates and what never arrived.
 *
 *   (1) throughput: the publisher keeps at most WINDOW events published but
 *       not yet received by the subscriber (closed loop), so the figure is the
 *       rate the export path sustains, not how fast a queue grows. Readings/s
 *       = readings received / time from the first publish to the last arrival.
 *   (2) outage and drain: the sink points at a port where nothing listens yet;
 *       BACKLOG readings are published (closed loop on what the pipeline has
 *       taken) and must all be pending in the outbox (none dropped). Then
 *       Mosquitto starts on that port. Printed: the ingest rate into the
 *       outbox while the sink is down; the time from the broker running to the
 *       first message at the subscriber (the sink reconnects every 2 s and the
 *       route worker looks for the connection every 1 s); the drain rate,
 *       from the first to the last message at the subscriber, in records and
 *       readings per second; lost (must be 0) and duplicate records; and this
 *       process's RSS before the drain and its peak during it (sampled every
 *       100 ms; the subscriber's process is not included).
 *   (3) steady ingest into the outbox (sink down), per bus and per maxInFlight
 *       (GW_APP_SERVICE_MAX_IN_FLIGHT): INGEST_EVENTS events published with
 *       at most WINDOW not yet in the outbox, on the in-process bus and on a
 *       durable MQTT session at a private Mosquitto; printed: readings/s from
 *       the first publish to the last commit, and records per commit (the
 *       group commit's mean group). maxInFlight 1 is one commit per message.
 *
 * Env: BENCH_EXPORT_SECONDS (10), BENCH_EXPORT_BACKLOG (1,000,000 readings),
 * BENCH_EXPORT_READINGS (5 per event), BENCH_EXPORT_DEVICES (200),
 * BENCH_EXPORT_WINDOW (5,000 events in flight), BENCH_EXPORT_INGEST_EVENTS
 * (50,000 per run), BENCH_EXPORT_IN_FLIGHT (maxInFlight values for (3),
 * comma-separated: 1,500), BENCH_LOG_LEVEL (error).
 * Needs `mosquitto` on the PATH.
 */
import { ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import mqtt from 'mqtt';
import { Event, Topics } from '@gw/contracts';
import { createMessageBus, MemoryBroker, MessageBus, newEnvelope } from '@gw/messaging';
import { createLogger } from '@gw/service-kit';
import { RunningAppService, startAppService } from '../apps/app-service/src/app-service.app';
import { parsePipelinesFile } from '../apps/app-service/src/pipeline/pipelines-file';
import type { ActuatorPorts } from '../apps/app-service/src/twin/desired-state';
import { freePort } from './support/free-port';

const SECONDS = Number(process.env.BENCH_EXPORT_SECONDS ?? 10);
const READINGS = Number(process.env.BENCH_EXPORT_READINGS ?? 5);
const BACKLOG_EVENTS = Math.ceil(Number(process.env.BENCH_EXPORT_BACKLOG ?? 1_000_000) / READINGS);
const DEVICES = Number(process.env.BENCH_EXPORT_DEVICES ?? 200);
// Far below the in-process bus's delivery queue bound (100,000, drop-oldest) and many batches deep.
const WINDOW = Number(process.env.BENCH_EXPORT_WINDOW ?? 5_000);
const INGEST_EVENTS = Number(process.env.BENCH_EXPORT_INGEST_EVENTS ?? 50_000);
const IN_FLIGHT = (process.env.BENCH_EXPORT_IN_FLIGHT ?? '1,500').split(',').map(Number);
const LOG_LEVEL = (process.env.BENCH_LOG_LEVEL as 'error' | undefined) ?? 'error';
const BATCH = 500;
const RESOURCES = ['temperature', 'pressure', 'flow', 'level', 'power', 'speed', 'current', 'voltage'];
const MB = 1024 * 1024;

/** Wall-clock ms with a fraction, comparable between this process and the subscriber's. */
const wallMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An event id that is a UUID (EdgeX requires one) and carries the publish sequence number. */
function eventId(prefix: string, seq: number): string {
  return `${prefix}-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`;
}
const seqOf = (id: string) => parseInt(id.slice(24), 16);

function syntheticEvent(prefix: string, seq: number): Event {
  const deviceName = `boiler-${seq % DEVICES}`;
  const origin = Math.round(wallMs() * 1e6);
  const readings = [];
  for (let i = 0; i < READINGS; i++) {
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
  return { apiVersion: 'v3', id: eventId(prefix, seq), deviceName, profileName: 'Boiler-Profile', sourceName: 'AllValues', origin, readings };
}

interface PublishPlan {
  base: string;
  prefix: string;
  /** Stop after this many events, or when the time is up, whichever comes first. */
  events: number;
  durationMs: number;
  /** Events taken off the loop's hands so far (received by the subscriber, or by the pipeline). */
  done: () => number;
  /** Resolves when `done` may have moved. */
  changed: () => Promise<void>;
}

/** Publishes as fast as WINDOW allows; resolves with the count and when the first went out. */
async function publish(bus: MessageBus, plan: PublishPlan): Promise<{ published: number; firstAt: number }> {
  const topics = new Topics(plan.base);
  const end = performance.now() + plan.durationMs;
  const firstAt = wallMs();
  let published = 0;
  let failure: unknown;
  while (published < plan.events && performance.now() < end) {
    if (failure) throw failure;
    if (published - plan.done() >= WINDOW) {
      await plan.changed();
      continue;
    }
    const event = syntheticEvent(plan.prefix, published);
    const topic = topics.deviceEvent('device-bench', event.profileName, event.deviceName, event.sourceName);
    bus.publish(topic, newEnvelope({ apiVersion: 'v3', requestId: randomUUID(), event })).catch((err: unknown) => (failure ??= err));
    published++;
    // The pipeline, outbox worker and sink share this thread.
    if (published % 100 === 0) await nextTurn();
  }
  return { published, firstAt };
}

// ---- Mosquitto -------------------------------------------------------------


/** Starts Mosquitto on 127.0.0.1:port; resolves with the process once it logs that it is running. */
function startMosquitto(dir: string, port: number): Promise<ChildProcess> {
  const conf = join(dir, `mosquitto-${port}.conf`);
  // No per-client queue limit: the subscriber must never be where records get lost.
  // No in-flight limit either (default 20): a durable subscriber's maxInFlight says how many it takes.
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'log_dest stderr', 'persistence false', 'max_queued_messages 0', 'max_inflight_messages 0', ''].join('\n'),
  );
  return new Promise((done, fail) => {
    const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`mosquitto did not start within 10 s: ${log}`));
    }, 10_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`mosquitto exited (${code}): ${log}`));
    });
    child.stderr!.on('data', (d: Buffer) => {
      // Kept short: the pipe must be read for as long as it runs, the text only matters at start.
      if (log.length < 4096) log += d.toString();
      if (/ running/.test(log)) {
        clearTimeout(timer);
        done(child);
      }
    });
  });
}

/** Everything spawned, killed on the way out whatever happened. */
const children = new Set<ChildProcess>();

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

// ---- the subscriber (a child process: its work and memory are not the app service's) ----

interface SubscriberFigures {
  messages: number;
  /** Distinct event ids received, and their readings. */
  records: number;
  readings: number;
  duplicates: number;
  firstAt: number;
  lastAt: number;
}

class Subscriber {
  figures: SubscriberFigures = { messages: 0, records: 0, readings: 0, duplicates: 0, firstAt: 0, lastAt: 0 };
  private waiters: Array<() => void> = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: SubscriberFigures | { error: string } | 'ready') => {
      if (typeof m === 'object' && 'messages' in m) this.figures = m;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Forks the subscriber; it connects only when told, so it can be ready before its broker is. */
  static async fork(): Promise<Subscriber> {
    const child = fork(__filename, ['--subscriber'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`subscriber exited (${code})`)));
    });
    return new Subscriber(child);
  }

  /** Connects and subscribes (QoS 1); resolves once the broker granted the subscription. */
  async subscribe(url: string, topic: string): Promise<void> {
    const answer = new Promise<unknown>((resolve) => this.child.once('message', resolve));
    this.child.send({ url, topic });
    const m = await answer;
    if (m !== 'ready') throw new Error(`subscriber: ${(m as { error?: string }).error ?? JSON.stringify(m)}`);
  }

  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Waits until `ok()` holds or `ms` passed; says which. */
  async until(ok: () => boolean, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (!ok()) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await Promise.race([this.changed(), sleep(Math.min(left, 100))]);
    }
    return true;
  }

  close(): Promise<void> {
    return stop(this.child);
  }
}

/** The child's side: one mqtt.js client, a bitmap of the sequence numbers seen. */
function runSubscriber(): void {
  const send = (m: unknown) => process.send?.(m);
  process.send?.('started');
  process.on('disconnect', () => process.exit(0));
  process.once('message', ({ url, topic }: { url: string; topic: string }) => {
    const figures: SubscriberFigures = { messages: 0, records: 0, readings: 0, duplicates: 0, firstAt: 0, lastAt: 0 };
    let seen = new Uint8Array(1 << 16);
    const client = mqtt.connect(url, { clientId: `bench-export-sub-${randomBytes(4).toString('hex')}`, clean: true, reconnectPeriod: 500 });
    client.on('error', (err) => send({ error: err.message }));
    client.once('connect', () => {
      client.subscribe(topic, { qos: 1 }, (err) => send(err ? { error: err.message } : 'ready'));
    });
    client.on('message', (_topic, payload) => {
      const at = wallMs();
      const records = JSON.parse(payload.toString()) as Array<{ id: string; readings: Record<string, unknown> }>;
      for (const record of records) {
        const seq = seqOf(record.id);
        if (seq >= seen.length) {
          const grown = new Uint8Array(Math.max(seq + 1, seen.length * 2));
          grown.set(seen);
          seen = grown;
        }
        if (seen[seq]) {
          figures.duplicates++;
          continue;
        }
        seen[seq] = 1;
        figures.records++;
        figures.readings += Object.keys(record.readings).length;
      }
      figures.messages++;
      figures.firstAt ||= at;
      figures.lastAt = at;
      send(figures);
    });
  });
}

// ---- the app service -------------------------------------------------------

const noActuators: ActuatorPorts = {
  profileOf: () => Promise.reject(new Error('not used by the export benchmark')),
  get: () => Promise.reject(new Error('not used by the export benchmark')),
  set: () => Promise.reject(new Error('not used by the export benchmark')),
};

interface Stack {
  app: RunningAppService;
  bus: MessageBus;
  base: string;
  topic: string;
  dataDir: string;
  close(): Promise<void>;
}

interface StackOptions {
  /** The bus between the publisher and the app service: in-process (default) or this MQTT broker. */
  busUrl?: string;
  maxInFlight?: number;
}

async function startStack(dir: string, brokerPort: number, maxRecords: number, options: StackOptions = {}): Promise<Stack> {
  const runId = randomBytes(4).toString('hex');
  const base = `bench-export-${runId}`;
  const topic = `bench/${runId}/telemetry`;
  const dataDir = join(dir, `app-service-${runId}`);
  mkdirSync(dataDir);
  const yaml = `
sinks:
  - name: cloud
    type: mqtt
    url: mqtt://127.0.0.1:${brokerPort}
    topic: ${topic}
    qos: 1
    outbox: { maxRecords: ${Math.max(maxRecords, 1_000_000)} }
pipelines:
  - name: bench
    transform: flat
    batch: { count: ${BATCH}, interval: 100ms }
    sinks: [cloud]
`;
  const pipelines = parsePipelinesFile(yaml, 'bench-pipelines.yaml', { topicBase: base });
  const broker = new MemoryBroker();
  const busConfig = (role: string) =>
    options.busUrl ? ({ type: 'mqtt', url: options.busUrl, clientId: `bench-${role}-${runId}` } as const) : ({ type: 'memory', broker } as const);
  const appBus = createMessageBus(busConfig('app'));
  const bus = createMessageBus(busConfig('publisher'));
  await appBus.connect();
  await bus.connect();
  const logger = createLogger('app-service', LOG_LEVEL);
  const app = await startAppService(
    { host: '127.0.0.1', port: 0, topicBase: base, dataDir, durableName: `bench-${runId}`, maxInFlight: options.maxInFlight },
    { bus: appBus, logger, pipelines, actuators: noActuators },
  );
  return {
    app,
    bus,
    base,
    topic,
    dataDir,
    close: async () => {
      await app.close();
      await bus.close();
      await appBus.close();
    },
  };
}

const route = (stack: Stack) => stack.app.figures.routes()[0];
/** Events the pipeline committed to the outbox (its handler resolved: the bus may acknowledge them). */
const pipelineExported = (stack: Stack) => stack.app.figures.pipelines()[0].exported;

function fileMb(...files: string[]): number {
  return files.reduce((n, f) => n + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0) / MB;
}

// ---- the phases ------------------------------------------------------------

async function throughput(dir: string): Promise<{ readingsPerSec: number; lost: number }> {
  const port = await freePort();
  let broker: ChildProcess | undefined;
  let subscriber: Subscriber | undefined;
  let stack: Stack | undefined;
  try {
    broker = await startMosquitto(dir, port);
    const sub = (subscriber = await Subscriber.fork());
    stack = await startStack(dir, port, 0);
    await sub.subscribe(`mqtt://127.0.0.1:${port}`, stack.topic);
    const s = stack;
    if (!(await sub.until(() => route(s).connected, 10_000))) throw new Error('the MQTT sink did not connect');

    const { published, firstAt } = await publish(s.bus, {
      base: s.base,
      prefix: randomBytes(4).toString('hex'),
      events: Infinity,
      durationMs: SECONDS * 1000,
      done: () => sub.figures.records,
      changed: () => sub.changed(),
    });
    await sub.until(() => sub.figures.records >= published, 60_000);
    const f = sub.figures;
    const readingsPerSec = f.readings / ((f.lastAt - firstAt) / 1000);
    const lost = published * READINGS - f.readings;
    console.log(`export-throughput: ${Math.round(readingsPerSec)} readings/s (${Math.round(readingsPerSec / READINGS)} events/s)`);
    console.log(`export-throughput-published: ${published} events, ${published * READINGS} readings`);
    console.log(`export-throughput-received: ${f.readings} readings in ${f.messages} MQTT messages`);
    console.log(`export-throughput-batch-mean: ${Math.round(f.records / Math.max(f.messages, 1))} records per message`);
    console.log(`export-throughput-lost: ${lost} readings`);
    console.log(`export-throughput-duplicates: ${f.duplicates} records`);
    return { readingsPerSec, lost };
  } finally {
    await stack?.close();
    await subscriber?.close();
    await stop(broker);
  }
}

interface DrainResult {
  readingsPerSec: number;
  lost: number;
  peakRssMb: number;
}

async function outageAndDrain(dir: string): Promise<DrainResult> {
  const port = await freePort(); // nothing listens here until the outage ends
  let broker: ChildProcess | undefined;
  let subscriber: Subscriber | undefined;
  let stack: Stack | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const sub = (subscriber = await Subscriber.fork());
    stack = await startStack(dir, port, BACKLOG_EVENTS);
    const s = stack;
    if (route(s).connected) throw new Error(`something already listens on port ${port}`);

    const { published, firstAt } = await publish(s.bus, {
      base: s.base,
      prefix: randomBytes(4).toString('hex'),
      events: BACKLOG_EVENTS,
      durationMs: Infinity,
      done: () => pipelineExported(s),
      changed: () => nextTurn(),
    });
    while (pipelineExported(s) < published) await nextTurn();
    const ingestMs = wallMs() - firstAt;
    const stored = route(s);
    const rest = (await (await fetch(`${s.app.url}/api/v3/exports`)).json()) as { routes: Array<{ pending: number }> };
    const dropped = Object.values(stored.dropped).reduce((a, b) => a + b, 0);
    console.log(`export-outage-ingest: ${Math.round((published * READINGS) / (ingestMs / 1000))} readings/s into the outbox, sink down`);
    console.log(
      `export-outage-pending: ${rest.routes[0].pending} records, ${rest.routes[0].pending * READINGS} readings ` +
        `(published ${published} events, dropped ${dropped}, retries ${stored.retries})`,
    );
    const db = join(s.dataDir, 'app-service-outbox.db');
    console.log(`export-outage-outbox-file: ${fileMb(db, `${db}-wal`).toFixed(0)} MB`);
    if (stored.pending !== published || dropped > 0) throw new Error(`the outbox holds ${stored.pending} of ${published} records (dropped ${dropped})`);

    const rssBefore = process.memoryUsage().rss / MB;
    let peakRss = rssBefore;
    sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss / MB)), 100);

    broker = await startMosquitto(dir, port);
    const brokerAt = wallMs();
    await sub.subscribe(`mqtt://127.0.0.1:${port}`, s.topic);
    // The sink reconnects on its own 2 s period: had it published before the subscription, the broker would have discarded it.
    if (route(s).exported > 0 || sub.figures.messages > 0) throw new Error('the sink delivered before the subscriber was subscribed');

    const drained = await sub.until(() => sub.figures.records >= published && route(s).pending === 0, 600_000);
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss / MB);
    const f = sub.figures;
    const drainSec = (f.lastAt - f.firstAt) / 1000;
    const lost = published * READINGS - f.readings;
    const readingsPerSec = f.readings / drainSec;
    if (!drained) console.log(`export-drain: incomplete after 600 s (pending ${route(s).pending})`);
    console.log(`export-drain-first-delivery: ${Math.round(f.firstAt - brokerAt)} ms after the broker was running`);
    console.log(`export-drain-time: ${drainSec.toFixed(2)} s (first to last message at the subscriber)`);
    console.log(`export-drain-records: ${Math.round(f.records / drainSec)} records/s`);
    console.log(`export-drain-readings: ${Math.round(readingsPerSec)} readings/s`);
    console.log(`export-drain-lost: ${lost} readings (expected ${published * READINGS}, received ${f.readings})`);
    console.log(`export-drain-duplicates: ${f.duplicates} records`);
    console.log(`export-drain-rss-before: ${Math.round(rssBefore)} MB`);
    console.log(`export-drain-peak-rss: ${Math.round(peakRss)} MB`);
    return { readingsPerSec, lost, peakRssMb: peakRss };
  } finally {
    clearInterval(sampler);
    await stack?.close();
    await subscriber?.close();
    await stop(broker);
  }
}

/** Phase (3): INGEST_EVENTS events into the outbox with the sink down; readings/s and records per commit. */
async function steadyIngest(dir: string, bus: 'in-process' | 'mqtt', maxInFlight: number): Promise<number> {
  const sinkPort = await freePort(); // nothing listens: the records stay in the outbox
  let broker: ChildProcess | undefined;
  let stack: Stack | undefined;
  try {
    let busUrl: string | undefined;
    if (bus === 'mqtt') {
      const port = await freePort();
      broker = await startMosquitto(dir, port);
      busUrl = `mqtt://127.0.0.1:${port}`;
    }
    stack = await startStack(dir, sinkPort, INGEST_EVENTS, { busUrl, maxInFlight });
    const s = stack;
    const { published, firstAt } = await publish(s.bus, {
      base: s.base,
      prefix: randomBytes(4).toString('hex'),
      events: INGEST_EVENTS,
      durationMs: Infinity,
      done: () => pipelineExported(s),
      changed: () => nextTurn(),
    });
    while (pipelineExported(s) < published) await nextTurn();
    const seconds = (wallMs() - firstAt) / 1000;
    const readingsPerSec = (published * READINGS) / seconds;
    const commits = s.app.figures.outbox().commits;
    const name = `export-ingest-${bus}-in-flight-${maxInFlight}`;
    console.log(`${name}: ${Math.round(readingsPerSec)} readings/s into the outbox (${Math.round(published / seconds)} events/s, ${(published / commits).toFixed(1)} records per commit)`);
    if (route(s).pending !== published) throw new Error(`the outbox holds ${route(s).pending} of ${published} records`);
    return readingsPerSec;
  } finally {
    await stack?.close();
    await stop(broker);
  }
}

async function main(): Promise<void> {
  console.log(
    `export benchmark: ${DEVICES} devices x ${READINGS} readings per event, in-process bus -> pipeline (flat, batch ${BATCH}/100ms) ` +
      `-> SQLite outbox -> MQTT sink -> Mosquitto; ${SECONDS} s closed loop (${WINDOW} events in flight), ` +
      `then an outage of ${BACKLOG_EVENTS * READINGS} readings and its drain, then ${INGEST_EVENTS * READINGS} readings into the outbox ` +
      `per bus (in-process, MQTT) and maxInFlight (${IN_FLIGHT.join(', ')})`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-export-'));
  // Mosquitto run as root drops to the mosquitto user; it must still read its config here.
  chmodSync(dir, 0o777);
  const cleanup = () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  try {
    const t = await throughput(dir);
    const d = await outageAndDrain(dir);
    for (const bus of ['in-process', 'mqtt'] as const) {
      for (const maxInFlight of IN_FLIGHT) await steadyIngest(dir, bus, maxInFlight);
    }
    console.log(`export-zero-loss: ${t.lost === 0 && d.lost === 0 ? 'yes' : 'NO'}`);
    console.log(
      `export-summary: ${Math.round(t.readingsPerSec)} readings/s (drain ${Math.round(d.readingsPerSec)} readings/s, ` +
        `peak RSS ${Math.round(d.peakRssMb)} MB, lost ${t.lost + d.lost})`,
    );
  } finally {
    cleanup();
  }
}

if (process.argv[2] === '--subscriber') {
  runSubscriber();
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
