/**
 * What KubeEdge mapper mode costs a device service: resident memory of
 * device-virtual as the image runs it (`node bin/service.js device-service`),
 * once plain and once with GW_KUBEEDGE_MAPPER=true registered with a fake
 * edgecore (test/kubeedge/fake-edgecore.ts, the DMI v1beta1 proto) that
 * hands it BENCH_KUBEEDGE_DEVICES (20) devices of one model, each with two
 * twins read and reported every second (collectCycle), one with a desired
 * value, and its state reported (stateReport). The fake edgecore rate-limits
 * DMI calls as edgecore does (1 call/s, burst 100), so after the burst the
 * mapper sends about one call per second, states first. Both
 * share a core-metadata process (SQLite) and the MQTT broker at MQTT_URL
 * (default mqtt://127.0.0.1:1883) under a topic base of their own.
 * The plain service gets the same devices (same profile, autoEvents) through
 * core-metadata's REST API, so the difference is the mapper's own cost.
 * VmRSS is read from /proc every second for BENCH_KUBEEDGE_IDLE_MS (15000)
 * of running; the median of those samples is printed (one sample swings by
 * tens of MB with the garbage collector).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Device } from '@gw/kubeedge-dmi';
import { configData, FakeEdgecore } from '../test/kubeedge/fake-edgecore';
import { freePort } from './support/free-port';
import { ROOT } from './support/gateway-command';

const DEVICES = Number(process.env.BENCH_KUBEEDGE_DEVICES ?? 20);
const IDLE_MS = Number(process.env.BENCH_KUBEEDGE_IDLE_MS ?? 15_000);
const MQTT_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? NaN) / 1024;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function start(service: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'bin/service.js'), service], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', GW_HOST: '127.0.0.1', GW_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function ready(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await fetch(`http://127.0.0.1:${port}/api/v3/ready`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`port ${port} not ready after 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function device(i: number): Device {
  const property = (name: string, desired?: string) => ({
    name,
    collectCycle: 1000,
    reportToCloud: true,
    desired: desired === undefined ? undefined : { value: desired },
    visitors: { protocolName: 'virtual', configData: configData({ simulation: 'random' }) },
  });
  return {
    name: `meter-${i}`,
    namespace: 'bench',
    spec: { deviceModelReference: 'meter', protocol: { protocolName: 'virtual', configData: configData({ slot: i }) }, properties: [property('power'), property('limit', '42')] },
    status: { reportToCloud: true, reportCycle: 1000 },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-kubeedge-'));
  const children: ChildProcess[] = [];
  let edgecore: FakeEdgecore | undefined;
  try {
    const metadataPort = await freePort();
    const common = { GW_BUS_TYPE: 'mqtt', GW_BUS_URL: MQTT_URL, GW_TOPIC_BASE: `bench-${randomBytes(4).toString('hex')}`, GW_METADATA_URL: `http://127.0.0.1:${metadataPort}` };
    const metadata = start('metadata', { ...common, GW_METADATA_PORT: String(metadataPort), GW_METADATA_DATABASE: `sqlite:${join(dir, 'metadata.db')}`, GW_DATA_DIR: dir });
    children.push(metadata);
    await ready(metadata, metadataPort);

    const models = [{ name: 'meter', namespace: 'bench', spec: { properties: [{ name: 'power', type: 'DOUBLE', accessMode: 'ReadOnly' }, { name: 'limit', type: 'INT', accessMode: 'ReadWrite' }] } }];
    edgecore = await FakeEdgecore.start(join(dir, 'dmi.sock'), { models, devices: Array.from({ length: DEVICES }, (_, i) => device(i)) });

    const plainPort = await freePort();
    const plain = start('device-service', { ...common, GW_DEVICE_SERVICE_PORT: String(plainPort), GW_DEVICE_SERVICE_SERVICE_NAME: 'device-virtual-plain', GW_DATA_DIR: dir });
    const mapperPort = await freePort();
    const mapper = start('device-service', {
      ...common,
      GW_DEVICE_SERVICE_PORT: String(mapperPort),
      GW_DEVICE_SERVICE_SERVICE_NAME: 'device-virtual-mapper',
      GW_DATA_DIR: dir,
      GW_KUBEEDGE_MAPPER: 'true',
      GW_KUBEEDGE_DMI_SOCKET: join(dir, 'dmi.sock'),
      GW_KUBEEDGE_MAPPER_SOCKET: join(dir, 'mapper.sock'),
    });
    children.push(plain, mapper);
    await Promise.all([ready(plain, plainPort), ready(mapper, mapperPort)]);
    await edgecore.waitFor('register', () => true, 30_000);
    // Every device reporting, the desired values written (within edgecore's rate limit: after the burst, one call a second).
    const settleMs = 60_000 + DEVICES * 2_000;
    await Promise.all(Array.from({ length: DEVICES }, (_, i) => edgecore!.waitFor('status', (r) => r.deviceName === `meter-${i}` && r.reportedDevice.twins?.some((t) => t.propertyName === 'limit' && t.reported?.value === '42') === true, settleMs)));
    await Promise.all(Array.from({ length: DEVICES }, (_, i) => edgecore!.waitFor('states', (r) => r.deviceName === `meter-${i}`, settleMs)));
    // The plain service gets the same devices through core-metadata's REST API, as EdgeX users add them.
    const metadataUrl = `http://127.0.0.1:${metadataPort}/api/v3`;
    const listed = (await (await fetch(`${metadataUrl}/device/service/name/device-virtual-mapper?limit=-1`)).json()) as { devices: Array<Record<string, unknown>> };
    const copies = listed.devices.map(({ id: _i, created: _c, modified: _m, properties: _p, ...rest }) => ({
      apiVersion: 'v3',
      device: { ...rest, name: `plain-${String(rest.name).replace('~', '-')}`, serviceName: 'device-virtual-plain' },
    }));
    const added = await fetch(`${metadataUrl}/device`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(copies) });
    if (!added.ok) throw new Error(`adding the plain devices failed: ${added.status}`);
    const reportsBefore = edgecore.statusReports.length;
    const refusedBefore = edgecore.refused.status + edgecore.refused.states + edgecore.refused.register;
    const samples = { plain: [] as number[], mapper: [] as number[] };
    for (let at = 0; at < IDLE_MS; at += 1_000) {
      await new Promise((r) => setTimeout(r, 1_000));
      samples.plain.push(rssMb(plain.pid!));
      samples.mapper.push(rssMb(mapper.pid!));
    }
    const reportsPerSecond = (edgecore.statusReports.length - reportsBefore) / (IDLE_MS / 1000);
    const refused = edgecore.refused.status + edgecore.refused.states + edgecore.refused.register;
    const plainMb = median(samples.plain);
    const mapperMb = median(samples.mapper);
    const range = (values: number[]) => `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
    console.log(`device-virtual (${DEVICES} devices added over REST) rss: ${plainMb.toFixed(1)} MB (median of ${samples.plain.length}, ${range(samples.plain)})`);
    console.log(`device-virtual as KubeEdge mapper (${DEVICES} devices, 2 twins each every 1 s) rss: ${mapperMb.toFixed(1)} MB (median of ${samples.mapper.length}, ${range(samples.mapper)})`);
    console.log(`twin reports to edgecore: ${reportsPerSecond.toFixed(2)} /s (edgecore's limit: 1 call/s after a burst of 100)`);
    console.log(`calls refused by edgecore's rate limit: ${refused} in all, ${refused - refusedBefore} while measuring`);
    console.log(`kubeedge mapper mode overhead: ${(mapperMb - plainMb).toFixed(1)} MB`);
  } finally {
    for (const child of children.reverse()) await stop(child);
    await edgecore?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
