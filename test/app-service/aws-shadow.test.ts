/**
 * The AWS IoT shadow sink against the shadow emulator, both on the real
 * Mosquitto. Thing names carry a per-run prefix so parallel runs on the
 * shared broker never see each other's shadows.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { connect, createServer, Server, Socket } from 'node:net';
import { AwsShadowSink, AwsShadowSinkOptions } from '../../apps/app-service/src/sinks/aws-shadow-sink';
import { AckedVersions, DeliveryError, DesiredChange, DesiredHandler, DesiredOutcome, MemoryAckedVersions, OutboxRecord, SinkLogger } from '../../apps/app-service/src/sinks/sink';
import type { AwsShadowSinkConfig } from '../../apps/app-service/src/sinks/sink-config';
import { pollUntil } from '../support/poll';
import { AwsShadowEmulator } from './support/aws-shadow-emulator';
import { throughOutbox } from './support/through-outbox';

const RUN = `gwtest-${randomBytes(4).toString('hex')}`;
const DELIVERY = { batched: true, gzip: false };

let emulator: AwsShadowEmulator;
const sinks: AwsShadowSink[] = [];
const proxies: BrokerProxy[] = [];
let nextId = 1;

beforeAll(async () => {
  emulator = await AwsShadowEmulator.start({ owns: (thing) => thing.startsWith(RUN) });
});

afterAll(async () => {
  await Promise.all(sinks.map((s) => s.stop()));
  await Promise.all(proxies.map((p) => p.cut()));
  await emulator?.stop();
});

const quietLogger: SinkLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function record(key: string, body: unknown, kind: 'reported' | 'telemetry' = 'reported'): OutboxRecord {
  return { id: nextId++, key, kind, body: Buffer.from(JSON.stringify(body)), createdAt: Date.now(), attempts: 0 };
}

/** A sink of its own per test: `tag` keeps the things of tests apart. */
async function startSink(
  tag: string,
  options: { onDesired?: DesiredHandler; config?: Partial<AwsShadowSinkConfig>; sink?: AwsShadowSinkOptions; versions?: AckedVersions } = {},
): Promise<{ sink: AwsShadowSink; thing: (device: string) => string }> {
  const config: AwsShadowSinkConfig = {
    name: `aws-${tag}`,
    type: 'aws-shadow',
    url: 'mqtt://127.0.0.1:1883',
    clientId: `${RUN}-${tag}`,
    tls: { rejectUnauthorized: true },
    thingName: `${RUN}-${tag}-{device}`,
    ...options.config,
  };
  const sink = new AwsShadowSink(config, { responseTimeoutMs: 5_000, ...options.sink });
  sinks.push(sink);
  await sink.start({ logger: quietLogger, onDesired: options.onDesired, versions: options.versions });
  return { sink, thing: (device) => `${RUN}-${tag}-${device}` };
}

/** A fake actuator handler: records calls, refuses listed resources, can be held back. */
class FakeActuators {
  readonly calls: DesiredChange[] = [];
  refuse = new Map<string, { status: number; message: string }>();
  /** What the device reports after a write, when it is not the desired value (e.g. it rounds). */
  reportAs = new Map<string, unknown>();
  private gate?: Promise<void>;
  private openGate?: () => void;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly handler: DesiredHandler = async (change) => {
    this.calls.push(change);
    this.waiters = this.waiters.filter((w) => (this.calls.length >= w.count ? (w.resolve(), false) : true));
    await this.gate;
    return Object.entries(change.values).map(([resource, value]): DesiredOutcome => {
      const refused = this.refuse.get(resource);
      if (refused) return { resource, ok: false, ...refused };
      return { resource, ok: true, value: this.reportAs.has(resource) ? this.reportAs.get(resource) : value };
    });
  };

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  called(count: number): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}

/** Resolves on log lines, so a test can await connection events. */
class RecordingLogger implements SinkLogger {
  private waiters: Array<{ msg: string; resolve: () => void }> = [];
  readonly debug = (_obj: object, msg?: string) => this.record(msg);
  readonly info = (_obj: object, msg?: string) => this.record(msg);
  readonly warn = (_obj: object, msg?: string) => this.record(msg);
  readonly error = (_obj: object, msg?: string) => this.record(msg);

  next(msg: string): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ msg, resolve }));
  }

  private record(msg?: string): void {
    this.waiters = this.waiters.filter((w) => (w.msg === msg ? (w.resolve(), false) : true));
  }
}

/**
 * A TCP hop in front of Mosquitto that a test can cut, like a network
 * outage, or make swallow what the client sends, like a connection that
 * died without either side noticing yet.
 */
class BrokerProxy {
  /** While set, the client's packets go nowhere (so no PUBACK either). */
  swallowing = false;
  private readonly sockets = new Set<Socket>();
  private readonly swallowWaiters = new Set<() => void>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(port = 0): Promise<BrokerProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const proxy = new BrokerProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => {
      const broker = connect(1883, '127.0.0.1');
      for (const socket of [client, broker]) {
        proxy.sockets.add(socket);
        socket.on('close', () => proxy.sockets.delete(socket));
        socket.on('error', () => (client.destroy(), broker.destroy()));
      }
      client.on('data', (chunk) => {
        if (!proxy.swallowing) broker.write(chunk);
        else for (const waiter of proxy.swallowWaiters) waiter();
      });
      broker.pipe(client);
    });
    proxies.push(proxy);
    return proxy;
  }

  /** Resolves when the client sends something while swallowing. */
  swallowed(): Promise<void> {
    return new Promise((resolve) => {
      const waiter = () => (this.swallowWaiters.delete(waiter), resolve());
      this.swallowWaiters.add(waiter);
    });
  }

  /** Drops the connections open now and lets new ones through again. */
  drop(): void {
    this.swallowing = false;
    for (const socket of this.sockets) socket.destroy();
  }

  async cut(): Promise<void> {
    this.drop();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('reported state', () => {
  it('sends one update per thing with the latest value per resource, and the version grows', async () => {
    const { sink, thing } = await startSink('merge');
    expect(sink.connected).toBe(true);

    await sink.deliver([record('pump', { speed: 1, mode: 'auto' }), record('valve', { open: false }), record('pump', { speed: 2 }), record('valve', { open: true })], DELIVERY);

    expect(emulator.getShadow(thing('pump'))).toMatchObject({ state: { reported: { speed: 2, mode: 'auto' } }, version: 1 });
    expect(emulator.getShadow(thing('valve'))).toMatchObject({ state: { reported: { open: true } }, version: 1 });
    expect(emulator.count('update', thing('pump'))).toBe(1);

    await sink.deliver([record('pump', { mode: 'manual' })], DELIVERY);
    expect(emulator.getShadow(thing('pump'))).toMatchObject({ state: { reported: { speed: 2, mode: 'manual' } }, version: 2 });
    // Reported updates never lock on a version: the newest reading always wins.
    const updates = emulator.requests.filter((r) => r.thing === thing('pump') && r.op === 'update');
    expect(updates.every((r) => !('version' in (r.body as object)))).toBe(true);
  });

  it('writes a named shadow when shadowName is set', async () => {
    const { sink, thing } = await startSink('named', { config: { shadowName: 'gateway' } });
    await sink.deliver([record('meter', { kwh: 12.5 })], DELIVERY);
    expect(emulator.getShadow(thing('meter'), 'gateway')?.state.reported).toEqual({ kwh: 12.5 });
    expect(emulator.getShadow(thing('meter'))).toBeUndefined();
  });

  it('with a thingName without {device}, keeps every device in one shadow', async () => {
    const { sink } = await startSink('one', { config: { thingName: `${RUN}-one-gateway` } });
    await sink.deliver([record('pump', { speed: 3 }), record('valve', { open: true }), record('pump', { mode: 'auto' })], DELIVERY);
    expect(emulator.getShadow(`${RUN}-one-gateway`)?.state.reported).toEqual({ pump: { speed: 3, mode: 'auto' }, valve: { open: true } });
  });

  it('drops telemetry records with a clear message and still delivers the reported ones', async () => {
    const { sink, thing } = await startSink('kinds');
    const { stats } = await throughOutbox(sink, [record('pump', { speed: 1 }, 'telemetry'), record('pump', { speed: 4 })]);
    expect(stats).toMatchObject({ exported: 1, dropped: { rejected: 1 }, lastError: { message: expect.stringMatching(/is telemetry: .*twin transform/) } });
    expect(emulator.getShadow(thing('pump'))?.state.reported).toEqual({ speed: 4 });
  });
});

describe('rejections', () => {
  it('a record whose device makes no valid thing name costs only itself, in one pass', async () => {
    const { sink, thing } = await startSink('badname');
    const records = Array.from({ length: 99 }, (_, i) => record(`pump${i % 10}`, { n: i }));
    const { stats, calls } = await throughOutbox(sink, [...records, record('bad.name', { n: 99 })]);
    expect(stats).toMatchObject({ exported: 99, dropped: { rejected: 1 }, lastError: { message: expect.stringMatching(/"[^"]*bad\.name" is not valid/) } });
    expect(calls).toBe(1);
    // One merged update per thing, not one per record and round.
    expect(emulator.count('update', thing('pump0'))).toBe(1);
    expect(emulator.getShadow(thing('pump8'))?.state.reported).toEqual({ n: 98 });
  });

  it('an update the service refuses is narrowed down to the record that makes it refused', async () => {
    const { sink, thing } = await startSink('narrow');
    const tooDeep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    const { stats, calls } = await throughOutbox(sink, [
      record('pump', { speed: 1 }),
      record('valve', { open: true }),
      record('pump', { mode: 'auto' }),
      record('pump', { nested: tooDeep }),
      record('valve', { open: false }),
      record('pump', { speed: 2 }),
    ]);
    expect(stats).toMatchObject({ exported: 5, dropped: { rejected: 1 }, lastError: { message: expect.stringMatching(/400 \(.*nesting/) } });
    expect(calls).toBe(2);
    expect(emulator.getShadow(thing('pump'))?.state.reported).toEqual({ speed: 2, mode: 'auto' });
    expect(emulator.getShadow(thing('valve'))?.state.reported).toEqual({ open: false });
  });

  it('on 409 reads the shadow and retries once; a second 409 is retried later', async () => {
    const { sink, thing } = await startSink('conflict');
    await sink.deliver([record('pump', { speed: 1 })], DELIVERY);

    emulator.rejectNext(1, 409, 'Version conflict');
    await sink.deliver([record('pump', { speed: 2 })], DELIVERY);
    expect(emulator.history(thing('pump'))).toEqual(['update:200', 'update:409', 'get:200', 'update:200']);
    expect(emulator.getShadow(thing('pump'))?.state.reported).toEqual({ speed: 2 });

    emulator.rejectNext(2, 409, 'Version conflict');
    await expect(sink.deliver([record('pump', { speed: 3 })], DELIVERY)).rejects.toMatchObject({ disposition: 'retry' });
    expect(emulator.getShadow(thing('pump'))?.state.reported).toEqual({ speed: 2 });
  });

  it('a shadow that would outgrow 8 KB is rejected for good (413), naming the thing and the size', async () => {
    const { sink, thing } = await startSink('size');
    await sink.deliver([record('logger', { a: 'x'.repeat(5000) })], DELIVERY);

    // Each update fits, but the stored document would not: the service answers 413.
    const err = await sink.deliver([record('logger', { b: 'y'.repeat(5000) })], DELIVERY).catch((e) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.disposition).toBe('reject');
    expect(err.message).toContain(thing('logger'));
    expect(err.message).toMatch(/413.*8192 bytes.*this update: 5008 bytes/);
    expect(emulator.history(thing('logger'))).toEqual(['update:200', 'update:413']);
    expect(Object.keys(emulator.getShadow(thing('logger'))!.state.reported!)).toEqual(['a']);

    // An update that alone exceeds the limit is not even sent.
    const alone = await sink.deliver([record('logger', { c: 'z'.repeat(9000) })], DELIVERY).catch((e) => e);
    expect(alone).toMatchObject({ disposition: 'reject', message: expect.stringMatching(/reported state is 9008 bytes/) });
    expect(emulator.count('update', thing('logger'))).toBe(2);
  });

  it('400 drops the records; 503 and silence are retried', async () => {
    const { sink } = await startSink('codes', { sink: { responseTimeoutMs: 300 } });
    emulator.rejectNext(1, 400, 'Invalid JSON');
    await expect(sink.deliver([record('pump', { speed: 1 })], DELIVERY)).rejects.toMatchObject({ disposition: 'reject', message: expect.stringMatching(/400 \(Invalid JSON\)/) });
    emulator.rejectNext(1, 503, 'Service unavailable');
    await expect(sink.deliver([record('pump', { speed: 1 })], DELIVERY)).rejects.toMatchObject({ disposition: 'retry' });
    emulator.ignoreNext(1);
    await expect(sink.deliver([record('pump', { speed: 1 })], DELIVERY)).rejects.toMatchObject({ disposition: 'retry', message: expect.stringMatching(/no answer.*300 ms/) });
    await sink.deliver([record('pump', { speed: 1 })], DELIVERY);
  });
});

describe('desired state', () => {
  it('a delta reaches onDesired for the right device; the reported value clears the delta', async () => {
    const actuators = new FakeActuators();
    const { sink, thing } = await startSink('delta', { onDesired: actuators.handler });
    await sink.deliver([record('heater', { setpoint: 20, temperature: 18 })], DELIVERY);
    // The first contact with a thing reads its pending desired state (none here).
    await emulator.waitForRequest((r) => r.thing === thing('heater') && r.op === 'get', 'the first-contact get');

    const version = await emulator.setDesired(thing('heater'), { setpoint: 22 });
    const shadow = await emulator.waitForReported(thing('heater'), (r) => r.setpoint === 22);

    expect(actuators.calls).toEqual([{ deviceName: 'heater', values: { setpoint: 22 }, origin: 'aws-delta', version }]);
    expect(shadow.state.reported).toEqual({ setpoint: 22, temperature: 18 });
    expect(shadow.state.delta).toBeUndefined();
  });

  it('a refused value is reported under gatewayErrors and removed from desired; a later success clears the error', async () => {
    const actuators = new FakeActuators();
    actuators.refuse.set('bogus', { status: 404, message: 'device heater has no resource bogus' });
    const { thing } = await startSink('refused', { onDesired: actuators.handler });

    const version = await emulator.setDesired(thing('heater'), { setpoint: 21, bogus: 1 });
    const shadow = await emulator.waitForReported(thing('heater'), (r) => r.gatewayErrors !== undefined);
    expect(shadow.state.reported).toEqual({
      setpoint: 21,
      gatewayErrors: { bogus: { status: 404, message: 'device heater has no resource bogus', version } },
    });
    expect(shadow.state.desired).toEqual({ setpoint: 21 });
    expect(shadow.state.delta).toBeUndefined();

    actuators.refuse.clear();
    await emulator.setDesired(thing('heater'), { bogus: 2 });
    const fixed = await emulator.waitForReported(thing('heater'), (r) => r.bogus === 2);
    expect(fixed.state.reported).toEqual({ setpoint: 21, bogus: 2 });
  });

  it('removing a refused value locks on the delta version: on 409 it rereads the shadow and retries', async () => {
    const actuators = new FakeActuators();
    actuators.refuse.set('mode', { status: 405, message: 'resource mode of heater is read-only' });
    const { sink, thing } = await startSink('lock', { onDesired: actuators.handler });
    await sink.deliver([record('heater', { mode: 'auto', level: 3 })], DELIVERY);
    await emulator.waitForRequest((r) => r.thing === thing('heater') && r.op === 'get', 'the first-contact get');

    actuators.hold();
    await emulator.setDesired(thing('heater'), { mode: 'eco' });
    await actuators.called(1);
    // The shadow moves on while the value is applied; the new delta repeats mode (it still differs).
    await emulator.setDesired(thing('heater'), { level: 4 });
    actuators.release();

    const shadow = await emulator.waitForReported(thing('heater'), (r) => r.gatewayErrors?.mode !== undefined && r.level === 4);
    expect(emulator.history(thing('heater'))).toEqual([
      'update:200', // deliver
      'get:200', // first contact
      'update:409', // outcome at the delta's version
      'get:200',
      'update:200', // mode removed from desired: still the refused value
      'update:200', // outcome of level
    ]);
    expect(shadow.state.desired).toEqual({ level: 4 });
    // Removing mode from desired makes the service send a fresh delta without it.
    expect(actuators.calls.map((c) => c.values)).toEqual([{ mode: 'eco' }, { level: 4 }]);
  });

  it('deltas of one thing are applied one at a time, skipping to the newest', async () => {
    const actuators = new FakeActuators();
    const { sink, thing } = await startSink('serial', { onDesired: actuators.handler });
    actuators.hold();
    await emulator.setDesired(thing('fan'), { speed: 1 });
    await actuators.called(1);
    await emulator.setDesired(thing('fan'), { speed: 2 });
    const newest = await emulator.setDesired(thing('fan'), { speed: 3 });
    // A reply on the same connection, sent after both deltas: once it is in, so are they.
    await sink.deliver([record('sync', { rpm: 0 })], DELIVERY);
    actuators.release();

    await emulator.waitForReported(thing('fan'), (r) => r.speed === 3);
    expect(actuators.calls.map((c) => [c.values, c.version])).toEqual([
      [{ speed: 1 }, newest - 2],
      [{ speed: 3 }, newest],
    ]);
  });

  it('a device that rounds keeps a visible delta, and a value just applied is not written again', async () => {
    const actuators = new FakeActuators();
    actuators.reportAs.set('setpoint', 21.5);
    const { thing } = await startSink('round', { onDesired: actuators.handler });
    actuators.hold();
    await emulator.setDesired(thing('heater'), { setpoint: 21.55 });
    await actuators.called(1);
    // This delta repeats setpoint: it still differs while the first write is under way.
    await emulator.setDesired(thing('heater'), { fan: 'low' });
    actuators.release();

    const shadow = await emulator.waitForReported(thing('heater'), (r) => r.fan === 'low');
    expect(actuators.calls.map((c) => c.values)).toEqual([{ setpoint: 21.55 }, { fan: 'low' }]);
    expect(shadow.state.reported).toEqual({ setpoint: 21.5, fan: 'low' });
    expect(shadow.state.delta).toEqual({ setpoint: 21.55 });
  });

  it('applies desired values set while the gateway was away, on first contact with the thing', async () => {
    const actuators = new FakeActuators();
    await emulator.setDesired(`${RUN}-away-boiler`, { setpoint: 60 });
    const { sink, thing } = await startSink('away', { onDesired: actuators.handler });
    await sink.deliver([record('boiler', { setpoint: 55 })], DELIVERY);

    await emulator.waitForReported(thing('boiler'), (r) => r.setpoint === 60);
    expect(actuators.calls).toEqual([{ deviceName: 'boiler', values: { setpoint: 60 }, origin: 'aws-delta', version: expect.any(Number), reconcile: true }]);
  });

  it('a value the device could not take (5xx) is tried again while connected, after the reconnect period', async () => {
    const actuators = new FakeActuators();
    actuators.refuse.set('speed', { status: 503, message: 'device fan is unreachable' });
    const { sink, thing } = await startSink('retry', { onDesired: actuators.handler, sink: { reconnectPeriodMs: 100 } });
    await sink.deliver([record('fan', { speed: 1 })], DELIVERY);
    await emulator.waitForRequest((r) => r.thing === thing('fan') && r.op === 'get', 'the first-contact get');

    await emulator.setDesired(thing('fan'), { speed: 6 });
    await actuators.called(1);
    actuators.refuse.clear();
    const shadow = await emulator.waitForReported(thing('fan'), (r) => r.speed === 6);
    expect(actuators.calls.map((c) => [c.values, c.reconcile ?? false])).toEqual([
      [{ speed: 6 }, false],
      // The retry reads the whole desired state again and reconciles it.
      [{ speed: 6 }, true],
    ]);
    expect(shadow.state.delta).toBeUndefined();
  });

  it('a shadow at a lower version than the one kept (made again elsewhere) is caught up, and the lower version kept', async () => {
    const actuators = new FakeActuators();
    const versions = new MemoryAckedVersions();
    const thing = `${RUN}-recreated-boiler`;
    const version = await emulator.setDesired(thing, { setpoint: 40 });
    // Kept from a shadow of the same name that had come much further.
    versions.set(thing, version + 1000);
    const { sink } = await startSink('recreated', { onDesired: actuators.handler, versions });
    await sink.deliver([record('boiler', { setpoint: 35 })], DELIVERY);

    await emulator.waitForReported(thing, (r) => r.setpoint === 40);
    expect(actuators.calls.map((c) => c.values)).toEqual([{ setpoint: 40 }]);
    // Kept right after the outcome report's reply, which has no event of its own.
    await pollUntil(() => versions.get(thing)! < version + 1000, 'the lower version kept');
    expect(versions.get(thing)).toBeGreaterThan(version);
  });

  it('a version the outbox database cannot keep (disk full) is caught up again after the reconnect period, never thrown', async () => {
    const actuators = new FakeActuators();
    const kept = new Map<string, number>();
    let failures = 1;
    const versions: AckedVersions = {
      get: (twin) => kept.get(twin),
      set: (twin, version) => {
        if (failures-- > 0) throw new Error('SQLITE_FULL: database or disk is full');
        kept.set(twin, version);
      },
    };
    const thing = `${RUN}-diskfull-boiler`;
    await emulator.setDesired(thing, { setpoint: 40 });
    const { sink } = await startSink('diskfull', { onDesired: actuators.handler, versions, sink: { reconnectPeriodMs: 100 } });
    await sink.deliver([record('boiler', { setpoint: 35 })], DELIVERY);
    await pollUntil(() => kept.has(thing), 'the version kept by the second catch-up');
    expect(actuators.calls.map((c) => [c.values, c.reconcile ?? false])).toEqual([
      [{ setpoint: 40 }, true],
      [{ setpoint: 40 }, true],
    ]);
  });

  it('maps deltas back to gateway devices only through thingName and devices', async () => {
    const actuators = new FakeActuators();
    const { sink, thing } = await startSink('map', { onDesired: actuators.handler, config: { devices: '^pump' } });
    await sink.deliver([record('valve', { open: true })], DELIVERY);
    expect(emulator.count('update', thing('valve'))).toBe(0);

    await emulator.setDesired(thing('valve'), { open: false });
    await emulator.setDesired(`${RUN}-other-pump1`, { speed: 9 });
    await emulator.setDesired(thing('pump1'), { speed: 5 });
    // Deltas arrive in order on one connection: once pump1's is handled, the others were seen.
    await emulator.waitForReported(thing('pump1'), (r) => r.speed === 5);
    expect(actuators.calls.map((c) => c.deviceName)).toEqual(['pump1']);
  });

  it('with one thing for the gateway, a delta section per device goes to that device', async () => {
    const actuators = new FakeActuators();
    const gateway = `${RUN}-single-gateway`;
    const { sink } = await startSink('single', { onDesired: actuators.handler, config: { thingName: gateway } });
    await sink.deliver([record('pump', { speed: 1 }), record('valve', { open: false })], DELIVERY);

    await emulator.setDesired(gateway, { pump: { speed: 4 }, valve: { open: true } });
    const shadow = await emulator.waitForReported(gateway, (r) => r.pump?.speed === 4 && r.valve?.open === true);
    expect(actuators.calls.map((c) => [c.deviceName, c.values]).sort()).toEqual([
      ['pump', { speed: 4 }],
      ['valve', { open: true }],
    ]);
    expect(shadow.state.delta).toBeUndefined();
  });
});

describe('connection', () => {
  /** A sink through a proxy, its first update written; `updates()` lists the speeds the emulator was asked to write. */
  async function behindProxy(tag: string, responseTimeoutMs: number) {
    const proxy = await BrokerProxy.start();
    const logger = new RecordingLogger();
    const sink = new AwsShadowSink(
      { name: `aws-${tag}`, type: 'aws-shadow', url: `mqtt://127.0.0.1:${proxy.port}`, clientId: `${RUN}-${tag}`, tls: { rejectUnauthorized: true }, thingName: `${RUN}-${tag}-{device}` },
      { reconnectPeriodMs: 100, responseTimeoutMs },
    );
    sinks.push(sink);
    await sink.start({ logger });
    await sink.deliver([record('pump', { speed: 1 })], DELIVERY);
    const thing = `${RUN}-${tag}-pump`;
    const updates = () => emulator.requests.filter((r) => r.thing === thing && r.op === 'update').map((r) => (r.body as any).state.reported.speed);
    return { proxy, logger, sink, thing, updates };
  }

  it('an update without PUBACK in time is never sent again by the MQTT client after a reconnect', async () => {
    const { proxy, logger, sink, thing, updates } = await behindProxy('stale', 300);
    proxy.swallowing = true;
    await expect(sink.deliver([record('pump', { speed: 2 })], DELIVERY)).rejects.toMatchObject({ disposition: 'retry', delivered: 0 });

    const back = logger.next('MQTT connected');
    proxy.drop();
    await back;
    await sink.deliver([record('pump', { speed: 3 })], DELIVERY);
    // mqtt.js would otherwise have replayed speed 2 first, after the newer state was decided.
    expect(updates()).toEqual([1, 3]);
    expect(emulator.getShadow(thing)?.state.reported).toEqual({ speed: 3 });
  });

  it('an update in flight when the connection drops fails at once and is never sent again by the MQTT client', async () => {
    const { proxy, logger, sink, updates } = await behindProxy('inflight', 30_000);
    proxy.swallowing = true;
    const swallowed = proxy.swallowed();
    const inFlight = sink.deliver([record('pump', { speed: 2 })], DELIVERY).catch((e) => e);
    await swallowed;
    const back = logger.next('MQTT connected');
    proxy.drop();
    expect(await inFlight).toMatchObject({ disposition: 'retry' });
    await back;
    await sink.deliver([record('pump', { speed: 3 })], DELIVERY);
    expect(updates()).toEqual([1, 3]);
  });

  it('losing the broker fails requests in flight at once; after reconnecting, desired state set meanwhile is applied', async () => {
    const proxy = await BrokerProxy.start();
    const logger = new RecordingLogger();
    const actuators = new FakeActuators();
    const thing = `${RUN}-cut-pump`;
    const sink = new AwsShadowSink(
      { name: 'aws-cut', type: 'aws-shadow', url: `mqtt://127.0.0.1:${proxy.port}`, clientId: `${RUN}-cut`, tls: { rejectUnauthorized: true }, thingName: `${RUN}-cut-{device}` },
      { reconnectPeriodMs: 100, responseTimeoutMs: 30_000 },
    );
    sinks.push(sink);
    await sink.start({ logger, onDesired: actuators.handler });
    await sink.deliver([record('pump', { speed: 1 })], DELIVERY);
    await emulator.waitForRequest((r) => r.thing === thing && r.op === 'get', 'the first-contact get');

    emulator.ignoreNext(1);
    const inFlight = sink.deliver([record('pump', { speed: 2 })], DELIVERY).catch((e) => e);
    await emulator.waitForRequest((r) => r.thing === thing && r.code === 0, 'the unanswered update');
    const lost = logger.next('MQTT connection lost; reconnecting');
    await proxy.cut();
    await lost;
    expect(sink.connected).toBe(false);
    // Long before the 30 s response timeout.
    expect(await inFlight).toMatchObject({ disposition: 'retry', message: expect.stringMatching(/the MQTT connection was lost/) });
    await expect(sink.deliver([record('pump', { speed: 2 })], DELIVERY)).rejects.toMatchObject({ disposition: 'retry' });

    await emulator.setDesired(thing, { speed: 7 });
    const back = logger.next('MQTT connected');
    await BrokerProxy.start(proxy.port);
    await back;
    expect(sink.connected).toBe(true);
    await emulator.waitForReported(thing, (r) => r.speed === 7);
    expect(actuators.calls.map((c) => c.values)).toEqual([{ speed: 7 }]);
  });

  it('a delta whose outcome is lost with the connection is applied again by the catch-up after the reconnect', async () => {
    const proxy = await BrokerProxy.start();
    const logger = new RecordingLogger();
    const actuators = new FakeActuators();
    const thing = `${RUN}-lost-pump`;
    const sink = new AwsShadowSink(
      { name: 'aws-lost', type: 'aws-shadow', url: `mqtt://127.0.0.1:${proxy.port}`, clientId: `${RUN}-lost`, tls: { rejectUnauthorized: true }, thingName: `${RUN}-lost-{device}` },
      { reconnectPeriodMs: 100, responseTimeoutMs: 5_000 },
    );
    sinks.push(sink);
    await sink.start({ logger, onDesired: actuators.handler });
    await sink.deliver([record('pump', { speed: 1 })], DELIVERY);
    await emulator.waitForRequest((r) => r.thing === thing && r.op === 'get', 'the first-contact get');

    // The device cannot take the value (5xx), and the outcome report goes nowhere: the connection is gone.
    actuators.hold();
    actuators.refuse.set('speed', { status: 503, message: 'device pump is unreachable' });
    const version = await emulator.setDesired(thing, { speed: 5 });
    await actuators.called(1);
    const lost = logger.next('MQTT connection lost; reconnecting');
    await proxy.cut();
    await lost;
    const reportFailed = logger.next('could not report the outcome of desired changes');
    actuators.release();
    await reportFailed;
    actuators.refuse.clear();

    // Back at the same version: the catch-up must not take it for one applied already.
    expect(emulator.getShadow(thing)?.version).toBe(version);
    await BrokerProxy.start(proxy.port);
    await emulator.waitForReported(thing, (r) => r.speed === 5);
    expect(actuators.calls.map((c) => [c.values, c.version])).toEqual([
      [{ speed: 5 }, version],
      [{ speed: 5 }, version],
    ]);
  });

  it('with the broker unreachable, start() still resolves, connected is false and deliver asks for a retry', async () => {
    const port = await closedPort();
    const sink = new AwsShadowSink({
      name: 'aws-down',
      type: 'aws-shadow',
      url: `mqtt://127.0.0.1:${port}`,
      clientId: `${RUN}-down`,
      tls: { rejectUnauthorized: true },
      thingName: '{device}',
    });
    sinks.push(sink);
    await sink.start({ logger: quietLogger });
    expect(sink.connected).toBe(false);
    const err = await sink.deliver([record('pump', { speed: 1 })], DELIVERY).catch((e) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ disposition: 'retry', message: expect.stringContaining(`not connected to mqtt://127.0.0.1:${port}`) });
  });
});

describe('the emulator answers as the AWS IoT docs describe', () => {
  const thing = `${RUN}-raw-lamp`;
  const base = `$aws/things/${thing}/shadow`;
  let client: mqtt.MqttClient;
  const received: Array<{ topic: string; body: any }> = [];
  let token = 0;

  beforeAll(async () => {
    client = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: `${RUN}-raw` });
    client.on('message', (topic, payload) => received.push({ topic, body: JSON.parse(payload.toString()) }));
    await client.subscribeAsync([`${base}/+/accepted`, `${base}/+/rejected`, `${base}/update/delta`], { qos: 1 });
  });
  afterAll(async () => {
    await client?.endAsync();
  });

  /** Publishes a request and resolves with its accepted or rejected reply, matched by clientToken. */
  async function ask(op: 'update' | 'get' | 'delete', body: object | string): Promise<{ topic: string; body: any }> {
    const clientToken = `raw-${++token}`;
    const payload = typeof body === 'string' ? body : JSON.stringify({ ...body, clientToken });
    const matches = (m: { topic: string; body: any }) =>
      (m.topic === `${base}/${op}/accepted` || m.topic === `${base}/${op}/rejected`) && (typeof body === 'string' || m.body.clientToken === clientToken);
    const seen = received.length;
    await client.publishAsync(`${base}/${op}`, payload, { qos: 1 });
    return arrival(matches, `a reply to ${op}`, seen);
  }

  /** The first message from `from` on that matches, now or when it arrives. */
  function arrival(matches: (m: { topic: string; body: any }) => boolean, what: string, from = 0): Promise<{ topic: string; body: any }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what}`)), 5_000);
      const poll = () => {
        const found = received.slice(from).find(matches);
        if (found) {
          clearTimeout(timer);
          client.off('message', poll);
          resolve(found);
        }
      };
      client.on('message', poll);
      poll();
    });
  }

  it('versions every update, locks optimistically, and computes the delta', async () => {
    const created = await ask('update', { state: { desired: { color: 'RED', lights: { r: 255, g: 255 }, seq: [1, 2] } } });
    expect(created).toMatchObject({ topic: `${base}/update/accepted`, body: { version: 1, metadata: { desired: { color: { timestamp: expect.any(Number) } } } } });
    // The delta is published after the accepted answer: wait for it rather than look once.
    const delta = await arrival((m) => m.topic === `${base}/update/delta` && m.body.version === 1, 'delta of version 1');
    expect(delta?.body.state).toEqual({ color: 'RED', lights: { r: 255, g: 255 }, seq: [1, 2] });

    await ask('update', { state: { reported: { color: 'GREEN', lights: { r: 255, g: 0 }, seq: [1, 2], engine: 'ON' } } });
    const doc = await ask('get', {});
    expect(doc.body).toMatchObject({ version: 2, state: { delta: { color: 'RED', lights: { g: 255 } } } });
    expect(doc.body.state.delta).not.toHaveProperty('seq');
    // A reported-only update publishes no delta, even though one remains.
    expect(received.filter((m) => m.topic === `${base}/update/delta`).map((m) => m.body.version)).toEqual([1]);

    expect((await ask('update', { state: { desired: { color: 'BLUE' } }, version: 1 })).body).toMatchObject({ code: 409, message: 'Version conflict' });
    expect((await ask('update', { state: { desired: { color: null } }, version: 2 })).body).toMatchObject({ version: 3 });
    expect((await ask('get', {})).body.state.desired).toEqual({ lights: { r: 255, g: 255 }, seq: [1, 2] });
  });

  it('rejects malformed requests with 400, an unknown shadow with 404, and keeps counting versions after delete', async () => {
    expect((await ask('update', 'not json')).body).toMatchObject({ code: 400, message: 'Invalid JSON' });
    expect((await ask('update', { reported: { a: 1 } })).body).toMatchObject({ code: 400, message: 'Missing required node: state' });
    expect((await ask('update', { state: { delta: { a: 1 } } })).body).toMatchObject({ code: 400, message: 'State contains an invalid node' });
    expect((await ask('update', { state: { reported: 5 } })).body).toMatchObject({ code: 400, message: 'Reported node must be an object' });
    expect((await ask('update', { state: { reported: { a: { b: { c: { d: { e: 1 } } } } } } })).body).toMatchObject({ code: 400, message: expect.stringMatching(/nesting/) });
    const longToken = JSON.stringify({ state: { reported: { a: 1 } }, clientToken: 'x'.repeat(65) });
    expect((await ask('update', longToken)).body).toMatchObject({ code: 400, message: 'Invalid clientToken' });

    const before = (await ask('get', {})).body.version as number;
    expect((await ask('delete', {})).body).toMatchObject({ version: before });
    expect((await ask('get', {})).body).toMatchObject({ code: 404 });
    expect((await ask('update', { state: { reported: { a: 1 } } })).body).toMatchObject({ version: before + 1 });
  });
});
