import { randomUUID } from 'node:crypto';
import { createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import type { OutboxStore } from '../outbox';
import type { ExportRecord } from '../sinks/sink';
import { PipelineRunner } from './pipeline-runner';
import type { PipelineConfig } from './pipelines-file';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const TOPIC = 'edgex/events/device/device-virtual/Pump/Pump-1/All';

const event = () => ({
  apiVersion: 'v3',
  event: {
    apiVersion: 'v3',
    id: randomUUID(),
    deviceName: 'Pump-1',
    profileName: 'Pump',
    sourceName: 'All',
    origin: 1_700_000_000_000_000_000,
    readings: [
      { id: randomUUID(), origin: 1_700_000_000_000_000_000, deviceName: 'Pump-1', resourceName: 'Flow', profileName: 'Pump', valueType: 'Float32', value: '1.5' },
    ],
  },
});

const pipeline: PipelineConfig = { name: 'telemetry', topics: ['edgex/events/device/#'], filters: [], transform: 'flat', gzip: false, sinks: ['a', 'b'] };

/** An outbox that refuses the first `failures` writes to route `b` (a full disk), then takes them. */
function flakyStore(failures: number) {
  const stored: Array<[string, ExportRecord]> = [];
  let waiting: (() => void) | undefined;
  const store = {
    append(route: string, record: ExportRecord) {
      if (route === 'telemetry.b' && failures-- > 0) throw new Error('SQLITE_FULL: database or disk is full');
      stored.push([route, record]);
      if (stored.length === 2) waiting?.();
      return stored.length;
    },
  } as unknown as OutboxStore;
  const bothStored = new Promise<void>((resolve) => (waiting = resolve));
  return { store, stored, bothStored };
}

describe('PipelineRunner', () => {
  let bus: ManagedMessageBus;
  beforeEach(async () => {
    bus = createMessageBus({ type: 'memory' });
    await bus.connect();
  });
  afterEach(() => bus.close());

  it('holds a bus message while the outbox refuses writes, and stores it once per route when it recovers', async () => {
    const { store, stored, bothStored } = flakyStore(2);
    const runner = new PipelineRunner(pipeline, ['telemetry.a', 'telemetry.b'], store, bus, 'app-service', quiet);
    await runner.start();
    await bus.publish(TOPIC, newEnvelope(event()));
    await bothStored;
    // Route a took it at once and is not written again; route b after two refusals.
    expect(stored.map(([route]) => route)).toEqual(['telemetry.a', 'telemetry.b']);
    expect(runner.stats()).toMatchObject({ received: 1, exported: 1, storeErrors: 2, rejected: 0 });
    await runner.stop();
  });

  it('counts and skips a malformed message without touching the outbox', async () => {
    const { store, stored } = flakyStore(0);
    const runner = new PipelineRunner(pipeline, ['telemetry.a'], store, bus, 'app-service', quiet);
    await runner.start();
    await bus.publish(TOPIC, newEnvelope({ apiVersion: 'v3', event: { deviceName: 'Pump-1' } }));
    await bus.publish(TOPIC, newEnvelope(event()));
    await new Promise<void>((resolve) => {
      const check = () => (runner.stats().received === 2 ? resolve() : setImmediate(check));
      check();
    });
    expect(runner.stats()).toMatchObject({ received: 2, rejected: 1, exported: 1 });
    expect(stored).toHaveLength(1);
    await runner.stop();
  });
});
