/**
 * device-zigbee on a simulated coordinator (test/zigbee/support/fake-adapter.ts:
 * herdsman's own Controller, interview and ZCL decoding, the real converters).
 *
 *   (1) reports/s: the device service (SDK + ZigBee driver, in-process bus) with
 *       500 devices (Aqara WSDCGQ11LM, IKEA LED1545G12, Innr SP 120 in turn),
 *       joined and interviewed; each round every device sends one attribute
 *       report (temperature / brightness / power), the next round starts when
 *       the events of this one are published. Printed: reports/s turned into
 *       published events, and this process's CPU.
 *   (2) RSS (a child process, so (1) leaves no trace): 500 devices of 20
 *       models joined, interviewed and configured, a profile generated per
 *       model; RSS before the driver loads, after herdsman is up, after all.
 *
 * Env: BENCH_ZIGBEE_SECONDS (10), BENCH_ZIGBEE_DEVICES (500).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Device, DeviceProfile, Event, validateDevice } from '@gw/contracts';
import { startDeviceService } from '@gw/device-sdk';
import { staticMetadata } from './support/static-metadata';
import type { DriverContext } from '@gw/device-sdk/driver';
import { createMessageBus, MemoryBroker, MessageEnvelope } from '@gw/messaging';
import { createLogger } from '@gw/service-kit';
import { zigbeeSettings } from '../libs/drivers/zigbee/src/descriptor';
import { exposesOf, resolveDefinition } from '../libs/drivers/zigbee/src/profile/definitions';
import { generateProfile } from '../libs/drivers/zigbee/src/profile/generate';
import { ZigbeeDriver } from '../libs/drivers/zigbee/src/zigbee-driver';
import { setLogger } from 'zigbee-herdsman-converters';
import { fakeNetwork, FakeNetwork, installFakeAdapters, MODELS, SimDevice } from '../test/zigbee/support/fake-adapter';

const SECONDS = Number(process.env.BENCH_ZIGBEE_SECONDS ?? 10);
const DEVICES = Number(process.env.BENCH_ZIGBEE_DEVICES ?? 500);
const MB = (bytes: number) => Math.round(bytes / 2 ** 20);

const ieeeOf = (i: number) => `0x00158d00${(0x10000000 + i).toString(16).slice(1).padStart(8, '0')}`;

function driverOn(networkId: string, dataDir: string): ZigbeeDriver {
  return new ZigbeeDriver({ ...zigbeeSettings.parse({ dataDir, availabilityPing: '1h', readTimeout: '5s' }), serialPort: `fake://${networkId}` });
}

async function until(what: string, done: () => boolean, timeoutMs = 120_000, stepMs = 50): Promise<void> {
  const t0 = performance.now();
  while (!done()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await (stepMs > 0 ? sleep(stepMs) : new Promise((resolve) => setImmediate(resolve)));
  }
}

/** Joins `sims` a batch at a time (a permit-join window fills like this), waiting for each batch's interviews (60 s at most per batch). */
async function joinAll(network: FakeNetwork, driver: ZigbeeDriver, sims: SimDevice[], batch = 50): Promise<number> {
  const t0 = performance.now();
  const finished = () => driver.joinedDevices().filter((d) => d.interview === 'failed' || (d.interview === 'successful' && d.model)).length;
  for (let i = 0; i < sims.length; i += batch) {
    for (const sim of sims.slice(i, i + batch)) network.join(sim);
    const target = Math.min(i + batch, sims.length);
    await until('interviews', () => finished() >= target, 60_000).catch(() => undefined);
  }
  return (performance.now() - t0) / 1000;
}

const KINDS = [
  { make: MODELS.weather, model: 'lumi.weather', report: (n: FakeNetwork, ieee: string, k: number) => n.report(ieee, 1, 'msTemperatureMeasurement', { measuredValue: 2000 + (k % 500) }) },
  { make: MODELS.bulb, model: 'LED1545G12', report: (n: FakeNetwork, ieee: string, k: number) => n.report(ieee, 1, 'genLevelCtrl', { currentLevel: 1 + (k % 253) }) },
  { make: MODELS.plug, model: 'SP 120', report: (n: FakeNetwork, ieee: string, k: number) => n.report(ieee, 1, 'haElectricalMeasurement', { activePower: k % 2000 }) },
];

const quiet = () => undefined;
setLogger({ debug: quiet, info: quiet, warning: quiet, error: quiet });

async function reportsPerSecond(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-zigbee-'));
  const uninstall = installFakeAdapters();
  const network = fakeNetwork('bench-reports');
  const profiles = new Map<string, DeviceProfile>();
  const profileOfKind: string[] = [];
  for (const kind of KINDS) {
    const definition = (await resolveDefinition(kind.model))!;
    const { profile } = generateProfile(definition, exposesOf(definition));
    profiles.set(profile.name, profile);
    profileOfKind.push(profile.name);
  }
  const devices: Device[] = [];
  const sims: SimDevice[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const kind = i % KINDS.length;
    sims.push(KINDS[kind].make(ieeeOf(i), 0x100 + i));
    devices.push(validateDevice({ name: ieeeOf(i), profileName: profileOfKind[kind], serviceName: 'device-zigbee', protocols: { zigbee: { IEEEAddress: ieeeOf(i) } } }));
  }
  const metadata = staticMetadata('device-zigbee', devices, profiles);

  const bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
  await bus.connect();
  let events = 0;
  await bus.subscribe('edgex/events/device/#', (envelope: MessageEnvelope) => {
    if ((envelope.payload as { event: Event }).event) events++;
  });
  const driver = driverOn('bench-reports', dataDir);
  const logger = createLogger('device-zigbee', 'warn');
  const service = await startDeviceService({ serviceName: 'device-zigbee', host: '127.0.0.1', port: 0, logLevel: 'warn', maxEventsInFlight: 50_000 }, { bus, logger, driver, metadata });
  await service.ready;
  await until('coordinator up', () => driver.coordinatorState().state === 'up');
  const joinSeconds = await joinAll(network, driver, sims);
  console.log(`zigbee-join: ${DEVICES} devices joined, interviewed and configured in ${joinSeconds.toFixed(1)} s`);

  // Warm-up round, then rounds for SECONDS.
  let k = 0;
  let lost = 0;
  const round = async () => {
    const target = events + DEVICES;
    for (let i = 0; i < DEVICES; i++) KINDS[i % KINDS.length].report(network, ieeeOf(i), k++);
    // A report the converters take for a repeat (same sequence number as a recent frame) makes no event: counted as lost.
    await until('events of the round', () => events >= target, 2_000, 0).catch(() => (lost += target - events));
  };
  await round();
  const cpu0 = process.cpuUsage();
  const e0 = events;
  const t0 = performance.now();
  let rounds = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    await round();
    rounds++;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stats = driver.stats();
  console.log(`zigbee-cpu: ${((cpu.user + cpu.system) / 1e6 / wall).toFixed(2)} cores (herdsman decode, converters, SDK, in-process bus)`);
  console.log(`zigbee-counters: messages ${stats.messages}, unknown ${stats.unknown}, converter errors ${stats.convertErrors}, reports without an event ${lost}`);
  console.log(`zigbee-reports: ${Math.round((events - e0) / wall)} reports/s -> events (${DEVICES} devices, ${rounds} rounds in ${wall.toFixed(1)} s)`);
  await service.close();
  await bus.close();
  uninstall();
  rmSync(dataDir, { recursive: true, force: true });
}

/** Twenty Zigbee modelIDs the converters know (vendor models in comments). */
const TWENTY = [
  'lumi.weather', // WSDCGQ11LM
  'TRADFRI bulb E27 WS opal 980lm', // LED1545G12
  'SP 120', // Innr
  'lumi.sensor_magnet.aq2', // MCCGQ11LM
  'lumi.sensor_motion.aq2', // RTCGQ11LM
  'lumi.sensor_switch.aq2', // WXKG11LM
  'lumi.plug.maeu01', // SP-EUC01
  'TRADFRI remote control', // E1524/E1810
  'TRADFRI control outlet', // E160x
  'LCT015', // Philips Hue
  'LWB010',
  'SML001',
  'RWL021',
  'lumi.sensor_wleak.aq1', // SJCGQ11LM
  'lumi.sensor_cube.aqgl01', // MFKZQ01LM
  'Plug 01', // OSRAM
  'Classic A60 RGBW', // OSRAM
  'TH01', // SONOFF SNZB-02
  'lumi.sen_ill.mgl01', // GZCGQ01LM
  'TRADFRI motion sensor', // E1525/E1745
];

async function rss(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  gc();
  const before = process.memoryUsage().rss;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-zigbee-rss-'));
  const uninstall = installFakeAdapters();
  const network = fakeNetwork('bench-rss');
  const driver = driverOn('bench-rss', dataDir);
  const profiles = new Set<string>();
  let provisioned = 0;
  const context: DriverContext = {
    serviceName: 'device-zigbee',
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    pushValues: () => undefined,
    provision: async ({ profile }) => {
      profiles.add(profile.name);
      provisioned++;
    },
  };
  await driver.initialize(context);
  await driver.start();
  await until('coordinator up', () => driver.coordinatorState().state === 'up');
  gc();
  const up = process.memoryUsage().rss;
  const sims = Array.from({ length: DEVICES }, (_, i) => {
    const sim = MODELS.plug(ieeeOf(i), 0x100 + i);
    sim.basic = { ...sim.basic, modelId: TWENTY[i % TWENTY.length], manufacturerName: 'bench' };
    sim.endpoints = [{ id: 1, profileId: 260, deviceId: 0x0100, inputClusters: [0, 1, 3, 6, 8, 0x300, 0x400, 0x402, 0x405, 0x406, 0x702, 0xb04], outputClusters: [0x19] }];
    return sim;
  });
  const joinSeconds = await joinAll(network, driver, sims);
  await until('provisioned', () => provisioned >= DEVICES, 60_000).catch(() => undefined);
  const failed = driver.joinedDevices().filter((d) => d.interview !== 'successful' || !d.model).length;
  gc();
  const after = process.memoryUsage();
  console.log(`zigbee-rss-models: ${profiles.size} models, ${provisioned} of ${DEVICES} devices interviewed and registered in ${joinSeconds.toFixed(1)} s (${failed} not)`);
  console.log(`zigbee-rss: ${MB(after.rss)} MB with ${provisioned} devices of ${profiles.size} models (at start, herdsman and converters already loaded by this bench: ${MB(before)} MB; coordinator up ${MB(up)} MB; heap ${MB(after.heapUsed)} MB)`);
  await driver.stop(false);
  uninstall();
  rmSync(dataDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  if (process.argv.includes('--rss')) return rss();
  await reportsPerSecond();
  const child = spawnSync(process.execPath, ['--expose-gc', __filename, '--rss'], { stdio: 'inherit', env: process.env });
  if (child.status !== 0) throw new Error('the RSS phase failed');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
