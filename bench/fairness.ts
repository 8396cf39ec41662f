/**
 * Fair under load in one process: do device polling and storage keep their
 * schedule while REST clients read history?
 *
 * Runs the built one-process gateway (dist/apps/gateway/src/main.js, with the
 * node flags of `npm start`) as a child process on a temp data folder and free
 * ports, with BENCH_FAIRNESS_DEVICES virtual devices (Virtual-Floats, Climate:
 * 3 readings) polled every BENCH_FAIRNESS_INTERVAL. core-data is first seeded
 * (over REST) so every `limit` page is full, then:
 *   quiet: events stored per second for BENCH_FAIRNESS_SECONDS;
 *   load:  the same while BENCH_FAIRNESS_CLIENTS keep-alive clients (this
 *          process, not the gateway's) read GET /api/v3/reading/all?limit=...
 *          in a loop, each sending its next request once the last answer is read.
 * Stored events are counted with core-data's gw_core_data_events_persisted_total
 * (GET /api/v3/metrics) at each phase's start and end. Printed: stored events/s quiet and under load, their
 * ratio (goal >= 90 %), REST requests/s, p50/p99/max latency, 503s.
 *
 * Env: BENCH_FAIRNESS_SECONDS (15 per phase), BENCH_FAIRNESS_DEVICES (20),
 * BENCH_FAIRNESS_INTERVAL (100ms), BENCH_FAIRNESS_CLIENTS (100),
 * BENCH_FAIRNESS_LIMIT (1000), BENCH_FAIRNESS_SEED_READINGS (100,000).
 * GW_* variables are passed to the gateway, e.g.
 * GW_CORE_DATA_MAX_CONCURRENT_QUERIES=1000 for the figure without admission control.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDuration } from '@gw/contracts';
import { DRIVERS } from '@gw/drivers';
import { servicePortVariable } from '@gw/device-sdk/driver-host';
import { gatewayNodeArgs, ROOT } from './support/gateway-command';

const SECONDS = Number(process.env.BENCH_FAIRNESS_SECONDS ?? 15);
const DEVICES = Number(process.env.BENCH_FAIRNESS_DEVICES ?? 20);
const INTERVAL = process.env.BENCH_FAIRNESS_INTERVAL ?? '100ms';
const CLIENTS = Number(process.env.BENCH_FAIRNESS_CLIENTS ?? 100);
const LIMIT = Number(process.env.BENCH_FAIRNESS_LIMIT ?? 1000);
const SEED_READINGS = Number(process.env.BENCH_FAIRNESS_SEED_READINGS ?? 100_000);
const SEED_READINGS_PER_EVENT = 50;
const SEED_CONCURRENCY = 50;
const PROFILE = 'Virtual-Floats';
const SOURCE = 'Climate';

function deviceName(i: number): string {
  return `Fair-${String(i).padStart(2, '0')}`;
}

/** A device definition file of device-virtual: every device polls Climate on the bench's interval. */
function deviceFile(): string {
  const devices = Array.from({ length: DEVICES }, (_, i) =>
    [
      `  - name: ${deviceName(i)}`,
      `    profileName: ${PROFILE}`,
      `    protocols: { other: { Address: fair-${i} } }`,
      `    autoEvents: [{ interval: ${INTERVAL}, sourceName: ${SOURCE} }]`,
    ].join('\n'),
  );
  return `deviceList:\n${devices.join('\n')}\n`;
}

interface Gateway {
  coreData: string;
  deviceVirtual: string;
  stop(): Promise<void>;
}

async function startGatewayProcess(dataDir: string, devicesDir: string): Promise<Gateway> {
  const env = {
    ...process.env,
    GW_DATA_DIR: dataDir,
    GW_DEVICES_DIR: devicesDir,
    GW_HOST: '127.0.0.1',
    GW_LOG_LEVEL: 'info',
    GW_METADATA_PORT: '0',
    GW_CORE_COMMAND_PORT: '0',
    GW_CORE_DATA_PORT: '0',
    GW_APP_SERVICE_PORT: '0',
    GW_CONSOLE_PORT: '0',
    ...Object.fromEntries(DRIVERS.map((driver) => [servicePortVariable(driver), '0'])),
  };
  const child = spawn(process.execPath, gatewayNodeArgs(), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const urls = await new Promise<{ coreData: string; 'device-virtual': string }>((resolveReady, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (line.includes('"gateway ready"')) resolveReady(JSON.parse(line));
        else if (/"level":(50|60)/.test(line)) process.stderr.write(line + '\n');
      });
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code} before it was ready`)));
    });
    return { coreData: urls.coreData, deviceVirtual: urls['device-virtual'], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The sum of a metric's series on a service's GET /api/v3/metrics (which never waits behind history queries). */
async function metric(service: string, name: string): Promise<number> {
  const res = await fetch(`${service}/api/v3/metrics`);
  if (res.status !== 200) throw new Error(`GET ${service}/api/v3/metrics answered ${res.status}`);
  let sum = 0;
  for (const line of (await res.text()).split('\n')) {
    if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Readings for full pages: REST adds of SEED_READINGS_PER_EVENT readings each, SEED_CONCURRENCY at a time. */
async function seed(coreData: string): Promise<void> {
  const events = Math.ceil(SEED_READINGS / SEED_READINGS_PER_EVENT);
  let next = 0;
  const poster = async () => {
    while (next < events) {
      const device = deviceName(next++ % DEVICES);
      const origin = Date.now() * 1e6;
      const readings = Array.from({ length: SEED_READINGS_PER_EVENT }, (_, r) => ({
        id: randomUUID(),
        origin: origin + r,
        deviceName: device,
        resourceName: 'Temperature',
        profileName: PROFILE,
        valueType: 'Float32',
        units: 'degC',
        value: (20 + (r % 100) / 10).toFixed(1),
      }));
      const event = { apiVersion: 'v3', id: randomUUID(), deviceName: device, profileName: PROFILE, sourceName: SOURCE, origin, readings };
      const res = await fetch(`${coreData}/api/v3/event/device-virtual/${PROFILE}/${device}/${SOURCE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'v3', event }),
      });
      if (res.status !== 201) throw new Error(`seeding: POST /event answered ${res.status}: ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, poster));
}

interface Phase {
  seconds: number;
  /** Events core-data stored, per second. */
  stored: number;
  /** Events device-virtual published, per second. */
  published: number;
  /** autoEvent ticks skipped (the previous read still running, or the process stalled). */
  skipped: number;
}

/** What the gateway did in `seconds`, by its own counters. */
async function phase(gateway: Gateway, seconds: number): Promise<Phase> {
  const figures = () =>
    Promise.all([
      metric(gateway.coreData, 'gw_core_data_events_persisted_total'),
      metric(gateway.deviceVirtual, 'gw_device_events_published_total'),
      metric(gateway.deviceVirtual, 'gw_device_autoevent_skipped_ticks_total'),
    ]);
  const before = await figures();
  const started = performance.now();
  await sleep(seconds * 1000);
  const after = await figures();
  const elapsed = (performance.now() - started) / 1000;
  return { seconds: elapsed, stored: (after[0] - before[0]) / elapsed, published: (after[1] - before[1]) / elapsed, skipped: after[2] - before[2] };
}

interface Load {
  requests: number;
  unavailable: number;
  failed: number;
  latencies: number[];
  stop(): Promise<void>;
}

/** CLIENTS keep-alive clients (fetch keeps connections open), each with one request at a time. */
function readHistory(coreData: string): Load {
  const url = `${coreData}/api/v3/reading/all?limit=${LIMIT}`;
  let running = true;
  const load: Load = { requests: 0, unavailable: 0, failed: 0, latencies: [], stop: async () => undefined };
  const client = async () => {
    while (running) {
      const sent = performance.now();
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        load.latencies.push(performance.now() - sent);
        load.requests++;
        if (res.status === 503) {
          load.unavailable++;
          await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
        } else if (res.status !== 200) {
          load.failed++;
        }
      } catch {
        load.failed++;
      }
    }
  };
  const clients = Promise.all(Array.from({ length: CLIENTS }, client));
  load.stop = async () => {
    running = false;
    await clients;
  };
  return load;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-fairness-'));
  const devicesDir = join(dataDir, 'devices');
  mkdirSync(join(devicesDir, 'device-virtual'), { recursive: true });
  writeFileSync(join(devicesDir, 'device-virtual', 'fairness.yaml'), deviceFile());
  const gateway = await startGatewayProcess(join(dataDir, 'data'), devicesDir);
  try {
    await seed(gateway.coreData);
    // The devices' first polls and the seed's last commits are behind us.
    await sleep(2_000);
    const quiet = await phase(gateway, SECONDS);
    const load = readHistory(gateway.coreData);
    // Every client has its first request out before counting starts.
    await sleep(1_000);
    const requestsBefore = load.requests;
    load.latencies.length = 0;
    const loaded = await phase(gateway, SECONDS);
    const requests = load.requests - requestsBefore;
    const latencies = [...load.latencies].sort((a, b) => a - b);
    await load.stop();
    const expected = (DEVICES * 1000) / parseDuration(INTERVAL);
    console.log(`fairness-setup: ${DEVICES} devices every ${INTERVAL} (${expected} polls/s), ${CLIENTS} clients reading limit=${LIMIT}, ${SECONDS} s per phase`);
    for (const [name, p] of [['quiet', quiet], ['load', loaded]] as const) {
      console.log(`fairness-${name}-published: ${p.published.toFixed(1)} events/s (${p.skipped} ticks skipped)`);
      console.log(`fairness-${name}-stored: ${p.stored.toFixed(1)} events/s`);
    }
    console.log(`fairness-rest-rate: ${(requests / loaded.seconds).toFixed(1)} requests/s`);
    console.log(`fairness-rest-latency-p50: ${percentile(latencies, 0.5).toFixed(0)} ms`);
    console.log(`fairness-rest-latency-p99: ${percentile(latencies, 0.99).toFixed(0)} ms`);
    console.log(`fairness-rest-latency-max: ${(latencies[latencies.length - 1] ?? NaN).toFixed(0)} ms`);
    console.log(`fairness-rest-503: ${load.unavailable} answers`);
    if (load.failed) console.log(`fairness-rest-failed: ${load.failed} requests (neither 200 nor 503)`);
    console.log(`fairness-ratio: ${((100 * loaded.stored) / quiet.stored).toFixed(1)} % (stored under load / quiet; goal >= 90 %)`);
  } finally {
    await gateway.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
