/**
 * Store-and-forward across an outage, as a plant sees one: the cloud
 * endpoint is down while 20,000 readings flow; the app service (its own
 * process, as docker compose runs it, with 100 messages in flight per
 * subscription) is killed with SIGKILL while events are still streaming in
 * (the publisher has sent an eighth of them; those committed were
 * acknowledged, the rest wait at the broker) and started again, still during the
 * outage; then the endpoint comes back. Every reading must arrive, in order
 * (duplicates only as at-least-once allows: a message redelivered after the
 * kill): whatever the broker took as acknowledged was in the outbox.
 *
 * Real parts: a private Mosquitto as the bus (durable session, no queue cap),
 * the built app service (dist/: `npm test` builds first), an HTTP endpoint in
 * this process.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Event, Topics } from '@gw/contracts';
import { createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { BrokerProcess, freePort, startMosquitto } from '../support/brokers';
import { requireFreshBuild } from '../support/fresh-build';

const ROOT = join(__dirname, '../..');
const MAIN = join(ROOT, 'dist/apps/app-service/src/main.js');
const EVENTS = 4_000;
const READINGS_PER_EVENT = 5;
const topics = new Topics('edgex');

function event(seq: number): Event {
  const origin = 1_700_000_000_000_000_000 + seq * 1_000_000;
  const readings = Array.from({ length: READINGS_PER_EVENT }, (_, i) => ({
    id: randomUUID(),
    origin,
    deviceName: 'Pump-07',
    profileName: 'Pump',
    resourceName: i === 0 ? 'Seq' : `Value${i}`,
    valueType: i === 0 ? 'Int64' : 'Float32',
    value: i === 0 ? String(seq) : `${seq}.5`,
  }));
  return { apiVersion: 'v3', id: randomUUID(), deviceName: 'Pump-07', profileName: 'Pump', sourceName: 'All', origin, readings } as Event;
}

describe('export outage with a SIGKILL of the app service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-outage-'));
  let broker: BrokerProcess;
  let publisher: ManagedMessageBus;
  let child: ChildProcess | undefined;
  let endpoint: Server | undefined;
  let endpointPort: number;
  const env: Record<string, string> = {};

  /** Starts the app service and resolves once it logged "app service ready". */
  async function startAppService(): Promise<ChildProcess> {
    const proc = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: proc.stdout! });
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        if (line.includes('"app service ready"')) resolve();
      });
      proc.once('exit', (code, signal) => reject(new Error(`app service exited (${code ?? signal}): ${stderr}`)));
    });
    return proc;
  }

  function kill(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  }

  let published = 0;
  /** Publishes every event, 500 at a time awaiting the broker: faster than the app service takes them, so a backlog builds. */
  async function publishAll(): Promise<void> {
    const topic = topics.deviceEvent('device-pump', 'Pump', 'Pump-07', 'All');
    for (let from = 0; from < EVENTS; from += 500) {
      const seqs = Array.from({ length: Math.min(500, EVENTS - from) }, (_, i) => from + i);
      await Promise.all(seqs.map((seq) => publisher.publish(topic, newEnvelope({ apiVersion: 'v3', requestId: randomUUID(), event: event(seq) }))));
      published += seqs.length;
    }
  }

  async function pending(): Promise<number> {
    const url = `http://127.0.0.1:${env.GW_APP_SERVICE_PORT}/api/v3/exports`;
    const body = (await fetch(url).then((r) => r.json())) as { routes: Array<{ pending: number }> };
    return body.routes[0].pending;
  }

  beforeAll(async () => {
    requireFreshBuild('apps/app-service/src', 'libs');
    broker = await startMosquitto();
    endpointPort = await freePort();
    const pipelines = join(dir, 'pipelines.yaml');
    writeFileSync(
      pipelines,
      [
        'sinks:',
        '  - name: cloud',
        '    type: http',
        `    url: http://127.0.0.1:${endpointPort}/ingest`,
        '    timeout: 2s',
        '    outbox: { retryMin: 100ms, retryMax: 500ms }',
        'pipelines:',
        '  - name: telemetry',
        '    transform: flat',
        '    batch: { count: 500, interval: 100ms }',
        '    sinks: [cloud]',
      ].join('\n'),
    );
    Object.assign(env, {
      GW_BUS_TYPE: 'mqtt',
      GW_BUS_URL: broker.url,
      GW_HOST: '127.0.0.1',
      GW_APP_SERVICE_PORT: String(await freePort()),
      GW_APP_SERVICE_DATA_DIR: dir,
      GW_APP_SERVICE_PIPELINES_FILE: pipelines,
      GW_LOG_LEVEL: 'info',
      GW_APP_SERVICE_MAX_IN_FLIGHT: '100',
    });
    publisher = createMessageBus({ type: 'mqtt', url: broker.url, clientId: `publisher-${randomUUID()}` });
    await publisher.connect();
  });

  afterAll(async () => {
    if (child) await kill(child, 'SIGTERM');
    await publisher?.close();
    await new Promise((r) => (endpoint ? endpoint.close(r) : r(undefined)));
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every reading, in order, once the endpoint is back', async () => {
    child = await startAppService();
    const publishing = publishAll();
    // Under load: the process dies while events stream in; the rest are kept by the broker for the durable session.
    while ((await pending()) < EVENTS / 10) await new Promise((r) => setTimeout(r, 20));
    await kill(child, 'SIGKILL');
    expect(published).toBeLessThan(EVENTS);
    await publishing;
    child = await startAppService();

    const seqs: number[] = [];
    let readings = 0;
    let allArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    const seen = new Set<number>();
    endpoint = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        for (const item of JSON.parse(body) as Array<{ readings: Record<string, number> }>) {
          seqs.push(item.readings.Seq);
          seen.add(item.readings.Seq);
          readings += Object.keys(item.readings).length;
        }
        res.writeHead(200).end();
        if (seen.size === EVENTS) allArrived();
      });
    });
    await new Promise<void>((resolve) => endpoint!.listen(endpointPort, '127.0.0.1', resolve));
    await arrived;

    const firstSeen = seqs.filter((s, i) => seqs.indexOf(s) === i);
    expect(firstSeen).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
    expect(readings).toBeGreaterThanOrEqual(EVENTS * READINGS_PER_EVENT);
    // At-least-once: anything sent twice is a message redelivered after the kill, not a replay of the outbox.
    expect(seqs.length - EVENTS).toBeLessThan(EVENTS / 2);
  });
});
