import { randomUUID } from 'node:crypto';
import { createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { GroupCommitter, OUTBOX_DEFAULTS, OutboxStore, RouteRecord } from '../outbox';
import { PipelineRunner } from './pipeline-runner';
import type { PipelineConfig } from './pipelines-file';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const TOPIC = 'edgex/events/device/device-virtual/Pump/Pump-1/All';

const event = (flow = 1.5) => ({
  apiVersion: 'v3',
  event: {
    apiVersion: 'v3',
    id: randomUUID(),
    deviceName: 'Pump-1',
    profileName: 'Pump',
    sourceName: 'All',
    origin: 1_700_000_000_000_000_000,
    readings: [
      { id: randomUUID(), origin: 1_700_000_000_000_000_000, deviceName: 'Pump-1', resourceName: 'Flow', profileName: 'Pump', valueType: 'Float32', value: String(flow) },
    ],
  },
});

const pipeline: PipelineConfig = { name: 'telemetry', topics: ['edgex/events/device/#'], filters: [], transform: 'flat', gzip: false, sinks: ['a', 'b'] };

/** A real in-memory outbox that refuses commits while `refusing` is set (a full disk) and says when it holds `n` records of route a. */
function flakyOutbox() {
  const store = new OutboxStore(':memory:', { logger: quiet });
  store.openRoute('telemetry.a', OUTBOX_DEFAULTS);
  store.openRoute('telemetry.b', OUTBOX_DEFAULTS);
  const state = { refusing: false, attempts: 0 };
  const appendGroup = store.appendGroup.bind(store);
  store.appendGroup = (items: readonly RouteRecord[]) => {
    state.attempts++;
    if (state.refusing) throw new Error('SQLITE_FULL: database or disk is full');
    return appendGroup(items);
  };
  const outbox = new GroupCommitter(store, { logger: quiet, retryMinMs: 20, retryMaxMs: 20 });
  return { store, outbox, state };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('PipelineRunner', () => {
  let bus: ManagedMessageBus;
  beforeEach(async () => {
    bus = createMessageBus({ type: 'memory' });
    await bus.connect();
  });
  afterEach(() => bus.close());

  it('holds a bus message unacknowledged while the outbox refuses it, and stores it once per route when it recovers', async () => {
    const { store, outbox, state } = flakyOutbox();
    state.refusing = true;
    const runner = new PipelineRunner(pipeline, ['telemetry.a', 'telemetry.b'], outbox, bus, 'app-service', quiet);
    await runner.start();
    await bus.publish(TOPIC, newEnvelope(event(1)));
    await bus.publish(TOPIC, newEnvelope(event(2)));
    await until(() => state.attempts >= 2);
    // The handler has not resolved: the bus has not counted the message as handled (acknowledged).
    expect(bus.stats().delivered).toBe(0);
    expect(store.count('telemetry.a')).toBe(0);

    state.refusing = false;
    await until(() => bus.stats().delivered === 2);
    const flows = (route: string) => store.page(route, 10).map((r) => JSON.parse(r.body.toString()).readings.Flow);
    expect([flows('telemetry.a'), flows('telemetry.b')]).toEqual([[1, 2], [1, 2]]);
    expect(runner.stats()).toMatchObject({ received: 2, exported: 2, rejected: 0 });
    expect(runner.stats().storeErrors).toBeGreaterThanOrEqual(2);
    await runner.stop();
    store.close();
  });

  it('counts and skips a malformed message without touching the outbox', async () => {
    const { store, outbox } = flakyOutbox();
    const runner = new PipelineRunner(pipeline, ['telemetry.a'], outbox, bus, 'app-service', quiet);
    await runner.start();
    await bus.publish(TOPIC, newEnvelope({ apiVersion: 'v3', event: { deviceName: 'Pump-1' } }));
    await bus.publish(TOPIC, newEnvelope(event()));
    await until(() => bus.stats().delivered === 2);
    expect(runner.stats()).toMatchObject({ received: 2, rejected: 1, exported: 1 });
    expect(store.count('telemetry.a')).toBe(1);
    await runner.stop();
    store.close();
  });
});
