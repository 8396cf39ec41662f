/**
 * The durable outbox of the app service: one SQLite file with one ordered
 * queue per route (`<pipeline>.<sink>`), bounded per route by records, bytes
 * and age.
 *
 * Durability: WAL with synchronous=NORMAL. When `append` (or `appendGroup`,
 * the app service's path: group-commit.ts) returns, the records are committed
 * to the WAL file through the operating system, so they survive the process
 * dying in any way (kill -9, crash, OOM); what they do not survive is the
 * machine losing power or crashing before the OS writes its cache out, which
 * can lose the last commits (SQLite still opens a consistent database).
 * Fsyncing every commit (synchronous=FULL) would cost a disk flush per
 * commit. Removals after delivery are as durable, so the same applies to
 * them: a record delivered just before a crash may be delivered again
 * (at-least-once), never lost or reordered.
 *
 * The file also holds, per twin sink and twin, the newest desired version
 * applied (ackedVersions), for the same reason the records are here.
 *
 * One process owns a file: the per-route counters (records, bytes) are read
 * from SQL at open and then kept in memory, so a bounds check costs no query.
 * Space freed by drained records is reused, not returned to the file system.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Clock, systemClock } from '@gw/contracts';
import type { AckedVersions, ExportRecord, OutboxRecord, SinkLogger } from '../sinks/sink';
import { DropCounts, DropLog, DropReason, noDrops } from './drop-log';
import type { OutboxOptions } from './outbox-options';

/** The part of better-sqlite3's API used here (the project has no @types for it). */
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  pragma(sql: string): unknown;
  exec(sql: string): void;
  close(): void;
}
interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  pluck(): SqliteStatement;
  raw(): SqliteStatement;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped module; SqliteDatabase above types it
const Database = require('better-sqlite3') as new (file: string) => SqliteDatabase;

export type OutboxBounds = Pick<OutboxOptions, 'maxRecords' | 'maxBytes' | 'maxAgeMs' | 'whenFull'>;

/** A record and the route whose queue it joins. */
export interface RouteRecord {
  route: string;
  record: ExportRecord;
}

export interface OutboxStoreOptions {
  logger: SinkLogger;
  clock?: Clock;
  /** At most one drop warning per route per this long (default 30s). */
  dropLogIntervalMs?: number;
}

interface RouteState {
  records: number;
  bytes: number;
  dropped: DropCounts;
  bounds?: OutboxBounds;
  log?: DropLog;
  onAppend?: () => void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    route TEXT NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX IF NOT EXISTS outbox_route_id ON outbox (route, id);
  CREATE TABLE IF NOT EXISTS twin_desired_acked (
    sink TEXT NOT NULL,
    twin TEXT NOT NULL,
    version INTEGER NOT NULL,
    acked_at INTEGER NOT NULL,
    PRIMARY KEY (sink, twin)
  );
`;
/** The WAL is cut back to this after a checkpoint, so a drained backlog does not leave a huge -wal file. */
const JOURNAL_LIMIT_BYTES = 64 * 1024 * 1024;
const ALL = Number.MAX_SAFE_INTEGER;

export class OutboxStore {
  private readonly db: SqliteDatabase;
  private readonly routes = new Map<string, RouteState>();
  private readonly logger: SinkLogger;
  private readonly clock: Clock;
  private readonly dropLogIntervalMs: number;
  private readonly sql: Record<
    'insert' | 'page' | 'oldestSizes' | 'oldestCreatedAt' | 'firstFresh' | 'sizeUpTo' | 'deleteUpTo' | 'markFailed' | 'ackedVersion' | 'setAckedVersion',
    SqliteStatement
  >;
  private readonly appendTx: (items: readonly RouteRecord[], states: ReadonlyMap<string, RouteState>) => (number | undefined)[];

  /** Opens (creating it and its directory if needed) the outbox file; `:memory:` for tests. */
  constructor(
    readonly file: string,
    options: OutboxStoreOptions,
  ) {
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.dropLogIntervalMs = options.dropLogIntervalMs ?? 30_000;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma(`journal_size_limit = ${JOURNAL_LIMIT_BYTES}`);
      this.db.exec(SCHEMA);
      const prepare = (sql: string) => this.db.prepare(sql);
      this.sql = {
        insert: prepare('INSERT INTO outbox (route, key, kind, body, created_at) VALUES (?, ?, ?, ?, ?)'),
        // Column names match OutboxRecord, so rows are handed to sinks as they come.
        page: prepare(
          'SELECT id, key, kind, body, created_at AS createdAt, attempts FROM outbox WHERE route = ? ORDER BY id LIMIT ?',
        ),
        oldestSizes: prepare('SELECT id, length(body) FROM outbox WHERE route = ? ORDER BY id').raw(),
        oldestCreatedAt: prepare('SELECT created_at FROM outbox WHERE route = ? ORDER BY id LIMIT 1').pluck(),
        firstFresh: prepare('SELECT id FROM outbox WHERE route = ? AND created_at >= ? ORDER BY id LIMIT 1').pluck(),
        sizeUpTo: prepare('SELECT count(*) AS records, total(length(body)) AS bytes FROM outbox WHERE route = ? AND id <= ?'),
        deleteUpTo: prepare('DELETE FROM outbox WHERE route = ? AND id <= ?'),
        markFailed: prepare('UPDATE outbox SET attempts = attempts + 1 WHERE route = ? AND id <= ?'),
        ackedVersion: prepare('SELECT version FROM twin_desired_acked WHERE sink = ? AND twin = ?').pluck(),
        setAckedVersion: prepare(
          'INSERT INTO twin_desired_acked (sink, twin, version, acked_at) VALUES (?, ?, ?, ?) ON CONFLICT (sink, twin) DO UPDATE SET version = excluded.version, acked_at = excluded.acked_at',
        ),
      };
      const counts = this.db
        .prepare('SELECT route, count(*) AS records, total(length(body)) AS bytes FROM outbox GROUP BY route')
        .all() as Array<{ route: string; records: number; bytes: number }>;
      for (const { route, records, bytes } of counts) this.routes.set(route, { records, bytes, dropped: noDrops() });
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.appendTx = this.db.transaction((items: readonly RouteRecord[], states: ReadonlyMap<string, RouteState>) =>
      items.map(({ route, record }) => this.insert(route, states.get(route) as RouteState, record)),
    );
  }

  /**
   * Sets a route's bounds (at boot, or again on reload) and who to tell when a
   * record arrives (its RouteWorker). Records stored under the route by an
   * earlier run are kept and delivered.
   */
  openRoute(route: string, bounds: OutboxBounds, onAppend?: () => void): void {
    const r = this.state(route);
    r.bounds = bounds;
    r.onAppend = onAppend;
    r.log ??= new DropLog(route, this.logger, this.dropLogIntervalMs, this.clock);
  }

  /** Stops telling the route's worker about appends and logs drops not yet logged. */
  closeRoute(route: string): void {
    const r = this.routes.get(route);
    if (!r) return;
    r.onAppend = undefined;
    r.log?.flush();
  }

  /**
   * Stores a record at the end of the route's queue; when this returns, it is
   * committed (see the durability note above) and the message it came from
   * may be acknowledged. Returns its id, or undefined when the bounds refused
   * it (whenFull: drop-newest, or a record larger than maxBytes on its own).
   */
  append(route: string, record: ExportRecord): number | undefined {
    const r = this.opened(route);
    const b = r.bounds as OutboxBounds;
    if (r.records >= b.maxRecords || r.bytes + record.body.length > b.maxBytes) {
      // Dropping the oldest and storing the new one commit together, or neither does.
      return this.appendGroup([{ route, record }])[0];
    }
    const id = Number(this.sql.insert.run(route, record.key, record.kind, record.body, this.clock.now()).lastInsertRowid);
    r.records++;
    r.bytes += record.body.length;
    r.onAppend?.();
    return id;
  }

  /** Appends records to one route in one transaction (one commit); returns their ids (undefined: refused by the bounds). */
  appendMany(route: string, records: readonly ExportRecord[]): (number | undefined)[] {
    return this.appendGroup(records.map((record) => ({ route, record })));
  }

  /**
   * Appends records to any of the open routes in one transaction (one
   * commit): all of them or, when it throws, none. Each route keeps the order
   * of `items`. Returns the ids in that order (undefined: refused by the bounds).
   */
  appendGroup(items: readonly RouteRecord[]): (number | undefined)[] {
    const states = new Map<string, RouteState>();
    for (const { route } of items) if (!states.has(route)) states.set(route, this.opened(route));
    if (items.length === 0) return [];
    const before = [...states.values()].map((r) => ({ r, records: r.records, bytes: r.bytes, full: r.dropped.full }));
    let ids: (number | undefined)[];
    try {
      ids = this.appendTx(items, states);
    } catch (err) {
      // Rolled back: so are the in-memory counters the inserts moved.
      for (const b of before) {
        b.r.records = b.records;
        b.r.bytes = b.bytes;
        b.r.dropped.full = b.full;
      }
      throw err;
    }
    for (const { r, full } of before) if (r.dropped.full > full) r.log?.add('full', r.dropped.full - full);
    const stored = new Set<string>();
    ids.forEach((id, i) => id !== undefined && stored.add(items[i].route));
    for (const route of stored) states.get(route)?.onAppend?.();
    return ids;
  }

  /** Up to `limit` records of the route, oldest first. */
  page(route: string, limit: number): OutboxRecord[] {
    return this.sql.page.all(route, limit) as OutboxRecord[];
  }

  /** When the route's oldest record was stored (ms since the epoch), or undefined when it is empty. */
  oldestCreatedAt(route: string): number | undefined {
    return this.sql.oldestCreatedAt.get(route) as number | undefined;
  }

  /** Removes the route's records up to and including `upToId` (delivered); returns how many there were. */
  remove(route: string, upToId: number): number {
    return this.removeUpTo(route, upToId);
  }

  /** Removes records the destination refused for good, counted and logged as `rejected` with its reason. */
  reject(route: string, upToId: number, reason: string): number {
    return this.drop(route, 'rejected', this.removeUpTo(route, upToId), reason);
  }

  /** Counts a failed delivery attempt on the route's records up to `upToId`. */
  markFailed(route: string, upToId: number): void {
    this.sql.markFailed.run(route, upToId);
  }

  /**
   * Drops the route's records older than its maxAge (counted and logged as
   * `expired`); returns how many. Costs one indexed lookup when none are due.
   */
  expire(route: string): number {
    const r = this.opened(route);
    if (r.records === 0) return 0;
    const cutoff = this.clock.now() - (r.bounds as OutboxBounds).maxAgeMs;
    const oldest = this.oldestCreatedAt(route);
    if (oldest === undefined || oldest >= cutoff) return 0;
    // Age is checked on the queue's head: a record stored after a backward clock jump waits for its turn.
    const fresh = this.sql.firstFresh.get(route, cutoff) as number | undefined;
    return this.drop(route, 'expired', this.removeUpTo(route, fresh === undefined ? ALL : fresh - 1));
  }

  count(route: string): number {
    return this.routes.get(route)?.records ?? 0;
  }

  /** Bytes of the route's record bodies. */
  bytes(route: string): number {
    return this.routes.get(route)?.bytes ?? 0;
  }

  /** Drops since this store was opened. */
  dropped(route: string): DropCounts {
    return { ...(this.routes.get(route)?.dropped ?? noDrops()) };
  }

  /** Routes with records or bounds (records of a pipeline or sink since removed show up here). */
  routeNames(): string[] {
    return [...this.routes].filter(([, r]) => r.records > 0 || r.bounds).map(([name]) => name);
  }

  /**
   * The desired versions a twin sink has applied, per twin, kept in this file
   * beside the records (the same durability): a restart neither applies a
   * version again nor forgets one it never applied.
   */
  ackedVersions(sink: string): AckedVersions {
    return {
      get: (twin) => (this.sql.ackedVersion.get(sink, twin) as number | undefined) ?? undefined,
      set: (twin, version) => void this.sql.setAckedVersion.run(sink, twin, version, this.clock.now()),
    };
  }

  close(): void {
    for (const r of this.routes.values()) r.log?.flush();
    this.db.close();
  }

  private state(route: string): RouteState {
    let r = this.routes.get(route);
    if (!r) this.routes.set(route, (r = { records: 0, bytes: 0, dropped: noDrops() }));
    return r;
  }

  private opened(route: string): RouteState {
    const r = this.routes.get(route);
    if (!r?.bounds) throw new Error(`outbox route "${route}" is not open`);
    return r;
  }

  /** One record inside appendTx: applies the bounds, then stores it. */
  private insert(route: string, r: RouteState, record: ExportRecord): number | undefined {
    const b = r.bounds as OutboxBounds;
    const size = record.body.length;
    if (r.records + 1 > b.maxRecords || r.bytes + size > b.maxBytes) {
      if (b.whenFull === 'drop-newest' || size > b.maxBytes) {
        r.dropped.full++;
        return undefined;
      }
      this.dropOldest(route, r, r.records + 1 - b.maxRecords, r.bytes + size - b.maxBytes);
    }
    const id = Number(this.sql.insert.run(route, record.key, record.kind, record.body, this.clock.now()).lastInsertRowid);
    r.records++;
    r.bytes += size;
    return id;
  }

  /** Deletes the fewest oldest records that free `records` records and `bytes` bytes. */
  private dropOldest(route: string, r: RouteState, records: number, bytes: number): void {
    let upTo = 0;
    let n = 0;
    let freed = 0;
    for (const row of this.sql.oldestSizes.iterate(route)) {
      if (n >= records && freed >= bytes) break;
      const [id, size] = row as [number, number];
      upTo = id;
      n++;
      freed += size;
    }
    if (n === 0) return;
    this.sql.deleteUpTo.run(route, upTo);
    r.records -= n;
    r.bytes -= freed;
    r.dropped.full += n;
  }

  private removeUpTo(route: string, upToId: number): number {
    const r = this.routes.get(route);
    if (!r || r.records === 0) return 0;
    const { records, bytes } = this.sql.sizeUpTo.get(route, upToId) as { records: number; bytes: number };
    if (records === 0) return 0;
    this.sql.deleteUpTo.run(route, upToId);
    r.records -= records;
    r.bytes -= bytes;
    return records;
  }

  private drop(route: string, reason: DropReason, count: number, rejection?: string): number {
    const r = this.routes.get(route);
    if (r && count > 0) {
      r.dropped[reason] += count;
      r.log?.add(reason, count, rejection);
    }
    return count;
  }
}
