/**
 * device-opcua with 20,000 monitored items at 1 s sampling: the device
 * service (SDK + OPC UA driver, in-process bus) in this process, apps/opcua-sim
 * in a child process with BENCH_OPCUA_ITEMS Double variables that all change
 * every second. 200 devices of 100 resources each, one autoEvent per device on
 * a deviceCommand of its 100 resources (interval 1s: sampling and publishing
 * interval 1 s), so 200 events of 100 readings per second.
 *
 * After every device's items are created and values flow (warm-up), for
 * BENCH_OPCUA_SECONDS it measures: this process's CPU (user+system, in
 * cores: the device service, driver and bus; the server's apart), events and
 * readings per second reaching a bus subscriber, notification -> event
 * latency (from the driver hearing the data-change notification to the
 * event arriving on the bus: coalescing, transforms, publish; p50/p99/max),
 * polls made by the scheduler (0: autoEvents are monitored), and peak RSS.
 *
 * Env: BENCH_OPCUA_ITEMS (20000), BENCH_OPCUA_PER_DEVICE (100), BENCH_OPCUA_SECONDS (20).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Device, DeviceProfile, Event, validateDevice, validateDeviceProfile } from '@gw/contracts';
import { startDeviceService } from '@gw/device-sdk';
import { staticMetadata } from './support/static-metadata';
import { loadDriverSettings } from '@gw/device-sdk/driver-host';
// A relative path: tsc-alias does not rewrite @gw/drivers/<name> (a wildcard inside the path) in the build.
import { OpcuaDriver, opcuaDriver, OpcuaSettings } from '../libs/drivers/opcua/src';
import { createMessageBus, MessageEnvelope } from '@gw/messaging';
import { createLogger } from '@gw/service-kit';
import { freePort } from './support/free-port';

const ITEMS = Number(process.env.BENCH_OPCUA_ITEMS ?? 20_000);
const PER_DEVICE = Number(process.env.BENCH_OPCUA_PER_DEVICE ?? 100);
const SECONDS = Number(process.env.BENCH_OPCUA_SECONDS ?? 20);
const DEVICES = Math.ceil(ITEMS / PER_DEVICE);
const SIM = resolve(__dirname, '..', 'apps', 'opcua-sim', 'src', 'main.js');


function startSim(port: number, pkiDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [SIM], {
      env: {
        ...process.env,
        GW_OPCUA_SIM_HOST: '127.0.0.1',
        GW_OPCUA_SIM_PORT: String(port),
        GW_OPCUA_SIM_PKI_DIR: pkiDir,
        GW_OPCUA_SIM_BENCH_ITEMS: String(ITEMS),
        GW_OPCUA_SIM_TICK: '1s',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => fail(new Error('opcua-sim did not start within 120 s')), 120_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; endpoint?: string };
        if (entry.msg === 'opcua-sim listening') {
          clearTimeout(timer);
          done({ child, endpoint: entry.endpoint! });
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`opcua-sim exited (${code})`));
    });
  });
}

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

/** CPU time of a process (user + system) in seconds, from /proc (the server's). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
}

async function main(): Promise<void> {
  console.log(
    `opcua benchmark: ${ITEMS} monitored items at 1 s sampling on ${DEVICES} devices of ${PER_DEVICE} resources ` +
      `(node-opcua 2.182.2 server in a child process, every value changing each second), ${SECONDS} s measured`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'opcua-bench-'));
  const opened: Array<() => Promise<unknown>> = [];
  try {
    await measure(dir, opened);
  } finally {
    // Whatever was started is stopped and the temp folder removed, on failure too.
    for (const close of opened.reverse()) await close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The measurement; `opened` gets what to close, as it is started. */
async function measure(dir: string, opened: Array<() => Promise<unknown>>): Promise<void> {
  const logger = createLogger('bench-opcua', 'warn');
  const bus = createMessageBus({ type: 'memory' } as never, logger);
  await bus.connect();
  opened.push(() => bus.close());

  const started = await startSim(await freePort(), join(dir, 'pki'));
  const sim = started.child;
  process.once('exit', () => sim.kill('SIGKILL')); // a crash must not leave the server behind
  opened.push(async () => {
    if (sim.exitCode !== null || sim.signalCode !== null) return;
    const exited = new Promise((r) => sim.once('exit', r));
    sim.kill('SIGTERM');
    await exited;
  });
  const profile: DeviceProfile = validateDeviceProfile({
    name: 'Bench-OPCUA',
    deviceResources: Array.from({ length: PER_DEVICE }, (_, i) => ({ name: `V${i}`, properties: { valueType: 'Float64', readWrite: 'R' }, attributes: { nodeId: '' } })),
    deviceCommands: [{ name: 'All', readWrite: 'R', resourceOperations: Array.from({ length: PER_DEVICE }, (_, i) => ({ deviceResource: `V${i}` })) }],
  });
  const devices: Device[] = [];
  const profiles = new Map<string, DeviceProfile>();
  for (let d = 0; d < DEVICES; d++) {
    // One profile per device: its resources name its own variables (Bench.<n>).
    const own = {
      ...profile,
      name: `Bench-OPCUA-${d}`,
      deviceResources: profile.deviceResources.map((r, i) => ({ ...r, attributes: { nodeId: `ns=2;s=Bench.${d * PER_DEVICE + i}` } })),
    };
    profiles.set(own.name, own);
    devices.push(
      validateDevice({
        name: `bench-${d}`,
        profileName: own.name,
        serviceName: 'device-opcua',
        protocols: { opcua: { Endpoint: started.endpoint } },
        autoEvents: [{ sourceName: 'All', interval: '1s', onChange: false }],
      }),
    );
  }
  const metadata = staticMetadata('device-opcua', devices, profiles);

  /** Per device, when the first notification since its last event arrived. */
  const heard = new Map<string, number>();
  const latencies: number[] = [];
  let measuring = false;
  let events = 0;
  let readings = 0;
  await bus.subscribe('edgex/events/device/#', (envelope: MessageEnvelope) => {
    const event = (envelope.payload as { event: Event }).event;
    const at = heard.get(event.deviceName);
    heard.delete(event.deviceName);
    if (!measuring) return;
    events++;
    readings += event.readings.length;
    if (at !== undefined) latencies.push(performance.now() - at);
  });

  const settings = { ...loadDriverSettings(opcuaDriver, {}), pkiDir: join(dir, 'gateway-pki') } as unknown as OpcuaSettings;
  const driver = new OpcuaDriver(settings, {
    onNotification: (deviceName) => {
      if (!heard.has(deviceName)) heard.set(deviceName, performance.now());
    },
  });

  const t0 = performance.now();
  const service = await startDeviceService(
    { serviceName: 'device-opcua', host: '127.0.0.1', port: 0, logLevel: 'warn', maxEventsInFlight: 50_000 },
    { bus, logger, driver, metadata },
  );
  opened.push(() => service.close());
  await service.ready;
  const placedCount = () => driver.inspect().reduce((n, c) => n + c.items, 0);
  while (placedCount() < ITEMS && performance.now() - t0 < 300_000) await sleep(100);
  await driver.settled();
  const placed = placedCount();
  console.log(`opcua-items-created: ${placed} in ${((performance.now() - t0) / 1000).toFixed(1)} s (${driver.inspect()[0]?.subscriptions ?? 0} subscriptions)`);
  await sleep(5_000); // warm-up: first notifications, JIT

  const cpu0 = process.cpuUsage();
  const sim0 = cpuSecondsOf(sim.pid!);
  const w0 = performance.now();
  measuring = true;
  await sleep(SECONDS * 1000);
  measuring = false;
  const wall = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const simCpu = cpuSecondsOf(sim.pid!) - sim0;
  const stats = service.stats();
  const notifications = await driver.notificationStats();

  latencies.sort((a, b) => a - b);
  console.log(`opcua-events: ${(events / wall).toFixed(1)} events/s, ${Math.round(readings / wall)} readings/s (expected ${DEVICES}/s and ${ITEMS}/s)`);
  console.log(
    `opcua-notification-to-event: p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms, max ${latencies[latencies.length - 1].toFixed(2)} ms (${latencies.length} events)`,
  );
  console.log(`opcua-scheduler-polls: ${stats.autoEvents.reads} (monitored autoEvents: ${stats.autoEvents.monitored}); pushes dropped: ${stats.push.dropped}; notifications ${notifications?.notifications}, duplicates dropped ${notifications?.duplicates}`);
  console.log(`opcua-server-cpu: ${(simCpu / wall).toFixed(2)} cores (node-opcua server, child process)`);
  const heap = process.memoryUsage();
  console.log(
    `opcua-peak-rss: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB (this process: device service, driver, bus; now: heap ${Math.round(heap.heapUsed / 2 ** 20)} MB used of ${Math.round(heap.heapTotal / 2 ** 20)} MB, RSS ${Math.round(heap.rss / 2 ** 20)} MB)`,
  );
  console.log(`opcua-cpu: ${((cpu.user + cpu.system) / 1e6 / wall).toFixed(2)} cores for ${ITEMS} monitored items at 1 s (device service, driver and bus)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
