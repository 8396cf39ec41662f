import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@gw/contracts';
import type { ExportRecord, SinkLogger } from '../sinks/sink';
import { OUTBOX_DEFAULTS } from './outbox-options';
import { OutboxBounds, OutboxStore } from './outbox-store';

function captureLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  const logger: SinkLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

const rec = (text: string, key = 'pump-1'): ExportRecord => ({ key, kind: 'telemetry', body: Buffer.from(text) });
const bodies = (store: OutboxStore, route = 'p.s') => store.page(route, 1000).map((r) => r.body.toString());
const bounds = (overrides: Partial<OutboxBounds> = {}): OutboxBounds => ({ ...OUTBOX_DEFAULTS, ...overrides });

describe('OutboxStore', () => {
  let dir: string;
  let clock: ManualClock;
  let log: ReturnType<typeof captureLogger>;
  const open = (file = join(dir, 'outbox.db')) => new OutboxStore(file, { logger: log.logger, clock, dropLogIntervalMs: 10_000 });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-outbox-'));
    clock = new ManualClock();
    log = captureLogger();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps each route in append order and removes what was delivered', async () => {
    const store = open();
    store.openRoute('p.s', bounds());
    store.openRoute('p.other', bounds());
    const a = store.append('p.s', rec('a'));
    store.append('p.other', rec('x'));
    await clock.advance(5);
    const b = store.append('p.s', { key: 'pump-2', kind: 'reported', body: Buffer.from('bb') });
    const c = store.append('p.s', rec('c'));
    expect(a! < b! && b! < c!).toBe(true);

    const page = store.page('p.s', 2);
    expect(page).toEqual([
      { id: a, key: 'pump-1', kind: 'telemetry', body: Buffer.from('a'), createdAt: clock.now() - 5, attempts: 0 },
      { id: b, key: 'pump-2', kind: 'reported', body: Buffer.from('bb'), createdAt: clock.now(), attempts: 0 },
    ]);
    expect([store.count('p.s'), store.bytes('p.s')]).toEqual([3, 4]);

    expect(store.remove('p.s', b!)).toBe(2);
    expect(bodies(store)).toEqual(['c']);
    expect([store.count('p.s'), store.bytes('p.s')]).toEqual([1, 1]);
    expect(bodies(store, 'p.other')).toEqual(['x']);
    store.close();
  });

  it('reopens with its records, counters and ids that keep increasing even after it was emptied', () => {
    let store = open();
    store.openRoute('p.s', bounds());
    store.openRoute('p.other', bounds());
    store.appendMany('p.s', [rec('one'), rec('two'), rec('three')]);
    const last = store.append('p.other', rec('x'))!;
    store.close();

    store = open();
    expect([store.count('p.s'), store.bytes('p.s')]).toEqual([3, 11]);
    expect(store.routeNames().sort()).toEqual(['p.other', 'p.s']);
    store.openRoute('p.s', bounds());
    expect(bodies(store)).toEqual(['one', 'two', 'three']);
    store.openRoute('p.other', bounds());
    store.remove('p.other', last);
    store.remove('p.s', last);
    store.close();

    store = open();
    store.openRoute('p.s', bounds());
    expect(store.append('p.s', rec('four'))).toBeGreaterThan(last);
    store.close();
  });

  it('keeps the desired versions twin sinks applied, per sink and twin, across a reopen', () => {
    let store = open();
    const aws = store.ackedVersions('aws');
    expect(aws.get('thing-1')).toBeUndefined();
    aws.set('thing-1', 3);
    aws.set('thing-1', 5);
    store.ackedVersions('azure').set('thing-1', 9);
    store.close();

    store = open();
    expect(store.ackedVersions('aws').get('thing-1')).toBe(5);
    expect(store.ackedVersions('azure').get('thing-1')).toBe(9);
    expect(store.ackedVersions('aws').get('thing-2')).toBeUndefined();
    store.close();
  });

  it('refuses appends to a route that was not opened', () => {
    const store = open();
    expect(() => store.append('nope', rec('a'))).toThrow('outbox route "nope" is not open');
    store.close();
  });

  it('stores all records of appendMany or none', () => {
    const store = open();
    store.openRoute('p.s', bounds());
    store.append('p.s', rec('before'));
    const broken = { key: 'x', kind: 'telemetry', body: { not: 'a buffer' } } as unknown as ExportRecord;
    expect(() => store.appendMany('p.s', [rec('a'), broken, rec('c')])).toThrow();
    expect(bodies(store)).toEqual(['before']);
    expect([store.count('p.s'), store.bytes('p.s')]).toEqual([1, 6]);
    store.close();
  });

  it('stores a group across routes in one transaction: all of it or none, counters and drops included', () => {
    const store = open();
    const told: string[] = [];
    store.openRoute('p.a', bounds({ maxRecords: 2 }), () => told.push('p.a'));
    store.openRoute('p.b', bounds(), () => told.push('p.b'));
    store.append('p.a', rec('old'));
    told.length = 0;
    const broken = { key: 'x', kind: 'telemetry', body: { not: 'a buffer' } } as unknown as ExportRecord;
    const group = (b: ExportRecord) => [
      { route: 'p.a', record: rec('a1') },
      { route: 'p.b', record: rec('b1') },
      { route: 'p.a', record: rec('a2') }, // drops 'old' (maxRecords 2)
      { route: 'p.b', record: b },
    ];
    expect(() => store.appendGroup(group(broken))).toThrow();
    expect([bodies(store, 'p.a'), bodies(store, 'p.b')]).toEqual([['old'], []]);
    expect([store.count('p.a'), store.bytes('p.a'), store.count('p.b'), store.dropped('p.a').full]).toEqual([1, 3, 0, 0]);
    expect(told).toEqual([]);

    const ids = store.appendGroup(group(rec('b2')));
    expect(ids.every((id, i) => id !== undefined && (i === 0 || id > ids[i - 1]!))).toBe(true);
    expect([bodies(store, 'p.a'), bodies(store, 'p.b')]).toEqual([['a1', 'a2'], ['b1', 'b2']]);
    expect([store.count('p.a'), store.count('p.b'), store.dropped('p.a').full]).toEqual([2, 2, 1]);
    expect(told.sort()).toEqual(['p.a', 'p.b']);
    expect(() => store.appendGroup([{ route: 'p.a', record: rec('x') }, { route: 'nope', record: rec('y') }])).toThrow('outbox route "nope" is not open');
    expect(bodies(store, 'p.a')).toEqual(['a1', 'a2']);
    store.close();
  });

  it('tells the route after each append that stored something', () => {
    const store = open();
    const onAppend = jest.fn();
    store.openRoute('p.s', bounds({ maxRecords: 1, whenFull: 'drop-newest' }), onAppend);
    store.append('p.s', rec('a'));
    expect(onAppend).toHaveBeenCalledTimes(1);
    store.append('p.s', rec('refused'));
    expect(onAppend).toHaveBeenCalledTimes(1);
    store.close();
  });

  describe('bounds', () => {
    it('drop-oldest at maxRecords keeps the newest records, counted and logged', () => {
      const store = open(':memory:');
      store.openRoute('p.s', bounds({ maxRecords: 3 }));
      for (const text of ['1', '2', '3', '4', '5']) expect(store.append('p.s', rec(text))).toBeDefined();
      expect(bodies(store)).toEqual(['3', '4', '5']);
      expect(store.count('p.s')).toBe(3);
      expect(store.dropped('p.s')).toEqual({ full: 2, expired: 0, rejected: 0 });
      expect(log.lines.filter((l) => l.level === 'warn')[0].obj).toMatchObject({ route: 'p.s', dropped: { full: 1 } });
      store.close();
    });

    it('drop-oldest at maxBytes frees as many of the oldest records as the new one needs', () => {
      const store = open(':memory:');
      store.openRoute('p.s', bounds({ maxBytes: 10 }));
      store.appendMany('p.s', [rec('aaaa'), rec('bbbb')]);
      store.append('p.s', rec('cc'));
      expect(bodies(store)).toEqual(['aaaa', 'bbbb', 'cc']);
      store.append('p.s', rec('dddddddd'));
      expect(bodies(store)).toEqual(['cc', 'dddddddd']);
      expect([store.count('p.s'), store.bytes('p.s')]).toEqual([2, 10]);
      expect(store.dropped('p.s').full).toBe(2);
      store.close();
    });

    it('drop-newest keeps the backlog and refuses new records', () => {
      const store = open(':memory:');
      store.openRoute('p.s', bounds({ maxRecords: 2, maxBytes: 100, whenFull: 'drop-newest' }));
      expect(store.appendMany('p.s', [rec('1'), rec('2'), rec('3')])).toEqual([expect.any(Number), expect.any(Number), undefined]);
      expect(store.append('p.s', rec('4'))).toBeUndefined();
      expect(bodies(store)).toEqual(['1', '2']);
      store.remove('p.s', store.page('p.s', 1)[0].id);
      expect(store.append('p.s', rec('x'.repeat(100)))).toBeUndefined(); // over maxBytes now
      expect(store.append('p.s', rec('5'))).toBeDefined();
      expect(bodies(store)).toEqual(['2', '5']);
      expect(store.dropped('p.s').full).toBe(3);
      store.close();
    });

    it('refuses a record larger than maxBytes on its own without dropping the backlog for it', () => {
      const store = open(':memory:');
      store.openRoute('p.s', bounds({ maxBytes: 8 }));
      store.append('p.s', rec('1234'));
      expect(store.append('p.s', rec('123456789'))).toBeUndefined();
      expect(bodies(store)).toEqual(['1234']);
      expect(store.dropped('p.s').full).toBe(1);
      store.close();
    });

    it('drops records older than maxAge, counted as expired', async () => {
      const store = open(':memory:');
      store.openRoute('p.s', bounds({ maxAgeMs: 10_000 }));
      store.appendMany('p.s', [rec('old1'), rec('old2')]);
      await clock.advance(5_000);
      store.append('p.s', rec('young'));
      await clock.advance(5_000);
      expect(store.expire('p.s')).toBe(0); // exactly maxAge old: kept
      await clock.advance(1);
      expect(store.expire('p.s')).toBe(2);
      expect(bodies(store)).toEqual(['young']);
      expect([store.count('p.s'), store.bytes('p.s')]).toEqual([1, 5]);
      expect(store.dropped('p.s')).toEqual({ full: 0, expired: 2, rejected: 0 });
      await clock.advance(10_000);
      expect(store.expire('p.s')).toBe(1);
      expect(store.count('p.s')).toBe(0);
      store.close();
    });

    it('logs drops as one warning per route per interval with the counts, not one line per record', async () => {
      const store = open(':memory:');
      store.openRoute('p.s', bounds({ maxRecords: 1, whenFull: 'drop-newest' }));
      store.append('p.s', rec('kept'));
      for (let i = 0; i < 1000; i++) store.append('p.s', rec('refused'));
      const warnings = () => log.lines.filter((l) => l.level === 'warn');
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0].obj).toEqual({ route: 'p.s', dropped: { full: 1, expired: 0, rejected: 0 } });

      await clock.advance(10_000);
      expect(warnings()).toHaveLength(2);
      expect(warnings()[1].obj).toEqual({ route: 'p.s', dropped: { full: 999, expired: 0, rejected: 0 } });
      expect(warnings()[1].msg).toBe('outbox p.s dropped 999 record(s)');
      expect(store.dropped('p.s').full).toBe(1000);
      store.close();
    });
  });

  it('counts delivery attempts and drops rejected records with the reason', () => {
    const store = open(':memory:');
    store.openRoute('p.s', bounds());
    store.appendMany('p.s', [rec('a'), rec('b'), rec('c')]);
    const [a, b] = store.page('p.s', 2);
    store.markFailed('p.s', b.id);
    store.markFailed('p.s', b.id);
    expect(store.page('p.s', 3).map((r) => r.attempts)).toEqual([2, 2, 0]);

    expect(store.reject('p.s', b.id, 'HTTP 400: bad payload')).toBe(2);
    expect(bodies(store)).toEqual(['c']);
    expect(store.dropped('p.s')).toEqual({ full: 0, expired: 0, rejected: 2 });
    expect(log.lines).toContainEqual({
      level: 'warn',
      obj: { route: 'p.s', dropped: { full: 0, expired: 0, rejected: 2 }, rejection: 'HTTP 400: bad payload' },
      msg: 'outbox p.s dropped 2 record(s)',
    });
    expect(a.id).toBeLessThan(b.id);
    store.close();
  });
});
