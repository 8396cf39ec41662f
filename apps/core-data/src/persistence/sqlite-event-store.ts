import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Event } from '@gw/contracts';
import { CheckpointerLogger, SqliteCheckpointer } from '@gw/persistence';
import type { DeleteFilter, InsertResult, ReadingFilter } from './event-store';
import { AggregateFunc, FLOAT_TYPES, INTEGER_TYPES, sqlList } from '../domain/aggregate';
import { readingColumns } from './rows';
import { doomed, SqlEventStore, SqlFragment } from './sql-event-store';

/** The part of better-sqlite3's API this store uses (the project has no @types for it). */
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  pragma(sql: string): unknown;
}

interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  all(...params: unknown[]): unknown[];
}

/** Pages SQLite may keep in memory (KiB, as a negative cache_size): the hot index pages of a busy table. */
const CACHE_KIB = 65_536;
/**
 * WAL pages before a checkpoint copies them into the database (default 1,000):
 * the tails of the indexes are rewritten by every batch, and a longer WAL
 * copies each such page once instead of after every few batches (+10-15%
 * ingest). The WAL is truncated back to JOURNAL_LIMIT after a checkpoint.
 */
const CHECKPOINT_PAGES = 10_000;
const JOURNAL_LIMIT_BYTES = 64 * 1024 * 1024;
const STATEMENT_CACHE_LIMIT = 200;
const PERMANENT_CODES = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/;

const INSERT_EVENT =
  'INSERT INTO events (id, "deviceName", "profileName", "sourceName", origin, tags) VALUES (?, ?, ?, ?, ?, ?) ' +
  'ON CONFLICT (id) DO NOTHING';
const INSERT_READING =
  'INSERT INTO readings (id, "eventSeq", origin, "deviceName", "resourceName", "profileName", "valueType", units, ' +
  'value, "binaryValue", "mediaType", "objectValue", tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * SQLite through the better-sqlite3 connection TypeORM opened (WAL,
 * synchronous=NORMAL), with prepared statements. better-sqlite3 is
 * synchronous: a batch is one `db.transaction` that runs to completion
 * within one turn of the event loop, so no other query of this process can
 * land inside it, and a multi-statement delete is atomic the same way.
 */
export class SqliteEventStore extends SqlEventStore {
  readonly engine = 'sqlite' as const;
  protected readonly json = (column: unknown): unknown => JSON.parse(column as string);
  private readonly db: SqliteDatabase;
  private readonly statements = new Map<string, SqliteStatement>();
  private readonly writeBatch: (events: readonly Event[]) => InsertResult;
  private readonly deleteSeqs: (seqs: number[]) => void;
  private readonly checkpointer?: SqliteCheckpointer;

  /**
   * `logger`: while writes pour in, checkpoints run in a worker thread
   * (SqliteCheckpointer; not for an in-memory database), so no commit carries one.
   */
  constructor(dataSource: DataSource, logger?: CheckpointerLogger) {
    super();
    this.db = (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
    const file = String(dataSource.options.database);
    if (logger && file !== ':memory:') this.checkpointer = new SqliteCheckpointer(file, logger);
    this.db.pragma(`cache_size = -${CACHE_KIB}`);
    this.db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    this.db.pragma(`journal_size_limit = ${JOURNAL_LIMIT_BYTES}`);
    const insertEvent = this.db.prepare(INSERT_EVENT);
    const insertReading = this.db.prepare(INSERT_READING);
    this.writeBatch = this.db.transaction((events: readonly Event[]): InsertResult => {
      const result: InsertResult = { events: 0, readings: 0, duplicates: [] };
      for (const e of events) {
        const added = insertEvent.run(e.id, e.deviceName, e.profileName, e.sourceName, e.origin, readingColumns.tags(e.tags));
        if (added.changes === 0) {
          result.duplicates.push(e.id);
          continue;
        }
        result.events++;
        const seq = added.lastInsertRowid;
        for (const r of e.readings) {
          insertReading.run(
            r.id ?? randomUUID(),
            seq,
            r.origin,
            r.deviceName,
            r.resourceName,
            r.profileName,
            r.valueType,
            r.units ?? null,
            readingColumns.value(r),
            readingColumns.binaryValue(r),
            readingColumns.mediaType(r),
            readingColumns.objectValue(r),
            readingColumns.tags(r.tags),
          );
        }
        result.readings += e.readings.length;
      }
      return result;
    });
    const deleteReadings = this.db.prepare('DELETE FROM readings WHERE "eventSeq" IN (SELECT value FROM json_each(?))');
    const deleteEvents = this.db.prepare('DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?))');
    this.deleteSeqs = this.db.transaction((seqs: number[]) => {
      const list = JSON.stringify(seqs);
      deleteReadings.run(list);
      deleteEvents.run(list);
    });
  }

  async insert(events: readonly Event[]): Promise<InsertResult> {
    const result = this.writeBatch(events);
    this.checkpointer?.committed(result.events + result.readings);
    return result;
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
  }

  async deleteEvents(filter: DeleteFilter, limit: number): Promise<number> {
    const where = doomed(filter);
    // Select and delete in one synchronous stretch: nothing can change the set in between.
    const rows = this.statement(`SELECT seq FROM events${where.sql} ORDER BY origin, seq LIMIT ?`).all(...where.params, limit);
    const seqs = (rows as Array<{ seq: number }>).map((row) => row.seq);
    if (seqs.length) this.deleteSeqs(seqs);
    return seqs.length;
  }

  async deleteEventById(id: string): Promise<boolean> {
    const rows = this.statement('SELECT seq FROM events WHERE id = ?').all(id) as Array<{ seq: number }>;
    if (rows.length) this.deleteSeqs(rows.map((row) => row.seq));
    return rows.length > 0;
  }

  isTransient(err: unknown): boolean {
    if (err instanceof TypeError || err instanceof RangeError) {
      // better-sqlite3 refusing to bind a value is about the data; a closed connection is not.
      return /not open/i.test(err.message);
    }
    const code = (err as { code?: unknown }).code;
    return !(typeof code === 'string' && PERMANENT_CODES.test(code));
  }

  protected async all<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.statement(sql).all(...params) as T[];
  }

  /**
   * Device and resource together: walk the device's readings newest first and
   * filter by resource (a device has a handful of resources; a resource name
   * such as "temperature" may be shared by every device). The migration has no
   * (device, resource, origin) index on purpose: it would cost ~30% of the
   * insert rate for one query shape.
   */
  protected override readingsIndexHint(filter: ReadingFilter): string {
    return filter.deviceName !== undefined && filter.resourceName !== undefined ? ' INDEXED BY "IDX_readings_deviceName_origin"' : '';
  }

  /** Integers as INTEGER (exact to 2^63), floats as REAL. */
  /** SQLite's SUM of INTEGERs fails ("integer overflow") beyond int64: summed as REAL, as exact as the JSON number it answers. */
  protected override aggregateOf(fn: AggregateFunc): string {
    return fn === 'SUM' ? `SUM(CAST(${this.numericValue()} AS REAL))` : super.aggregateOf(fn);
  }

  protected numericValue(): string {
    return `CASE WHEN "valueType" IN (${sqlList(INTEGER_TYPES)}) THEN CAST(value AS INTEGER) WHEN "valueType" IN (${sqlList(FLOAT_TYPES)}) THEN CAST(value AS REAL) END`;
  }

  protected inList(column: string, values: number[]): SqlFragment {
    return { sql: `${column} IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(values)] };
  }

  private statement(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
