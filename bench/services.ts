/**
 * Resident memory of each service as the image runs it (`node bin/service.js
 * <service>`, no extra node flags; the Kubernetes manifests' memory requests
 * and limits come from these figures): metadata, core-data, core-command,
 * device-virtual, device-modbus, device-opcua, the app service and the web
 * console, each its
 * own process on MQTT (a Mosquitto of its own, as shipped: deploy/mosquitto/
 * mosquitto.conf with persistence and the users and roles bin/init-secrets.js
 * generates, each service logged in as its own user, so its memory is measured
 * too; MQTT_URL points them at another broker instead) and
 * PostgreSQL (a fresh schema per service), with the sample profiles and
 * devices (device-virtual's Demo-Sensor-01 sends events that core-data stores
 * and the app service exports); then the one-process gateway (`gateway`, the
 * single-node image) alone, with its defaults (in-process bus, SQLite).
 *
 * Each service must answer /api/v3/ready; after BENCH_SERVICES_IDLE_MS
 * (15000) with the sample devices running, VmRSS (now) and VmHWM (peak since
 * start) are read from /proc, and the CPU each used while idling (millicores).
 * Then, under load: 100 synthetic devices of device-bench (registered in
 * metadata) publish BENCH_SERVICES_RATE readings/s (10,000, events of 5
 * readings; 0 skips it) for BENCH_SERVICES_LOAD_SECONDS (20) on the bus, as a
 * device service would (broker user device-bench); core-data stores them and
 * the app service runs the shipped pipelines (deploy/app-service/pipelines.yaml,
 * its sink pointed at the bench's broker, logged in as app-service) over them. Printed: each process's peak RSS and CPU
 * over the load, and the readings core-data stored.
 * Env: MQTT_URL (unset: a private Mosquitto on a free port), GW_TEST_PG_URL
 * (postgres://root@127.0.0.1:5432/test).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createMessageBus, newEnvelope } from '@gw/messaging';
import { initSecrets, shippedMosquittoConfig } from '../test/deploy/shipped';
import { freePort } from './support/free-port';
import { ROOT } from './support/gateway-command';
import { addToMetadata } from './support/metadata-add';

const IDLE_MS = Number(process.env.BENCH_SERVICES_IDLE_MS ?? 15_000);
const MQTT_URL = process.env.MQTT_URL;
const PG_URL = process.env.GW_TEST_PG_URL ?? 'postgres://root@127.0.0.1:5432/test';
const RATE = Number(process.env.BENCH_SERVICES_RATE ?? 10_000);
const LOAD_SECONDS = Number(process.env.BENCH_SERVICES_LOAD_SECONDS ?? 20);
const LOAD_DEVICES = 100;
const READINGS_PER_EVENT = 5;
/** The broker user the synthetic devices publish as (a device service of its own). */
const BENCH_DEVICE = 'device-bench';

interface Started {
  name: string;
  child: ChildProcess;
  port: number;
}

/** CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(field + ':'));
  return Number(line?.split(/\s+/)[1] ?? NaN) / 1024;
}

/** `node bin/service.js <service>`, as the image's entry point runs it. */
function startService(name: string, service: string, port: number, env: Record<string, string>, dataDir: string): Started {
  const child = spawn(process.execPath, [join(ROOT, 'bin/service.js'), service], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', GW_HOST: '127.0.0.1', GW_LOG_LEVEL: 'warn', GW_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { name, child, port };
}

/** Until GET /api/v3/ready answers 200 (the service waits for its broker, database or metadata first). */
async function ready(service: Started, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited with ${service.child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${service.port}/api/v3/ready`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${service.name} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(services: Started[]): Promise<void> {
  for (const { child } of services.reverse()) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

/** Idles IDLE_MS, then reports each process's memory and the CPU it used while idling (millicores). */
async function idleAndReport(services: Started[], prefix: string): Promise<void> {
  const before = services.map((s) => cpuMs(s.child.pid!));
  await new Promise((r) => setTimeout(r, IDLE_MS));
  services.forEach((s, i) => {
    const pid = s.child.pid!;
    console.log(`${prefix}-${s.name}-idle-cpu: ${Math.round(((cpuMs(pid) - before[i]) / IDLE_MS) * 1000)} millicores`);
    console.log(`${prefix}-${s.name}-idle-rss: ${statusMb(pid, 'VmRSS').toFixed(1)} MB`);
    console.log(`${prefix}-${s.name}-peak-rss: ${statusMb(pid, 'VmHWM').toFixed(1)} MB`);
  });
}

/** Until something accepts connections on the port. */
async function listening(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(() => resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A Mosquitto of the bench's own as shipped (deploy/mosquitto/mosquitto.conf:
 * no anonymous clients, the dynamic security plugin with the generated users
 * and roles in `secretsDir`, its queue limits, persistence in `dir`), but on
 * a free port of 127.0.0.1.
 */
async function startBroker(dir: string, secretsDir: string): Promise<Started> {
  const port = await freePort();
  // Mosquitto started as root drops to the `mosquitto` user, which must be able to write its persistence here.
  chmodSync(dir, 0o777);
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, shippedMosquittoConfig(port, dir, secretsDir, false));
  // Its log (each client's connect at notice level) is shown only if it fails to start.
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4096)));
  const broker = { name: 'mosquitto', child, port };
  try {
    await listening(port, child);
  } catch (err) {
    await stop([broker]);
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return broker;
}

/** The readings core-data has stored of each of these devices. */
function storedPerDevice(coreDataUrl: string, devices: string[]): Promise<number[]> {
  return Promise.all(
    devices.map(async (name) => ((await (await fetch(`${coreDataUrl}/api/v3/reading/count/device/name/${name}`)).json()) as { count: number }).count),
  );
}

async function storedReadings(coreDataUrl: string, devices: string[]): Promise<number> {
  return (await storedPerDevice(coreDataUrl, devices)).reduce((sum, n) => sum + n, 0);
}

/**
 * RATE readings/s from LOAD_DEVICES synthetic devices for LOAD_SECONDS, on
 * schedule (open loop), then until core-data has stored them (at most 30 s
 * more); reports each process's peak RSS and its CPU over that time.
 */
async function loadAndReport(services: Started[], urls: { metadata: string; coreData: string }, bus: { url: string; base: string; password: string }): Promise<void> {
  const resources = ['temperature', 'pressure', 'flow', 'level', 'power'].slice(0, READINGS_PER_EVENT);
  await addToMetadata(urls.metadata, '/deviceservice', 'service', [{ name: BENCH_DEVICE, baseAddress: 'http://127.0.0.1:1' }]);
  await addToMetadata(urls.metadata, '/deviceprofile', 'profile', [
    { name: 'Bench-Profile', deviceResources: resources.map((name) => ({ name, properties: { valueType: 'Float32', readWrite: 'R' } })) },
  ]);
  const devices = Array.from({ length: LOAD_DEVICES }, (_, i) => `bench-${i}`);
  await addToMetadata(urls.metadata, '/device', 'device', devices.map((name) => ({ name, serviceName: BENCH_DEVICE, profileName: 'Bench-Profile', protocols: { other: { Address: name } } })));
  const publisher = createMessageBus({ type: 'mqtt', url: bus.url, clientId: BENCH_DEVICE, username: BENCH_DEVICE, password: bus.password });
  await publisher.connect();
  let seq = 0;
  const publish = (device: string) => {
    const origin = Date.now() * 1e6;
    const readings = resources.map((resourceName) => ({
      id: randomUUID(), origin, deviceName: device, profileName: 'Bench-Profile', resourceName, valueType: 'Float32' as const, value: (20 + (seq % 100) / 10).toFixed(1),
    }));
    const event = { apiVersion: 'v3', id: randomUUID(), deviceName: device, profileName: 'Bench-Profile', sourceName: 'AllValues', origin, readings };
    seq++;
    return publisher.publish(`${bus.base}/events/device/${BENCH_DEVICE}/Bench-Profile/${device}/AllValues`, newEnvelope({ apiVersion: 'v3', requestId: randomUUID(), event }));
  };
  let counts = devices.map(() => 0);
  try {
    // core-data learns of new devices from metadata's system events: until it has stored an event of each, the load would be refused.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const unknown = devices.filter((_, i) => counts[i] === 0);
      if (!unknown.length) break;
      if (Date.now() > deadline) throw new Error(`core-data stored no event of ${unknown.length} bench devices`);
      await Promise.all(unknown.map(publish));
      await new Promise((r) => setTimeout(r, 500));
      counts = await storedPerDevice(urls.coreData, devices);
    }
    const baseline = await storedReadings(urls.coreData, devices);
    const cpuBefore = services.map((s) => cpuMs(s.child.pid!));
    const started = Date.now();
    const eventsPerSecond = RATE / READINGS_PER_EVENT;
    let published = 0;
    let failure: unknown;
    while (Date.now() - started < LOAD_SECONDS * 1000) {
      if (failure) throw failure;
      const due = ((Date.now() - started) * eventsPerSecond) / 1000;
      if (published >= due) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      publish(devices[published % devices.length]).catch((err: unknown) => (failure ??= err));
      published++;
    }
    const offered = published * READINGS_PER_EVENT;
    const drainDeadline = Date.now() + 30_000;
    let stored = 0;
    while ((stored = (await storedReadings(urls.coreData, devices)) - baseline) < offered && Date.now() < drainDeadline) {
      await new Promise((r) => setTimeout(r, 500));
    }
    const elapsed = Date.now() - started;
    for (const [i, s] of services.entries()) {
      const pid = s.child.pid!;
      console.log(`services-${s.name}-load-cpu: ${Math.round(((cpuMs(pid) - cpuBefore[i]) / elapsed) * 1000)} millicores`);
      console.log(`services-${s.name}-load-peak-rss: ${statusMb(pid, 'VmHWM').toFixed(1)} MB`);
    }
    console.log(`services-load: ${RATE} readings/s offered for ${LOAD_SECONDS} s (${offered} readings from ${LOAD_DEVICES} devices), ${stored} stored by core-data`);
    // README says every reading offered is stored: a run where one is missing is a failed run, not a figure.
    if (stored < offered) throw new Error(`core-data stored ${stored} of ${offered} readings offered`);
  } finally {
    await publisher.close();
  }
}

async function separateServices(): Promise<void> {
  const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const schemas = { metadata: `gw_bench_md_${suffix}`, coreData: `gw_bench_cd_${suffix}` };
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-services-'));
  const ports = {
    metadata: await freePort(),
    coreData: await freePort(),
    coreCommand: await freePort(),
    virtual: await freePort(),
    modbus: await freePort(),
    opcua: await freePort(),
    app: await freePort(),
    console: await freePort(),
  };
  const database = (schema: string) => `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  const topicBase = `bench-${suffix}`;
  // The secrets compose's secrets-init makes, with the broker's roles for this run's topic base and a user for the synthetic devices.
  const secretsDir = mkdtempSync(join(tmpdir(), 'gw-bench-secrets-'));
  const brokerDir = mkdtempSync(join(tmpdir(), 'gw-bench-mosquitto-'));
  initSecrets(secretsDir, [], {
    GW_TOPIC_BASE: topicBase,
    GW_SECRETS_SERVICES: `core-metadata:20001 core-data:20002 core-command:20003 app-service:20004 console:20005 device-virtual:20010 device-modbus:20011 device-opcua:20012 ${BENCH_DEVICE}:20099`,
  });
  const passwordFile = (user: string) => join(secretsDir, 'bus', `${user}.password`);
  const as = (user: string) => ({ GW_BUS_USERNAME: user, GW_BUS_PASSWORD_FILE: passwordFile(user) });
  const broker = MQTT_URL ? undefined : await startBroker(brokerDir, secretsDir);
  const busUrl = MQTT_URL ?? `mqtt://127.0.0.1:${broker!.port}`;
  const metadataUrl = `http://127.0.0.1:${ports.metadata}`;
  const common = { GW_BUS_TYPE: 'mqtt', GW_BUS_URL: busUrl, GW_TOPIC_BASE: topicBase, GW_METADATA_URL: metadataUrl };
  // The pipelines compose and Kubernetes run, their sink on this bench's broker, its password from these secrets.
  const pipelinesFile = join(dataDir, 'pipelines.yaml');
  const shipped = readFileSync(join(ROOT, 'deploy/app-service/pipelines.yaml'), 'utf8');
  if (!shipped.includes('url: mqtt://mosquitto:1883')) throw new Error('deploy/app-service/pipelines.yaml no longer exports to mqtt://mosquitto:1883');
  writeFileSync(pipelinesFile, shipped.replace('url: mqtt://mosquitto:1883', `url: ${busUrl}`).replaceAll('/run/secrets/gateway', secretsDir));
  const resources = join(ROOT, 'resources');
  const device = (driver: string, port: number) =>
    startService(`device-${driver}`, 'device-service', port, {
      ...common,
      ...as(`device-${driver}`),
      GW_DEVICE_SERVICE_DRIVER: driver,
      GW_DEVICE_SERVICE_PORT: String(port),
      GW_DEVICE_SERVICE_BASE_ADDRESS: `http://127.0.0.1:${port}`,
    }, dataDir);
  const services: Started[] = [];
  try {
    services.push(
      startService('metadata', 'metadata', ports.metadata, {
        ...common,
        ...as('core-metadata'),
        GW_METADATA_PORT: String(ports.metadata),
        GW_METADATA_DATABASE: database(schemas.metadata),
        GW_METADATA_PROFILES_DIR: join(resources, 'profiles'),
        GW_METADATA_UNITS_FILE: join(resources, 'uom.yaml'),
        GW_METADATA_DEVICES_DIR: join(resources, 'devices'),
        GW_METADATA_PROVISION_WATCHERS_DIR: join(resources, 'provision-watchers'),
      }, dataDir),
    );
    await ready(services[0]);
    services.push(
      startService('core-data', 'core-data', ports.coreData, { ...common, ...as('core-data'), GW_CORE_DATA_PORT: String(ports.coreData), GW_CORE_DATA_DATABASE: database(schemas.coreData) }, dataDir),
      startService('core-command', 'core-command', ports.coreCommand, { ...common, ...as('core-command'), GW_CORE_COMMAND_PORT: String(ports.coreCommand) }, dataDir),
      device('virtual', ports.virtual),
      device('modbus', ports.modbus),
      device('opcua', ports.opcua),
      startService('app-service', 'app-service', ports.app, {
        ...common,
        ...as('app-service'),
        GW_APP_SERVICE_PORT: String(ports.app),
        GW_APP_SERVICE_PIPELINES_FILE: pipelinesFile,
        GW_APP_SERVICE_CORE_COMMAND_URL: `http://127.0.0.1:${ports.coreCommand}`,
      }, dataDir),
      startService('console', 'console', ports.console, {
        ...common,
        ...as('console'),
        GW_CONSOLE_PORT: String(ports.console),
        GW_CORE_DATA_URL: `http://127.0.0.1:${ports.coreData}`,
        GW_CORE_COMMAND_URL: `http://127.0.0.1:${ports.coreCommand}`,
        GW_APP_SERVICE_URL: `http://127.0.0.1:${ports.app}`,
      }, dataDir),
    );
    for (const s of services) await ready(s);
    await idleAndReport(broker ? [...services, broker] : services, 'services');
    const total = services.reduce((sum, s) => sum + statusMb(s.child.pid!, 'VmRSS'), 0);
    console.log(`services-total-idle-rss: ${total.toFixed(1)} MB (the ${services.length} gateway processes, after ${IDLE_MS} ms with the sample devices)`);
    if (RATE > 0) {
      await loadAndReport(broker ? [...services, broker] : services, { metadata: metadataUrl, coreData: `http://127.0.0.1:${ports.coreData}` }, { url: busUrl, base: topicBase, password: readFileSync(passwordFile(BENCH_DEVICE), 'utf8').trim() });
    }
    // The export the app service's figures were measured with: each route delivered through the broker, logged in as app-service.
    const { routes } = (await (await fetch(`http://127.0.0.1:${ports.app}/api/v3/exports`)).json()) as { routes: Array<{ route: string; exported: number; pending: number; connected: boolean }> };
    for (const r of routes) console.log(`services-app-service-export-${r.route}: ${r.exported} records exported, ${r.pending} pending, ${r.connected ? 'connected' : 'NOT connected'}`);
    if (!routes.length || routes.some((r) => !r.connected || r.exported === 0)) throw new Error('the app service did not export through the broker: its figures would be those of a failing export');
  } finally {
    await stop(broker ? [broker, ...services] : services);
    for (const dir of [dataDir, secretsDir, brokerDir]) rmSync(dir, { recursive: true, force: true });
    const client = new Client({ connectionString: PG_URL });
    await client.connect();
    for (const schema of Object.values(schemas)) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

async function oneProcessGateway(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-services-gateway-'));
  const port = await freePort();
  const ports = Object.fromEntries(
    ['GW_CORE_DATA_PORT', 'GW_CORE_COMMAND_PORT', 'GW_APP_SERVICE_PORT', 'GW_CONSOLE_PORT', 'GW_DEVICE_VIRTUAL_PORT', 'GW_DEVICE_MODBUS_PORT', 'GW_DEVICE_OPCUA_PORT'].map((v) => [v, '0']),
  );
  const gateway = startService('gateway', 'gateway', port, { GW_METADATA_PORT: String(port), ...ports }, dataDir);
  try {
    await ready(gateway);
    await idleAndReport([gateway], 'image');
  } finally {
    await stop([gateway]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await separateServices();
  await oneProcessGateway();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
