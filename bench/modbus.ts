/**
 * The Modbus driver against a real Modbus TCP peer (Debian's pymodbus 3.0.0,
 * test/modbus/pymodbus_server.py, which logs every request it serves), with a
 * realistic device: 40 holding-register resources over 0..159 (Uint16, Int16,
 * Int32, word-swapped Float32, bits), 6 input registers and 6 coils, all due
 * together as one autoEvent interval would make them.
 *
 *   (1) coalesced: poll cycles back to back, one driver.read per cycle with
 *       every resource (what the SDK hands the driver);
 *   (2) per resource: one driver.read per resource per cycle, what a driver
 *       without coalescing does on the wire;
 *   (3) writes under polling: coalesced polling runs continuously on unit 1
 *       while a setpoint (holding register) is written every WRITE_EVERY_MS,
 *       alternating values. A write queues behind the poll request in flight
 *       on the shared connection, so its latency is what an operator waits.
 *
 * Printed: points/s (resources x cycles / time), cycles/s, requests per cycle
 * as the server logged them, the coalescing gain, write count and latency
 * (p50/p99/max of driver.write), polling points/s during the write phase,
 * and this process's peak RSS (the server is a separate process).
 *
 * Env: BENCH_MODBUS_SECONDS (5 per phase), BENCH_MODBUS_WRITE_EVERY_MS (20).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Device, DeviceProfile, DeviceResource } from '@gw/contracts';
import type { CommandRequest, DriverContext, WriteRequest } from '@gw/device-sdk/driver';
import { ModbusDriver } from '@gw/drivers/modbus';
import { freePort } from './support/free-port';

const SECONDS = Number(process.env.BENCH_MODBUS_SECONDS ?? 5);
const WRITE_EVERY_MS = Number(process.env.BENCH_MODBUS_WRITE_EVERY_MS ?? 20);
const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve(__dirname, '..', '..', 'test', 'modbus', 'pymodbus_server.py');
const HR = 'HOLDING_REGISTERS';

function resource(name: string, valueType: string, attributes: Record<string, unknown>): DeviceResource {
  return { name, isHidden: false, properties: { valueType, readWrite: 'RW' }, attributes } as unknown as DeviceResource;
}

/** 52 resources: a power meter / drive controller's register map, 4 registers apart. */
function deviceResources(): DeviceResource[] {
  const kinds: Array<[string, Record<string, unknown>]> = [
    ['Uint16', {}],
    ['Int16', {}],
    ['Int32', {}],
    ['Float32', { isWordSwap: true }],
    ['Uint16', {}],
    ['Float32', { isWordSwap: true }],
    ['Int16', {}],
    ['Bool', {}],
  ];
  const resources = Array.from({ length: 40 }, (_, i) => {
    const [valueType, extra] = kinds[i % kinds.length];
    const address = i * 4;
    const startingAddress = valueType === 'Bool' ? `${address}.${i % 16}` : address;
    return resource(`hr${i}`, valueType, { primaryTable: HR, startingAddress, ...extra });
  });
  for (let i = 0; i < 6; i++) {
    resources.push(resource(`ir${i}`, i % 2 ? 'Float32' : 'Uint16', { primaryTable: 'INPUT_REGISTERS', startingAddress: i * 3 }));
  }
  for (let i = 0; i < 6; i++) resources.push(resource(`coil${i}`, 'Bool', { primaryTable: 'COILS', startingAddress: i * 2 }));
  return resources;
}

const requestsOf = (resources: DeviceResource[]): CommandRequest[] =>
  resources.map((r) => ({ resource: r, attributes: r.attributes ?? {}, valueType: r.properties.valueType }) as CommandRequest);


function startServer(port: number, log: string): Promise<ChildProcess> {
  return new Promise((done, fail) => {
    const child = spawn(PYTHON, [SCRIPT, String(port), log], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`pymodbus did not start: ${stderr}`));
    }, 15_000);
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        done(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`pymodbus exited (${code}): ${stderr}`));
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

/** Requests the server has logged so far, as [unit, fc] pairs. */
function servedBy(logFile: string): Array<[number, number]> {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [unit, fc] = line.split(' ').map(Number);
      return [unit, fc];
    });
}

interface PollResult {
  cycles: number;
  seconds: number;
}

/** Runs `cycle` back to back until `stop()` says so; counts completed cycles. */
async function pollLoop(cycle: () => Promise<unknown>, stop: () => boolean): Promise<PollResult> {
  const started = performance.now();
  let cycles = 0;
  while (!stop()) {
    await cycle();
    cycles++;
  }
  return { cycles, seconds: (performance.now() - started) / 1000 };
}

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

async function main(): Promise<void> {
  const resources = deviceResources();
  const points = resources.length;
  const allRequests = requestsOf(resources);
  console.log(
    `modbus benchmark: pymodbus 3.0.0 over TCP on 127.0.0.1, ${points} resources per device ` +
      `(40 holding registers, 6 input registers, 6 coils), ${SECONDS} s per phase, a write every ${WRITE_EVERY_MS} ms in the last`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'modbus-bench-'));
  const logFile = join(dir, 'requests.log');
  let server: ChildProcess | undefined;
  // A crash between spawn and the finally below must not leave the server behind.
  const killOnExit = () => server?.kill('SIGKILL');
  process.once('exit', killOnExit);
  const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const context: DriverContext = { serviceName: 'device-modbus', logger, pushValues: () => undefined };
  const driver = new ModbusDriver();
  try {
    const port = await freePort();
    server = await startServer(port, logFile);
    await driver.initialize(context);
    await driver.start();

    const profile = { name: 'Meter-Modbus', deviceResources: resources, deviceCommands: [] } as unknown as DeviceProfile;
    const device = {
      name: 'meter-1',
      adminState: 'UNLOCKED',
      operatingState: 'UP',
      profileName: profile.name,
      protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: port, UnitID: 1, Timeout: '1s' } },
    } as unknown as Device;
    await driver.addDevice(device, profile);

    const coalesced = () => driver.read(device, profile, allRequests);
    const perResource = async () => {
      const values = [];
      for (const request of allRequests) values.push(...(await driver.read(device, profile, [request])));
      return values;
    };
    // Warm-up (connect, parse the profile) and a check that both ways read the same values.
    const a = JSON.stringify((await coalesced()).map((r) => r.value));
    const b = JSON.stringify((await perResource()).map((r) => r.value));
    if (a !== b) throw new Error(`coalesced and per-resource reads disagree:\n${a}\n${b}`);

    const phase = async (cycle: () => Promise<unknown>) => {
      const before = servedBy(logFile).length;
      const deadline = performance.now() + SECONDS * 1000;
      const r = await pollLoop(cycle, () => performance.now() >= deadline);
      const requests = servedBy(logFile).length - before;
      return { pointsPerSec: (points * r.cycles) / r.seconds, cyclesPerSec: r.cycles / r.seconds, requestsPerCycle: requests / r.cycles };
    };

    const co = await phase(coalesced);
    console.log(`modbus-coalesced-throughput: ${Math.round(co.pointsPerSec)} points/s`);
    console.log(`modbus-coalesced-cycles: ${co.cyclesPerSec.toFixed(1)} cycles/s`);
    console.log(`modbus-coalesced-requests: ${co.requestsPerCycle.toFixed(2)} per cycle`);

    const pr = await phase(perResource);
    console.log(`modbus-per-resource-throughput: ${Math.round(pr.pointsPerSec)} points/s`);
    console.log(`modbus-per-resource-cycles: ${pr.cyclesPerSec.toFixed(1)} cycles/s`);
    console.log(`modbus-per-resource-requests: ${pr.requestsPerCycle.toFixed(2)} per cycle`);
    const gain = co.pointsPerSec / pr.pointsPerSec;
    console.log(`modbus-coalescing-speedup: ${gain.toFixed(1)} x (points/s, coalesced / per resource)`);
    console.log(`modbus-coalescing-request-reduction: ${(pr.requestsPerCycle / co.requestsPerCycle).toFixed(1)} x (requests per cycle)`);

    // Writes while polling: the setpoint sits outside the polled map so the poll's reads stay the same.
    const setpoint = resource('setpoint', 'Uint16', { primaryTable: HR, startingAddress: 180 });
    const [setpointRequest] = requestsOf([setpoint]);
    const latencies: number[] = [];
    const deadline = performance.now() + SECONDS * 1000;
    const done = () => performance.now() >= deadline;
    const writer = async () => {
      let value = 0;
      for (let next = performance.now(); !done(); next += WRITE_EVERY_MS) {
        if (next > performance.now()) await sleep(next - performance.now());
        else next = performance.now(); // a write took longer than the period: don't burst to catch up
        value = value === 1000 ? 2000 : 1000;
        const t0 = performance.now();
        await driver.write(device, profile, [{ ...setpointRequest, value } as WriteRequest]);
        latencies.push(performance.now() - t0);
      }
      return value;
    };
    const before = servedBy(logFile);
    const [poll, lastValue] = await Promise.all([pollLoop(coalesced, done), writer()]);
    const during = servedBy(logFile).slice(before.length);
    const [readBack] = await driver.read(device, profile, [setpointRequest]);
    if (readBack.value !== lastValue) throw new Error(`setpoint reads back ${String(readBack.value)}, last written ${lastValue}`);
    const writes = during.filter(([, fc]) => fc === 6).length;
    if (writes !== latencies.length) throw new Error(`server saw ${writes} writes, driver made ${latencies.length}`);

    latencies.sort((x, y) => x - y);
    const polling = (points * poll.cycles) / poll.seconds;
    console.log(`modbus-write-count: ${latencies.length} writes`);
    console.log(`modbus-write-latency-p50: ${percentile(latencies, 0.5).toFixed(2)} ms`);
    console.log(`modbus-write-latency-p99: ${percentile(latencies, 0.99).toFixed(2)} ms`);
    console.log(`modbus-write-latency-max: ${latencies[latencies.length - 1].toFixed(2)} ms`);
    console.log(`modbus-polling-during-writes: ${Math.round(polling)} points/s`);
    console.log(`modbus-peak-rss: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
    // The figure to compare across runs: what one device's coalesced polling sustains.
    console.log(`modbus-throughput: ${Math.round(co.pointsPerSec)} points/s (coalesced, ${gain.toFixed(1)}x per-resource)`);
  } finally {
    await driver.stop(true);
    if (server) await stopServer(server);
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
