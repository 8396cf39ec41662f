/**
 * The outbox survives kill -9: a child process appends records and reports
 * each one it stored; killed mid-stream (twice, the second run continuing the
 * first's file), every record it reported is in the file, in order, once,
 * and a RouteWorker then delivers all of them in that order.
 *
 * The child runs the built code (dist/): `npm test` builds first. Run alone,
 * this test refuses a missing or stale build instead of testing old code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { OutboxStore } from '../../apps/app-service/src/outbox/outbox-store';
import { RouteWorker } from '../../apps/app-service/src/outbox/route-worker';
import { resolveOutboxOptions } from '../../apps/app-service/src/outbox/outbox-options';
import type { DeliveryOptions, OutboxRecord, Sink, SinkLogger } from '../../apps/app-service/src/sinks/sink';
import { requireFreshBuild } from '../support/fresh-build';

const ROOT = join(__dirname, '../..');
const WRITER = join(__dirname, 'support/outbox-writer.js');
const ROUTE = 'plant.cloud';
const silent: SinkLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Runs the writer until it reported `atLeast` records, kills it with SIGKILL, and returns every `[id, n]` it reported. */
async function appendUntilKilled(file: string, first: number, atLeast: number): Promise<Array<[number, number]>> {
  const child = spawn(process.execPath, [WRITER, join(ROOT, 'dist'), file, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const reported: Array<[number, number]> = [];
  for await (const line of createInterface({ input: child.stdout })) {
    const [id, n] = line.split(' ').map(Number);
    reported.push([id, n]);
    if (reported.length === atLeast) child.kill('SIGKILL'); // lines already in the pipe are still read
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the writer exited on its own (${signal}): ${stderr}`);
  return reported;
}

/** Accepts everything, and says when it has seen `n` records. */
class CountingSink implements Sink {
  readonly name = 'counting';
  readonly connected = true;
  readonly maxBatch = 500;
  readonly ids: number[] = [];
  private waiting?: { n: number; resolve: () => void };

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async deliver(records: OutboxRecord[], _options: DeliveryOptions): Promise<void> {
    for (const r of records) this.ids.push(r.id);
    if (this.waiting && this.ids.length >= this.waiting.n) this.waiting.resolve();
  }

  received(n: number): Promise<void> {
    return new Promise((resolve) => (this.ids.length >= n ? resolve() : (this.waiting = { n, resolve })));
  }
}

describe('outbox across kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-outbox-kill-'));
  const file = join(dir, 'outbox.db');
  beforeAll(() => requireFreshBuild('apps/app-service/src/outbox'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every record the writer reported as stored, in order, once; then delivers them all in order', async () => {
    const reported = await appendUntilKilled(file, 0, 20_000);
    let store = new OutboxStore(file, { logger: silent });
    const afterFirstKill = store.count(ROUTE);
    store.close();
    reported.push(...(await appendUntilKilled(file, afterFirstKill, 20_000)));

    store = new OutboxStore(file, { logger: silent });
    const sink = new CountingSink();
    const worker = new RouteWorker({ route: ROUTE, gzip: false, bounds: resolveOutboxOptions() }, { store, sink, logger: silent });
    const stored = store.page(ROUTE, Number.MAX_SAFE_INTEGER);
    const ns = stored.map((r) => JSON.parse(r.body.toString()).n as number);

    // What each child stored before its kill is a gapless run of its records: nothing lost, nothing twice.
    expect(ns).toEqual(Array.from({ length: stored.length }, (_, i) => i));
    expect(stored.every((r, i) => i === 0 || r.id > stored[i - 1].id)).toBe(true);
    const byN = new Map(stored.map((r, i) => [ns[i], r.id]));
    expect(reported.filter(([id, n]) => byN.get(n) !== id)).toEqual([]);
    expect(reported.length).toBeGreaterThanOrEqual(40_000);
    expect(store.count(ROUTE)).toBe(stored.length);
    expect(store.bytes(ROUTE)).toBe(stored.reduce((sum, r) => sum + r.body.length, 0));

    worker.start();
    await sink.received(stored.length);
    await worker.stop();
    expect(sink.ids).toEqual(stored.map((r) => r.id));
    expect(store.count(ROUTE)).toBe(0);
    store.close();
  });
});
