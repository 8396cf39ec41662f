import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, settle } from '@gw/contracts';
import { DeliveryError, type DeliveryOptions, type ExportRecord, type OutboxRecord, type Sink, type SinkLogger } from '../sinks/sink';
import { OUTBOX_DEFAULTS, OutboxOptions, RouteOptions } from './outbox-options';
import { OutboxStore } from './outbox-store';
import { RouteWorker } from './route-worker';

const ROUTE = 'plant.cloud';
const rec = (text: string): ExportRecord => ({ key: 'pump-1', kind: 'telemetry', body: Buffer.from(text) });
const texts = (...names: string[]) => names.map(rec);

interface Call {
  bodies: string[];
  attempts: number[];
  options: DeliveryOptions;
  at: number;
  ok?: boolean;
}

/** A sink whose deliver() calls succeed unless `outcomes` says otherwise (an Error to throw, or a promise to wait for). */
class FakeSink implements Sink {
  readonly name = 'fake';
  connected = true;
  maxBatch = 100;
  readonly calls: Call[] = [];
  outcomes: Array<Error | Promise<void>> = [];
  private listeners: Array<() => void> = [];

  constructor(private readonly clock: ManualClock) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async deliver(records: OutboxRecord[], options: DeliveryOptions): Promise<void> {
    const call: Call = {
      bodies: records.map((r) => r.body.toString()),
      attempts: records.map((r) => r.attempts),
      options,
      at: this.clock.now(),
    };
    this.calls.push(call);
    for (const listener of this.listeners.splice(0)) listener();
    const outcome = this.outcomes.shift();
    call.ok = false;
    if (outcome instanceof Error) throw outcome;
    if (outcome) await outcome;
    call.ok = true;
  }

  /** Resolves once deliver() was called `n` times in all. */
  called(n: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (this.calls.length >= n ? resolve() : this.listeners.push(check));
      check();
    });
  }

  get delivered(): string[] {
    return this.calls.filter((c) => c.ok).flatMap((c) => c.bodies);
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function captureLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: SinkLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe('RouteWorker', () => {
  let clock: ManualClock;
  let store: OutboxStore;
  let sink: FakeSink;
  let log: ReturnType<typeof captureLogger>;
  const workers: RouteWorker[] = [];

  function worker(options: Partial<RouteOptions> = {}, bounds: Partial<OutboxOptions> = {}, random = () => 0.5) {
    const w = new RouteWorker(
      { route: ROUTE, gzip: false, ...options, bounds: { ...OUTBOX_DEFAULTS, ...bounds } },
      { store, sink, logger: log.logger, clock, random },
    );
    workers.push(w);
    return w;
  }

  beforeEach(() => {
    clock = new ManualClock();
    log = captureLogger();
    store = new OutboxStore(':memory:', { logger: log.logger, clock });
    sink = new FakeSink(clock);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop(true)));
    store.close();
  });

  it('waits without polling and wakes as soon as a record is appended', async () => {
    worker().start();
    await settle();
    expect(clock.nextTimerIn).toBeUndefined();
    expect(sink.calls).toHaveLength(0);

    store.append(ROUTE, rec('a'));
    await sink.called(1);
    expect(sink.calls[0]).toMatchObject({ bodies: ['a'], at: clock.now(), options: { batched: false, gzip: false } });
  });

  it('keeps the order across failed deliveries, backing off 1s, 2s, 4s', async () => {
    const w = worker();
    sink.outcomes = [new DeliveryError('broker down', 'retry'), new Error('socket hang up'), new DeliveryError('HTTP 503', 'retry')];
    store.appendMany(ROUTE, texts('a', 'b'));
    w.start();
    await sink.called(1);
    await settle();
    expect(clock.nextTimerIn).toBe(1000);

    store.append(ROUTE, rec('c')); // arrives during the outage; does not cut the backoff short
    await clock.advance(999);
    expect(sink.calls).toHaveLength(1);
    await clock.advance(1);
    await sink.called(2);
    await settle();
    expect(clock.nextTimerIn).toBe(2000);
    await clock.advance(2000);
    await sink.called(3);
    await settle();
    expect(clock.nextTimerIn).toBe(4000);
    await clock.advance(4000);
    await sink.called(4);

    store.append(ROUTE, rec('d'));
    await sink.called(5);
    expect(sink.calls.map((c) => c.bodies)).toEqual([['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c'], ['d']]);
    expect(sink.calls[3].attempts).toEqual([3, 3, 2]);
    expect(sink.delivered).toEqual(['a', 'b', 'c', 'd']);
    await settle();
    expect(w.stats()).toMatchObject({
      exported: 4,
      pending: 0,
      retries: 3,
      lastError: { message: 'HTTP 503' },
      lastDeliveredAt: clock.now(),
      dropped: { full: 0, expired: 0, rejected: 0 },
    });
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.obj.retryInMs)).toEqual([1000, 2000, 4000]);
  });

  it.each([
    [0, [800, 1600, 3200]],
    [0.999999, [1200, 2400, 4800]],
  ])('spreads the backoff by ±20%% (random %p)', async (random, delays) => {
    sink.outcomes = [1, 2, 3].map(() => new DeliveryError('down', 'retry'));
    const w = worker({}, {}, () => random);
    store.append(ROUTE, rec('a'));
    w.start();
    for (const [i, delay] of delays.entries()) {
      await sink.called(i + 1);
      await settle();
      expect(clock.nextTimerIn).toBe(delay);
      await clock.advance(delay);
    }
    await sink.called(4);
  });

  it.each([
    [0.5, [1000, 2000, 2700, 2700]], // at the cap the spread is 80–100% of retryMax
    [0.999999, [1200, 2400, 3000, 3000]], // +20% jitter never passes retryMax
  ])('backs off up to retryMax, never past it (random %p)', async (random, expected) => {
    sink.outcomes = [1, 2, 3, 4].map(() => new DeliveryError('down', 'retry'));
    const w = worker({}, { retryMinMs: 1000, retryMaxMs: 3000 }, () => random);
    store.append(ROUTE, rec('a'));
    w.start();
    const waits: Array<number | undefined> = [];
    for (let i = 1; i <= 4; i++) {
      await sink.called(i);
      await settle();
      waits.push(clock.nextTimerIn);
      await clock.advance(clock.nextTimerIn!);
    }
    expect(waits).toEqual(expected);
  });

  it('retries at once when a sink that was disconnected reconnects during the backoff', async () => {
    sink.connected = false;
    sink.outcomes = [new DeliveryError('not connected', 'retry')];
    const w = worker({}, { retryMinMs: 60_000, retryMaxMs: 60_000 });
    store.append(ROUTE, rec('a'));
    w.start();
    await sink.called(1);
    await clock.advance(5_000);
    expect(sink.calls).toHaveLength(1);
    sink.connected = true;
    await clock.advance(1_000);
    await sink.called(2);
    expect(sink.delivered).toEqual(['a']);
    expect(sink.calls[1].at - sink.calls[0].at).toBeLessThanOrEqual(6_000);
  });

  it('drops only the record the destination rejects, counts and logs it, and goes on with the next ones', async () => {
    sink.maxBatch = 2;
    sink.outcomes = [new DeliveryError('HTTP 400: body is not valid', 'reject'), new DeliveryError('HTTP 400: body is not valid', 'reject')];
    const w = worker();
    store.appendMany(ROUTE, texts('bad1', 'bad2', 'good'));
    w.start();
    await sink.called(3);
    await settle();
    expect(sink.calls.map((c) => c.bodies)).toEqual([['bad1', 'bad2'], ['bad2', 'good'], ['good']]);
    expect(sink.delivered).toEqual(['good']);
    expect(sink.calls[2].at).toBe(sink.calls[0].at); // no backoff
    expect(w.stats()).toMatchObject({ exported: 1, pending: 0, retries: 0, dropped: { rejected: 2 } });
    expect(log.lines).toContainEqual({
      level: 'warn',
      obj: { route: ROUTE, dropped: { full: 0, expired: 0, rejected: 1 }, rejection: 'HTTP 400: body is not valid' },
      msg: `outbox ${ROUTE} dropped 1 record(s)`,
    });
  });

  it('never resends what the sink accepted before failing (DeliveryError.delivered)', async () => {
    sink.maxBatch = 4;
    sink.outcomes = [
      new DeliveryError('HTTP 503', 'retry', { delivered: 2 }),
      new DeliveryError('HTTP 422: bad record', 'reject', { delivered: 1 }),
    ];
    const w = worker();
    store.appendMany(ROUTE, texts('a', 'b', 'c', 'd', 'e'));
    w.start();
    await sink.called(1);
    await clock.advance(1_200); // the retry after the 503 (1 s, +20% jitter at most)
    await sink.called(3);
    await settle();
    expect(sink.calls.map((c) => c.bodies)).toEqual([['a', 'b', 'c', 'd'], ['c', 'd', 'e'], ['e']]);
    // a, b (first call), c (second call) and e were accepted; d was refused.
    expect(w.stats()).toMatchObject({ exported: 4, pending: 0, retries: 1, dropped: { rejected: 1 } });
  });

  it('drops records that expire while the sink is down instead of delivering them', async () => {
    sink.outcomes = [new DeliveryError('down', 'retry')];
    const w = worker({}, { maxAgeMs: 10_000, retryMinMs: 20_000, retryMaxMs: 20_000 });
    store.append(ROUTE, rec('old'));
    w.start();
    await sink.called(1);
    await clock.advance(20_000);
    expect(sink.calls).toHaveLength(1);
    expect(w.stats()).toMatchObject({ pending: 0, dropped: { expired: 1 } });
    store.append(ROUTE, rec('new'));
    await sink.called(2);
    expect(sink.calls[1].bodies).toEqual(['new']);
  });

  describe('batching', () => {
    it('unbatched: pages of up to the sink maxBatch, one message per record', async () => {
      sink.maxBatch = 2;
      const w = worker({ gzip: true });
      store.appendMany(ROUTE, texts('1', '2', '3', '4', '5'));
      w.start();
      await sink.called(3);
      expect(sink.calls.map((c) => c.bodies)).toEqual([['1', '2'], ['3', '4'], ['5']]);
      expect(sink.calls[0].options).toEqual({ batched: false, gzip: true });
    });

    it('by count: at most `count` records per message, and never more than the sink takes', async () => {
      const w = worker({ batch: { count: 3 } });
      store.appendMany(ROUTE, texts('1', '2', '3', '4', '5', '6', '7'));
      w.start();
      await sink.called(3);
      expect(sink.calls.map((c) => c.bodies)).toEqual([['1', '2', '3'], ['4', '5', '6'], ['7']]);
      expect(sink.calls[0].options).toEqual({ batched: true, gzip: false });
    });

    it('by count and time: waits for `count` records, or the oldest to be `interval` old', async () => {
      const w = worker({ batch: { count: 3, intervalMs: 1000 } });
      w.start();
      store.append(ROUTE, rec('a'));
      await clock.advance(500);
      store.append(ROUTE, rec('b'));
      await clock.advance(499);
      expect(sink.calls).toHaveLength(0);
      await clock.advance(1);
      await sink.called(1);
      expect(sink.calls[0]).toMatchObject({ bodies: ['a', 'b'], options: { batched: true } });

      store.append(ROUTE, rec('c'));
      store.append(ROUTE, rec('d'));
      await settle();
      expect(sink.calls).toHaveLength(1);
      store.append(ROUTE, rec('e')); // the third: no need to wait for the interval
      await sink.called(2);
      expect(sink.calls[1]).toMatchObject({ bodies: ['c', 'd', 'e'], at: sink.calls[0].at });
    });

    it('by time only: what gathered during the interval after the oldest record', async () => {
      worker({ batch: { intervalMs: 1000 } }).start();
      store.append(ROUTE, rec('a'));
      await clock.advance(300);
      store.appendMany(ROUTE, texts('b', 'c'));
      await clock.advance(699);
      expect(sink.calls).toHaveLength(0);
      await clock.advance(1);
      await sink.called(1);
      expect(sink.calls[0].bodies).toEqual(['a', 'b', 'c']);
    });
  });

  it('drains a backlog page by page, in order', async () => {
    const n = 2_050;
    const w = worker();
    for (let i = 0; i < n; i += 50) store.appendMany(ROUTE, Array.from({ length: Math.min(50, n - i) }, (_, j) => rec(String(i + j))));
    w.start();
    await sink.called(21);
    await settle();
    expect(sink.calls.every((c) => c.bodies.length <= 100)).toBe(true);
    expect(sink.delivered).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(w.stats()).toMatchObject({ exported: n, pending: 0, pendingBytes: 0 });
  });

  it('stop() lets the delivery in flight finish and removes what it delivered', async () => {
    const inFlight = deferred();
    sink.outcomes = [inFlight.promise];
    const w = worker();
    store.appendMany(ROUTE, texts('a', 'b'));
    w.start();
    await sink.called(1);
    let stopped = false;
    const stopping = w.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    inFlight.resolve();
    await stopping;
    expect(store.count(ROUTE)).toBe(0);
    store.append(ROUTE, rec('after stop'));
    await settle();
    expect(sink.calls).toHaveLength(1);
  });

  it('stop(true) abandons the delivery in flight, whose records the next run delivers again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-route-worker-'));
    try {
      const file = join(dir, 'outbox.db');
      store = new OutboxStore(file, { logger: log.logger, clock });
      const hung = deferred();
      sink.outcomes = [hung.promise];
      const first = worker();
      store.appendMany(ROUTE, texts('a', 'b'));
      first.start();
      await sink.called(1);
      await first.stop(true);
      store.close(); // as the service does on shutdown

      hung.resolve(); // completing late, it must not touch the closed store
      await settle();
      expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);

      store = new OutboxStore(file, { logger: log.logger, clock });
      const second = worker();
      second.start();
      await sink.called(2);
      await second.stop();
      expect(sink.calls.map((c) => c.bodies)).toEqual([['a', 'b'], ['a', 'b']]);
      expect(store.count(ROUTE)).toBe(0);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports figures per route, including connected from the sink', () => {
    const w = worker();
    store.appendMany(ROUTE, texts('abc', 'de'));
    sink.connected = false;
    expect(w.stats()).toEqual({
      route: ROUTE,
      sink: 'fake',
      exported: 0,
      pending: 2,
      pendingBytes: 5,
      dropped: { full: 0, expired: 0, rejected: 0 },
      retries: 0,
      lastError: null,
      lastDeliveredAt: null,
      connected: false,
    });
  });
});
