/**
 * The outbox's group commit on real brokers (a private Mosquitto and a
 * private redis-server): the app service takes a burst through a durable
 * subscription with many messages in flight and stores every event once, in
 * publish order, in far fewer commits than messages; and a message whose
 * commit the outbox refuses stays unacknowledged at the broker (Redis shows
 * it: the consumer group's pending entries) until a commit holds it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@gw/contracts';
import { BusConfig, createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { RunningAppService, startAppService } from '../../apps/app-service/src/app-service.app';
import { GroupCommitter, OUTBOX_DEFAULTS, OutboxStore, RouteRecord } from '../../apps/app-service/src/outbox';
import { PipelineRunner } from '../../apps/app-service/src/pipeline/pipeline-runner';
import { parsePipelinesFile, PipelineConfig } from '../../apps/app-service/src/pipeline/pipelines-file';
import type { Sink } from '../../apps/app-service/src/sinks/sink';
import type { ActuatorPorts } from '../../apps/app-service/src/twin/desired-state';
import { pollUntil } from '../messaging/helpers';
import { BrokerProcess, startMosquitto, startRedis } from '../support/brokers';
import { quietLogger } from '../support/quiet-logger';
import { rawRedis } from '../support/redis';

const EVENTS = 3_000;
const MAX_IN_FLIGHT = 200;
const logger = quietLogger('app-service');

const addEvent = (seq: number) => {
  const origin = 1_700_000_000_000_000_000 + seq;
  const reading = { id: randomUUID(), origin, deviceName: 'Pump-07', profileName: 'Pump', resourceName: 'Seq', valueType: 'Int64', value: String(seq) };
  return { apiVersion: 'v3', requestId: randomUUID(), event: { apiVersion: 'v3', id: randomUUID(), deviceName: 'Pump-07', profileName: 'Pump', sourceName: 'All', origin, readings: [reading] } };
};
const seqOf = (body: Buffer) => (JSON.parse(body.toString()) as { readings: { Seq: number } }).readings.Seq;

/** Publishes events [from, to) under topic base `base` (its own Redis stream), with at most 500 publishes awaiting the broker. */
async function publishAll(bus: ManagedMessageBus, from: number, to: number, base = 'edgex'): Promise<void> {
  const topic = new Topics(base).deviceEvent('device-pump', 'Pump', 'Pump-07', 'All');
  const window = 500;
  for (let start = from; start < to; start += window) {
    const end = Math.min(start + window, to);
    await Promise.all(Array.from({ length: end - start }, (_, i) => bus.publish(topic, newEnvelope(addEvent(start + i)))));
  }
}

/** A destination that is down: records stay in the outbox, where the test reads them. */
const downSink = (name: string): Sink => ({
  name,
  maxBatch: 100,
  connected: false,
  start: async () => undefined,
  stop: async () => undefined,
  deliver: () => Promise.reject(new Error('destination down')),
});

const noActuators: ActuatorPorts = {
  profileOf: () => Promise.reject(new Error('not used')),
  get: () => Promise.reject(new Error('not used')),
  set: () => Promise.reject(new Error('not used')),
};

describe.each(['mqtt', 'redis'] as const)('outbox group commit on %s', (type) => {
  let broker: BrokerProcess;
  const dirs: string[] = [];
  const buses: ManagedMessageBus[] = [];

  beforeAll(async () => {
    broker = type === 'mqtt' ? await startMosquitto() : await startRedis();
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await broker?.dispose();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function bus(role: string): Promise<ManagedMessageBus> {
    const config: BusConfig = { type, url: broker.url, clientId: `${role}-${randomUUID()}` };
    const b = createMessageBus(config);
    buses.push(b);
    await b.connect();
    return b;
  }

  it('stores every event of a burst in the outbox exactly once, in publish order, many per commit', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-group-commit-'));
    dirs.push(dataDir);
    const pipelines = parsePipelinesFile(
      ['sinks:', '  - name: cloud', '    type: http', '    url: http://127.0.0.1:9/never', 'pipelines:', '  - name: telemetry', '    transform: flat', '    sinks: [cloud]'].join('\n'),
      'pipelines.yaml',
      { topicBase: 'edgex' },
    );
    let app: RunningAppService | undefined = await startAppService(
      { host: '127.0.0.1', port: 0, topicBase: 'edgex', dataDir, durableName: `app-${randomUUID()}`, maxInFlight: MAX_IN_FLIGHT },
      { bus: await bus('app-service'), logger, pipelines, createSink: (s) => downSink(s.name), actuators: noActuators },
    );
    try {
      await publishAll(await bus('publisher'), 0, EVENTS);
      const running = app;
      await pollUntil(() => running.figures.pipelines()[0].exported >= EVENTS, `${EVENTS} events in the outbox`, 30_000, 20);
      const outbox = running.figures.outbox();
      const exports = (await (await fetch(`${running.url}/api/v3/exports`)).json()) as { outbox: { commits: number; records: number } };
      expect(exports.outbox).toMatchObject({ commits: outbox.commits, records: EVENTS });
      const metrics = await (await fetch(`${running.url}/api/v3/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^gw_outbox_committed_records_total(\\{[^}]*\\})? ${EVENTS}$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^gw_outbox_commits_total(\\{[^}]*\\})? ${outbox.commits}$`, 'm'));
      // Grouped: with up to MAX_IN_FLIGHT messages in hand, far fewer commits than messages.
      expect(outbox.commits).toBeLessThan(EVENTS / 5);
      await running.close();
      app = undefined;
    } finally {
      await app?.close();
    }

    const store = new OutboxStore(join(dataDir, 'app-service-outbox.db'), { logger });
    try {
      const seqs = store.page('telemetry.cloud', EVENTS * 2).map((r) => seqOf(r.body));
      expect(seqs).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
    } finally {
      store.close();
    }
  });

  if (type !== 'redis') return;

  it('leaves messages unacknowledged at the broker while the outbox refuses their commit, and acknowledges them after it', async () => {
    const store = new OutboxStore(':memory:', { logger });
    store.openRoute('telemetry.cloud', OUTBOX_DEFAULTS);
    const state = { refusing: true, attempts: 0 };
    const appendGroup = store.appendGroup.bind(store);
    store.appendGroup = (items: readonly RouteRecord[]) => {
      state.attempts++;
      if (state.refusing) throw new Error('SQLITE_FULL: database or disk is full');
      return appendGroup(items);
    };
    const outbox = new GroupCommitter(store, { logger, retryMinMs: 50, retryMaxMs: 50 });
    const pipeline: PipelineConfig = { name: 'telemetry', topics: ['plant/events/device/#'], filters: [], transform: 'flat', gzip: false, sinks: ['cloud'] };
    const durable = `app-${randomUUID()}`;
    const runner = new PipelineRunner(pipeline, ['telemetry.cloud'], outbox, await bus('app-service'), durable, logger, MAX_IN_FLIGHT);
    const redis = await rawRedis(broker.url);
    /** The consumer group's view: entries handed to the consumer, and those not acknowledged. */
    const group = async () => {
      const groups = (await redis.sendCommand(['XINFO', 'GROUPS', 'gw:stream:plant/events'])) as unknown[][];
      const fields = groups.map((g) => Object.fromEntries(Array.from({ length: g.length / 2 }, (_, i) => [String(g[2 * i]), g[2 * i + 1]])));
      const mine = fields.find((g) => g.name === `${durable}.telemetry`)!;
      return { read: Number(mine['entries-read']), pending: Number(mine.pending) };
    };
    try {
      await runner.start();
      await publishAll(await bus('publisher'), 0, 100, 'plant');
      await pollUntil(async () => state.attempts >= 3 && (await group()).read > 0, 'refused commits of delivered messages', 15_000, 20);
      const held = await group();
      // Delivered to the app service, refused by its outbox: none acknowledged.
      expect(held.pending).toBe(held.read);
      expect(store.count('telemetry.cloud')).toBe(0);

      state.refusing = false;
      await pollUntil(() => runner.stats().exported === 100, 'the 100 events committed', 15_000, 20);
      await pollUntil(async () => (await group()).pending === 0, 'every entry acknowledged', 15_000, 20);
      expect(await group()).toEqual({ read: 100, pending: 0 });
      expect(store.page('telemetry.cloud', 200).map((r) => seqOf(r.body))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    } finally {
      // As the app service stops: no back-off holds the subscription's stop.
      outbox.stop();
      await runner.stop();
      outbox.close();
      store.close();
      redis.destroy();
    }
  });
});
