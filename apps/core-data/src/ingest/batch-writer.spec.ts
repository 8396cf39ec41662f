import { randomUUID } from 'node:crypto';
import { ErrorKind, Event, GatewayError } from '@gw/contracts';
import { createLogger } from '@gw/service-kit';
import type { EventStore, InsertResult } from '../persistence/event-store';
import { Batch, BatchWriter, BatchWriterOptions } from './batch-writer';
import { IngestStats } from './ingest-stats';

const logger = createLogger('test', 'silent');

function event(readings = 3): Event {
  const origin = Date.now() * 1e6;
  return {
    id: randomUUID(),
    deviceName: 'd',
    profileName: 'p',
    sourceName: 's',
    origin,
    readings: Array.from({ length: readings }, (_, i) => ({
      origin,
      deviceName: 'd',
      resourceName: `r${i}`,
      profileName: 'p',
      valueType: 'Int32' as const,
      value: String(i),
    })),
  };
}

class TransientError extends Error {}

/** Records each insert; `gate` holds inserts back, `fail` decides failures. */
class FakeStore {
  readonly inserts: string[][] = [];
  readonly stored = new Set<string>();
  gate?: Promise<void>;
  fail: (events: readonly Event[]) => Error | undefined = () => undefined;

  async insert(events: readonly Event[]): Promise<InsertResult> {
    await this.gate;
    const error = this.fail(events);
    if (error) throw error;
    this.inserts.push(events.map((e) => e.id));
    const duplicates = events.filter((e) => this.stored.has(e.id)).map((e) => e.id);
    events.forEach((e) => this.stored.add(e.id));
    const fresh = events.filter((e) => !duplicates.includes(e.id));
    return { events: fresh.length, readings: fresh.reduce((n, e) => n + e.readings.length, 0), duplicates };
  }

  isTransient(err: unknown): boolean {
    return err instanceof TransientError;
  }
}

describe('BatchWriter', () => {
  let store: FakeStore;
  let stats: IngestStats;
  let writer: BatchWriter;
  const make = (options: Partial<BatchWriterOptions> = {}) => {
    writer = new BatchWriter(
      store as unknown as EventStore,
      { batchSize: 6, flushIntervalMs: 60_000, queueLimit: 60, retryDelayMs: { initial: 1, max: 5 }, ...options },
      stats,
      logger,
    );
    return writer;
  };

  beforeEach(() => {
    store = new FakeStore();
    stats = new IngestStats();
  });

  afterEach(async () => {
    store.gate = undefined;
    store.fail = () => undefined;
    await writer?.close();
  });

  it('writes a batch as soon as it holds batchSize readings, in one insert', async () => {
    make();
    const [a, b, c] = [event(), event(), event()];
    const first = writer.add(a) as Batch;
    expect(writer.add(b)).toBe(first);
    await first.done;
    writer.add(c);
    expect(store.inserts).toEqual([[a.id, b.id]]);
    expect(stats.snapshot()).toMatchObject({ eventsPersisted: 2, readingsPersisted: 6, batches: 1, queuedEvents: 1, queuedReadings: 3 });
  });

  it('writes a partial batch once its first event has waited flushInterval', async () => {
    make({ flushIntervalMs: 20 });
    const started = Date.now();
    const batch = writer.add(event()) as Batch;
    expect(await batch.done).toEqual({ duplicates: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('keeps an urgent batch open while events pour in turn after turn, and writes a trickle at the next turn', async () => {
    // batchSize 500 readings: a turn bringing 10 readings (1/50 of a batch) or more is pouring.
    make({ batchSize: 500, queueLimit: 5_000 });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    // Pouring: 4 events of 3 readings per turn, for 5 turns, as a bus handing over its window.
    const poured: Batch[] = [];
    for (let t = 0; t < 5; t++) {
      for (let i = 0; i < 4; i++) poured.push(writer.add(event(), true) as Batch);
      await turn();
    }
    await poured[0].done;
    expect(store.inserts.map((ids) => ids.length)).toEqual([20]);

    // A trickle: one event of 3 readings a turn is written at the next turn, alone.
    const first = writer.add(event(), true) as Batch;
    await turn();
    await turn();
    const second = writer.add(event(), true) as Batch;
    await Promise.all([first.done, second.done]);
    expect(store.inserts.map((ids) => ids.length)).toEqual([20, 1, 1]);
  });

  it('groups what arrives during a write into the next batch (group commit)', async () => {
    make({ batchSize: 100 });
    let open!: () => void;
    store.gate = new Promise((resolve) => (open = resolve));
    const first = writer.add(event(), true) as Batch;
    await new Promise((resolve) => setImmediate(resolve)); // the first write is now in flight
    const later = [event(), event(), event()];
    const batches = later.map((e) => writer.add(e, true) as Batch);
    expect(new Set(batches).size).toBe(1);
    open();
    await Promise.all([first.done, batches[0].done]);
    expect(store.inserts.map((ids) => ids.length)).toEqual([1, 3]);
  });

  it('makes add() wait while the queue is full, and keeps arrival order', async () => {
    make({ queueLimit: 6, flushIntervalMs: 0 });
    let open!: () => void;
    store.gate = new Promise((resolve) => (open = resolve));
    const events = [event(), event(), event(), event()];
    const results = events.map((e) => writer.add(e));
    expect(results.map((r) => r instanceof Promise)).toEqual([false, false, true, true]);
    expect(writer.queuedReadings).toBe(6);
    open();
    await Promise.all((await Promise.all(results)).map((b) => b.done));
    expect(store.inserts.flat()).toEqual(events.map((e) => e.id));
  });

  it('retries a batch the database failed to take for a transient reason', async () => {
    make({ flushIntervalMs: 0 });
    let failures = 2;
    store.fail = () => (failures-- > 0 ? new TransientError('connection lost') : undefined);
    const e = event();
    const batch = writer.add(e) as Batch;
    expect(batch.problemWith(e.id, await batch.done)).toBeUndefined();
    expect(store.stored.has(e.id)).toBe(true);
    expect(stats.writeErrors).toBe(2);
  });

  it('refuses only the event the database refuses; the rest of its batch is stored', async () => {
    make();
    const [good1, bad] = [event(), event()];
    store.fail = (events) => (events.some((e) => e.id === bad.id) ? new Error('invalid byte sequence') : undefined);
    const batch = writer.add(good1) as Batch;
    writer.add(bad);
    const outcome = await batch.done;
    expect(batch.problemWith(good1.id, outcome)).toBeUndefined();
    expect(batch.problemWith(bad.id, outcome)).toMatchObject({ kind: ErrorKind.ContractInvalid });
    expect([...store.stored]).toEqual([good1.id]);
    expect(stats.snapshot()).toMatchObject({ rejected: 1, refusedByDatabase: 1, eventsPersisted: 1 });
  });

  it('reports an event already stored as a duplicate', async () => {
    make({ flushIntervalMs: 0 });
    const e = event();
    await (writer.add(e) as Batch).done;
    const again = writer.add(e) as Batch;
    expect(again.problemWith(e.id, await again.done)).toMatchObject({ kind: ErrorKind.DuplicateName });
    expect(stats.duplicates).toBe(1);
  });

  it('close() writes everything queued, then refuses new events', async () => {
    make();
    const events = [event(), event(), event(), event(), event()];
    events.forEach((e) => writer.add(e));
    expect(store.inserts).toEqual([]);
    await writer.close();
    expect(store.inserts.flat()).toEqual(events.map((e) => e.id));
    expect(() => writer.add(event())).toThrow(GatewayError);
  });

  it('close() gives up on a database that keeps failing, after its timeout', async () => {
    make({ closeTimeoutMs: 50 });
    store.fail = () => new TransientError('database is down');
    const e = event();
    const batch = writer.add(e) as Batch;
    await writer.close();
    expect(batch.problemWith(e.id, await batch.done)).toMatchObject({ kind: ErrorKind.Database });
  });
});
