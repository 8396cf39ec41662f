/**
 * Message-bus throughput and publish-to-receive latency, per implementation
 * (in-process, MQTT on the machine's Mosquitto, Redis on the machine's Redis),
 * for a plain and a durable subscriber, with a realistic EdgeX event payload.
 *
 * Throughput: the publisher keeps at most WINDOW messages published but not
 * yet received. An open-loop flood would only measure how fast a broker queue
 * overflows (the machine's Mosquitto drops beyond 1,000 queued per client),
 * not what the gateway sustains without loss.
 * Latency (p50/p99, publish() call to handler): a separate phase with one
 * message in flight, so it is the bus's own latency, not queueing behind the
 * window.
 *
 * Durable consume with a group commit: a durable subscriber whose handler
 * resolves every message it holds when a simulated 2 ms commit (shared by all
 * of them) ends, as core-data's crash-safe mode does, with maxInFlight 1
 * (one message per commit) and BENCH_BUS_MAX_IN_FLIGHT; the publisher keeps
 * at most BENCH_BUS_GROUP_WINDOW messages not yet handed to the handler
 * (the machine's Mosquitto queues at most 1,000 per session beyond what it has
 * in flight, and drops the rest).
 *
 * Env: BENCH_BUS_MESSAGES (20000), BENCH_BUS_WINDOW (500),
 * BENCH_BUS_LATENCY_MESSAGES (2000), BENCH_BUS_IMPLS (memory,mqtt,redis),
 * BENCH_BUS_MAX_IN_FLIGHT (1000), BENCH_BUS_GROUP_WINDOW (1000),
 * BENCH_BUS_COMMIT_MS (2), MQTT_URL, REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import { BusConfig, createMessageBus, encodeEnvelope, MemoryBroker, newEnvelope } from '@gw/messaging';

/** Messages received so far, and a wait for the n-th: the publisher's window and the end of a run. */
class ArrivalCounter {
  received = 0;
  private wake?: () => void;

  add(): void {
    this.received++;
    this.wake?.();
  }

  arrived(n: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.received >= n) return resolve();
      this.wake = () => {
        if (this.received >= n) {
          this.wake = undefined;
          resolve();
        }
      };
    });
  }
}

const MESSAGES = Number(process.env.BENCH_BUS_MESSAGES ?? 20_000);
const WARMUP = Math.min(2_000, MESSAGES);
const WINDOW = Number(process.env.BENCH_BUS_WINDOW ?? 500);
const LATENCY_MESSAGES = Number(process.env.BENCH_BUS_LATENCY_MESSAGES ?? 2_000);
const MAX_IN_FLIGHT = Number(process.env.BENCH_BUS_MAX_IN_FLIGHT ?? 1_000);
const GROUP_WINDOW = Number(process.env.BENCH_BUS_GROUP_WINDOW ?? 1_000);
const COMMIT_MS = Number(process.env.BENCH_BUS_COMMIT_MS ?? 2);
const IMPLS = (process.env.BENCH_BUS_IMPLS ?? 'memory,mqtt,redis').split(',').map((s) => s.trim());
const runId = randomUUID().slice(0, 8);

interface Result {
  throughput: number;
  p50: number;
  p99: number;
}

/** An EdgeX v3 AddEventRequest with 5 readings, as a device service publishes it (~1.6 kB of JSON). */
function edgexEvent(seq: number): unknown {
  const origin = Date.now() * 1_000_000;
  const common = { origin, deviceName: 'boiler-7', profileName: 'Boiler-Modbus', valueType: 'Float32' };
  const readings = ['temperature', 'pressure', 'flow', 'level', 'power'].map((resourceName, i) => ({
    id: randomUUID(),
    ...common,
    resourceName,
    units: ['degC', 'bar', 'm3/h', '%', 'kW'][i],
    value: (20 + i + (seq % 100) / 10).toFixed(2),
  }));
  return {
    apiVersion: 'v3',
    requestId: randomUUID(),
    event: {
      apiVersion: 'v3',
      id: randomUUID(),
      deviceName: 'boiler-7',
      profileName: 'Boiler-Modbus',
      sourceName: 'AllValues',
      origin,
      readings,
      seq,
    },
  };
}

async function measure(label: string, config: BusConfig, durable: boolean): Promise<Result> {
  const pub = createMessageBus(config);
  const sub = createMessageBus(config);
  await pub.connect();
  await sub.connect();
  const base = `bench-${runId}`;
  const topic = `${base}/events/device/modbus/Boiler-Modbus/boiler-7/AllValues`;
  const durableName = durable ? `bench-${label}-${runId}` : undefined;
  const total = WARMUP + MESSAGES + LATENCY_MESSAGES;
  const sentAt = new Float64Array(total);
  const receivedAt = new Float64Array(total);
  const counter = new ArrivalCounter();
  let failure: unknown;


  /** Publishes seq [from, to) keeping at most `window` in flight; resolves when all arrived. */
  const phase = async (from: number, to: number, window: number): Promise<number> => {
    const started = performance.now();
    for (let seq = from; seq < to; seq++) {
      if (seq - counter.received >= window) await counter.arrived(seq - window + 1);
      if (failure) throw failure;
      const envelope = newEnvelope(edgexEvent(seq), { correlationID: String(seq) });
      sentAt[seq] = performance.now();
      pub.publish(topic, envelope).catch((err: unknown) => (failure ??= err));
    }
    await withDeadline(counter.arrived(to), 120_000, `${label}: ${to - counter.received} messages never arrived`);
    return (performance.now() - started) / 1000;
  };

  try {
    const subscription = await sub.subscribe(
      `${base}/events/#`,
      (envelope) => {
        receivedAt[Number(envelope.correlationID)] = performance.now();
        counter.add();
      },
      { durable: durableName },
    );
    await phase(0, WARMUP, WINDOW);
    const elapsed = await phase(WARMUP, WARMUP + MESSAGES, WINDOW);
    // One message at a time: latency of the bus itself, not of queueing behind the window.
    await phase(WARMUP + MESSAGES, total, 1);
    await subscription.unsubscribe();

    const latency = Float64Array.from({ length: LATENCY_MESSAGES }, (_, i) => {
      const seq = WARMUP + MESSAGES + i;
      return receivedAt[seq] - sentAt[seq];
    }).sort();
    return {
      throughput: MESSAGES / elapsed,
      p50: latency[Math.floor(LATENCY_MESSAGES * 0.5)],
      p99: latency[Math.floor(LATENCY_MESSAGES * 0.99)],
    };
  } finally {
    if (durableName) await sub.deleteDurable(durableName).catch(() => undefined);
    await Promise.all([pub.close(), sub.close()]);
  }
}

/**
 * Durable consume throughput when every message waits for a commit: the
 * handler's promises are resolved together when the commit in progress ends
 * (COMMIT_MS); messages arriving meanwhile wait for the next one.
 */
async function measureGroupCommit(label: string, config: BusConfig, maxInFlight: number, messages: number): Promise<number> {
  const pub = createMessageBus(config);
  const sub = createMessageBus(config);
  await pub.connect();
  await sub.connect();
  const base = `bench-${runId}`;
  const topic = `${base}/events/device/modbus/Boiler-Modbus/boiler-7/AllValues`;
  const durableName = `bench-${label}-${runId}`;
  const counter = new ArrivalCounter();
  let failure: unknown;
  let waiting: Array<() => void> = [];
  let committing = false;
  const commit = (): void => {
    if (committing || waiting.length === 0) return;
    committing = true;
    const batch = waiting;
    waiting = [];
    setTimeout(() => {
      committing = false;
      for (const resolve of batch) resolve();
      commit();
    }, COMMIT_MS);
  };
  try {
    const subscription = await sub.subscribe(
      `${base}/events/#`,
      () => {
        counter.add();
        return new Promise<void>((resolve) => {
          waiting.push(resolve);
          commit();
        });
      },
      { durable: durableName, maxInFlight },
    );
    const started = performance.now();
    for (let seq = 0; seq < messages; seq++) {
      if (seq - counter.received >= GROUP_WINDOW) await counter.arrived(seq - GROUP_WINDOW + 1);
      if (failure) throw failure;
      pub.publish(topic, newEnvelope(edgexEvent(seq), { correlationID: String(seq) })).catch((err: unknown) => (failure ??= err));
    }
    await withDeadline(counter.arrived(messages), 120_000, `${label}: ${messages - counter.received} messages never arrived`);
    const elapsed = (performance.now() - started) / 1000;
    await subscription.unsubscribe();
    return messages / elapsed;
  } finally {
    await sub.deleteDurable(durableName).catch(() => undefined);
    await Promise.all([pub.close(), sub.close()]);
  }
}

async function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Removes the streams and registry entries the Redis runs created on the shared server. */
async function cleanRedis(url: string, keyPrefix: string): Promise<void> {
  const redis = createClient({ url, socket: { reconnectStrategy: false } });
  redis.on('error', () => undefined); // connect() and the commands reject with it
  await redis.connect();
  try {
    for await (const keys of redis.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 1000 })) if (keys.length) await redis.del(keys);
  } finally {
    redis.destroy();
  }
}

function configFor(impl: string): BusConfig {
  switch (impl) {
    case 'memory':
      return { type: 'memory', broker: new MemoryBroker() };
    case 'mqtt':
      return { type: 'mqtt', url: process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883', connectTimeoutMs: 5_000 };
    case 'redis':
      return {
        type: 'redis',
        url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        connectTimeoutMs: 5_000,
        keyPrefix: `gwbench:${runId}:`,
      };
    default:
      throw new Error(`unknown bus implementation "${impl}"`);
  }
}

async function main(): Promise<void> {
  console.log(
    `bus benchmark: EdgeX event with 5 readings; throughput over ${MESSAGES} messages (window ${WINDOW}) ` +
      `after ${WARMUP} warm-up; latency over ${LATENCY_MESSAGES} messages sent one at a time`,
  );
  // What one event costs a broker queue (sizing Mosquitto's max_queued_bytes in deploy/mosquitto/mosquitto.conf).
  console.log(`bus-envelope-size: ${encodeEnvelope(newEnvelope(edgexEvent(0))).length} bytes (one event of 5 readings, as published)`);
  const throughputs: number[] = [];
  for (const impl of IMPLS) {
    const config = configFor(impl);
    for (const durable of [false, true]) {
      const label = `${impl}${durable ? '-durable' : ''}`;
      try {
        const r = await measure(label, config, durable);
        throughputs.push(r.throughput);
        console.log(`bus-${label}-throughput: ${Math.round(r.throughput)} msg/s`);
        console.log(`bus-${label}-latency-p50: ${r.p50.toFixed(2)} ms`);
        console.log(`bus-${label}-latency-p99: ${r.p99.toFixed(2)} ms`);
      } catch (err) {
        console.log(`bus-${label}: skipped (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    for (const maxInFlight of [1, MAX_IN_FLIGHT]) {
      const label = `${impl}-durable-commit${COMMIT_MS}ms-inflight${maxInFlight}`;
      // One message per commit with maxInFlight 1: fewer of them, or the run takes minutes.
      const messages = maxInFlight === 1 ? Math.min(1_000, MESSAGES) : MESSAGES;
      try {
        const throughput = await measureGroupCommit(label, config, maxInFlight, messages);
        console.log(`bus-${label}-throughput: ${Math.round(throughput)} msg/s`);
      } catch (err) {
        console.log(`bus-${label}: skipped (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    if (config.type === 'redis') await cleanRedis(config.url as string, config.keyPrefix as string).catch(() => undefined);
  }
  if (throughputs.length === 0) throw new Error('no bus implementation could be measured');
  // The figure to compare across runs: what the slowest configured path sustains.
  console.log(`bus-throughput-min: ${Math.round(Math.min(...throughputs))} msg/s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
