/**
 * Resident memory of each service as the image runs it (`node bin/service.js
 * <service>`, no extra node flags; the Kubernetes manifests' memory requests
 * and limits come from these figures): metadata, core-data, core-command,
 * device-virtual, device-modbus, device-opcua and the app service, each its
 * own process on MQTT (a Mosquitto of its own, so its memory is measured too;
 * MQTT_URL points them at another broker instead) and
 * PostgreSQL (a fresh schema per service), with the sample profiles and
 * devices (device-virtual's Demo-Sensor-01 sends events that core-data stores
 * and the app service exports); then the one-process gateway (`gateway`, the
 * single-node image) alone, with its defaults (in-process bus, SQLite).
 *
 * Each service must answer /api/v3/ready; after BENCH_SERVICES_IDLE_MS
 * (15000) with the sample devices running, VmRSS (now) and VmHWM (peak since
 * start) are read from /proc, and the CPU each used while idling (millicores).
 * Env: MQTT_URL (unset: a private Mosquitto on a free port), GW_TEST_PG_URL
 * (postgres://root@127.0.0.1:5432/test).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './support/free-port';
import { ROOT } from './support/gateway-command';

const IDLE_MS = Number(process.env.BENCH_SERVICES_IDLE_MS ?? 15_000);
const MQTT_URL = process.env.MQTT_URL;
const PG_URL = process.env.GW_TEST_PG_URL ?? 'postgres://root@127.0.0.1:5432/test';

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

/** A Mosquitto of the bench's own (anonymous, no persistence: the services' traffic, not the shipped ACLs, is what is measured). */
async function startBroker(dir: string): Promise<Started> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\n`);
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  const broker = { name: 'mosquitto', child, port };
  try {
    await listening(port, child);
  } catch (err) {
    await stop([broker]);
    throw err;
  }
  return broker;
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
  };
  const database = (schema: string) => `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  const broker = MQTT_URL ? undefined : await startBroker(dataDir);
  const metadataUrl = `http://127.0.0.1:${ports.metadata}`;
  const common = { GW_BUS_TYPE: 'mqtt', GW_BUS_URL: MQTT_URL ?? `mqtt://127.0.0.1:${broker!.port}`, GW_TOPIC_BASE: `bench-${suffix}`, GW_METADATA_URL: metadataUrl };
  const resources = join(ROOT, 'resources');
  const device = (driver: string, port: number) =>
    startService(`device-${driver}`, 'device-service', port, {
      ...common,
      GW_DEVICE_SERVICE_DRIVER: driver,
      GW_DEVICE_SERVICE_PORT: String(port),
      GW_DEVICE_SERVICE_BASE_ADDRESS: `http://127.0.0.1:${port}`,
    }, dataDir);
  const services: Started[] = [];
  try {
    services.push(
      startService('metadata', 'metadata', ports.metadata, {
        ...common,
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
      startService('core-data', 'core-data', ports.coreData, { ...common, GW_CORE_DATA_PORT: String(ports.coreData), GW_CORE_DATA_DATABASE: database(schemas.coreData) }, dataDir),
      startService('core-command', 'core-command', ports.coreCommand, { ...common, GW_CORE_COMMAND_PORT: String(ports.coreCommand) }, dataDir),
      device('virtual', ports.virtual),
      device('modbus', ports.modbus),
      device('opcua', ports.opcua),
      startService('app-service', 'app-service', ports.app, {
        ...common,
        GW_APP_SERVICE_PORT: String(ports.app),
        GW_APP_SERVICE_CORE_COMMAND_URL: `http://127.0.0.1:${ports.coreCommand}`,
      }, dataDir),
    );
    for (const s of services) await ready(s);
    await idleAndReport(broker ? [...services, broker] : services, 'services');
    const total = services.reduce((sum, s) => sum + statusMb(s.child.pid!, 'VmRSS'), 0);
    console.log(`services-total-idle-rss: ${total.toFixed(1)} MB (the ${services.length} gateway processes, after ${IDLE_MS} ms with the sample devices)`);
  } finally {
    await stop(broker ? [broker, ...services] : services);
    rmSync(dataDir, { recursive: true, force: true });
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
    ['GW_CORE_DATA_PORT', 'GW_CORE_COMMAND_PORT', 'GW_APP_SERVICE_PORT', 'GW_DEVICE_VIRTUAL_PORT', 'GW_DEVICE_MODBUS_PORT', 'GW_DEVICE_OPCUA_PORT'].map((v) => [v, '0']),
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
