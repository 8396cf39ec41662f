import { ManualClock, settle } from '@gw/contracts';
import type { ExportRecord, SinkLogger } from '../sinks/sink';
import { GroupCommitter } from './group-commit';
import { OUTBOX_DEFAULTS } from './outbox-options';
import { OutboxStore, RouteRecord } from './outbox-store';

const quiet: SinkLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const rec = (text: string): ExportRecord => ({ key: 'pump-1', kind: 'telemetry', body: Buffer.from(text) });
const bodies = (store: OutboxStore, route: string) => store.page(route, 10_000).map((r) => r.body.toString());

/** A real in-memory outbox that counts its commits and refuses them while `refusing` is set (a full disk). */
function outbox() {
  const store = new OutboxStore(':memory:', { logger: quiet });
  store.openRoute('p.a', OUTBOX_DEFAULTS);
  store.openRoute('p.b', OUTBOX_DEFAULTS);
  const commits: number[] = [];
  const state = { refusing: false };
  const appendGroup = store.appendGroup.bind(store);
  store.appendGroup = (items: readonly RouteRecord[]) => {
    if (state.refusing) throw new Error('SQLITE_FULL: database or disk is full');
    commits.push(items.length);
    return appendGroup(items);
  };
  return { store, commits, state };
}

/** Tracks which promises settled, without awaiting them. */
function track(promises: Promise<void>[]) {
  const settled: Array<'resolved' | 'rejected' | undefined> = promises.map(() => undefined);
  promises.forEach((p, i) =>
    p.then(
      () => (settled[i] = 'resolved'),
      () => (settled[i] = 'rejected'),
    ),
  );
  return settled;
}

describe('GroupCommitter', () => {
  it('commits the writes of one event-loop turn as one transaction, each resolving only after it', async () => {
    const { store, commits } = outbox();
    const committer = new GroupCommitter(store, { logger: quiet });
    const writes = Array.from({ length: 50 }, (_, i) => committer.write(['p.a', 'p.b'], rec(`r${i}`)));
    const settled = track(writes);
    await Promise.resolve();
    // Nothing is committed, so nothing may be acknowledged yet.
    expect(settled.every((s) => s === undefined)).toBe(true);
    expect(store.count('p.a')).toBe(0);

    await Promise.all(writes);
    expect(commits).toEqual([100]);
    expect(bodies(store, 'p.a')).toEqual(Array.from({ length: 50 }, (_, i) => `r${i}`));
    expect(bodies(store, 'p.b')).toEqual(bodies(store, 'p.a'));
    expect(committer.stats()).toEqual({ commits: 1, writes: 50, records: 100, refused: 0, waiting: 0 });
    store.close();
  });

  it('splits a long queue into transactions of at most maxGroupRecords records, in order', async () => {
    const { store, commits } = outbox();
    const committer = new GroupCommitter(store, { logger: quiet, maxGroupRecords: 4 });
    await Promise.all(Array.from({ length: 5 }, (_, i) => committer.write(['p.a', 'p.b'], rec(`r${i}`))));
    expect(commits).toEqual([4, 4, 2]);
    expect(bodies(store, 'p.b')).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    store.close();
  });

  it('holds every write while the outbox refuses commits, keeps later ones behind, and stores all in order once it takes them', async () => {
    const { store, commits, state } = outbox();
    const clock = new ManualClock();
    const committer = new GroupCommitter(store, { logger: quiet, clock, retryMinMs: 100, retryMaxMs: 1_000, random: () => 0.5 });
    state.refusing = true;
    const refusals: string[] = [];
    const first = [0, 1, 2].map((i) => committer.write(['p.a'], rec(`r${i}`), (err) => refusals.push(`r${i}: ${err.message}`)));
    const settled = track(first);
    await settle();
    expect(refusals).toEqual(['r0', 'r1', 'r2'].map((r) => `${r}: SQLITE_FULL: database or disk is full`));

    // Written while the head waits for its retry: queued behind it, not committed ahead of it.
    state.refusing = false;
    const later = [3, 4].map((i) => committer.write(['p.a'], rec(`r${i}`)));
    const settledLater = track(later);
    await settle();
    expect(commits).toEqual([]);
    expect([...settled, ...settledLater]).toEqual([undefined, undefined, undefined, undefined, undefined]);

    await clock.advance(100);
    await Promise.all([...first, ...later]);
    expect(bodies(store, 'p.a')).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(committer.stats()).toMatchObject({ refused: 1, writes: 5, waiting: 0 });
    store.close();
  });

  it('backs off longer after each refusal, up to retryMax', async () => {
    const { store, state } = outbox();
    const clock = new ManualClock();
    const committer = new GroupCommitter(store, { logger: quiet, clock, retryMinMs: 100, retryMaxMs: 300, random: () => 0.5 });
    state.refusing = true;
    const write = committer.write(['p.a'], rec('r0'));
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(clock.nextTimerIn!);
      await clock.advance(clock.nextTimerIn!);
    }
    // At the cap the jitter spreads retries over 80-100% of it.
    expect(delays).toEqual([100, 200, 270, 270]);
    state.refusing = false;
    await clock.advance(clock.nextTimerIn!);
    await write;
    expect(committer.stats().refused).toBe(5);
    store.close();
  });

  it('at stop, tries a refused group at once instead of after its back-off, and refuses what still cannot be stored', async () => {
    const { store, state } = outbox();
    const clock = new ManualClock();
    const committer = new GroupCommitter(store, { logger: quiet, clock, retryMinMs: 60_000, retryMaxMs: 60_000 });
    state.refusing = true;
    const held = committer.write(['p.a'], rec('held'));
    await settle();
    committer.stop();
    await expect(held).rejects.toThrow('the outbox refused the write while stopping: SQLITE_FULL');
    expect(clock.pending).toBe(0);

    state.refusing = false;
    const last = committer.write(['p.a'], rec('in hand at stop'));
    committer.close();
    await last;
    expect(bodies(store, 'p.a')).toEqual(['in hand at stop']);
    await expect(committer.write(['p.a'], rec('after close'))).rejects.toThrow('the outbox is closed');
    store.close();
  });
});
