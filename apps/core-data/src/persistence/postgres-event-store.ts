import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { Event } from '@gw/contracts';
import type { DeleteFilter, InsertResult } from './event-store';
import { FLOAT_TYPES, INTEGER_TYPES, sqlList } from '../domain/aggregate';
import { readingColumns } from './rows';
import { doomed, SqlEventStore, SqlFragment } from './sql-event-store';

/**
 * A whole batch is one statement: the rows travel as one array per column
 * (unnest), the event insert skips known ids, and the reading insert joins
 * on the events actually inserted. One round trip, atomic without BEGIN/COMMIT,
 * and the statement text never changes, so it is prepared once per connection.
 */
const INSERT_BATCH = `
WITH input AS (
  SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::bigint[], $6::jsonb[])
    WITH ORDINALITY AS t(id, "deviceName", "profileName", "sourceName", origin, tags, n)
), inserted AS (
  INSERT INTO events (id, "deviceName", "profileName", "sourceName", origin, tags)
  SELECT id, "deviceName", "profileName", "sourceName", origin, tags FROM input ORDER BY n
  ON CONFLICT (id) DO NOTHING
  RETURNING seq, id
), added AS (
  INSERT INTO readings (id, "eventSeq", origin, "deviceName", "resourceName", "profileName", "valueType", units,
                        value, "binaryValue", "mediaType", "objectValue", tags)
  SELECT r.id, i.seq, r.origin, r."deviceName", r."resourceName", r."profileName", r."valueType", r.units,
         r.value, r."binaryValue", r."mediaType", r."objectValue", r.tags
  FROM unnest($7::varchar[], $8::varchar[], $9::bigint[], $10::varchar[], $11::varchar[], $12::varchar[],
              $13::varchar[], $14::varchar[], $15::text[], $16::bytea[], $17::varchar[], $18::jsonb[], $19::jsonb[])
    WITH ORDINALITY AS r("eventId", id, origin, "deviceName", "resourceName", "profileName", "valueType", units,
                         value, "binaryValue", "mediaType", "objectValue", tags, n)
  JOIN inserted i ON i.id = r."eventId"
  ORDER BY r.n
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted)::int AS events,
       (SELECT count(*) FROM added)::int AS readings,
       ARRAY(SELECT id FROM input EXCEPT SELECT id FROM inserted) AS duplicates`;

/** SQLSTATE classes that are about the data sent (22 data exception, 23 integrity): retrying cannot help. */
const PERMANENT_CLASSES = new Set(['22', '23']);
const PLACEHOLDER_CACHE_LIMIT = 200;

/** PostgreSQL through the pg pool TypeORM opened (its search_path is the configured schema). */
export class PostgresEventStore extends SqlEventStore {
  readonly engine = 'postgres' as const;
  // pg hands jsonb back parsed.
  protected readonly json = (column: unknown): unknown => column;
  private readonly pool: Pool;
  private readonly numbered = new Map<string, string>();

  constructor(dataSource: DataSource) {
    super();
    this.pool = (dataSource.driver as unknown as { master: Pool }).master;
  }

  async insert(events: readonly Event[]): Promise<InsertResult> {
    const columns = toColumns(events);
    const result = await this.pool.query<{ events: number; readings: number; duplicates: string[] }>({
      name: 'core-data-insert-batch',
      text: INSERT_BATCH,
      values: columns.values,
    });
    const row = result.rows[0];
    return { events: row.events, readings: row.readings, duplicates: [...columns.repeated, ...row.duplicates] };
  }

  async deleteEvents(filter: DeleteFilter, limit: number): Promise<number> {
    const where = doomed(filter);
    return this.deleteWhere(`SELECT seq FROM events${where.sql} ORDER BY origin, seq LIMIT ?`, [...where.params, limit]);
  }

  async deleteEventById(id: string): Promise<boolean> {
    return (await this.deleteWhere('SELECT seq FROM events WHERE id = ?', [id])) > 0;
  }

  /** Nothing runs beside the pool, which its data source closes. */
  async close(): Promise<void> {}

  isTransient(err: unknown): boolean {
    const code = (err as { code?: unknown }).code;
    return !(typeof code === 'string' && code.length === 5 && PERMANENT_CLASSES.has(code.slice(0, 2)));
  }

  protected async all<T>(sql: string, params: unknown[]): Promise<T[]> {
    const result = await this.pool.query(this.dollars(sql), params);
    return result.rows as T[];
  }

  /** NUMERIC: exact for every integer and float reading. */
  protected numericValue(): string {
    return `CASE WHEN "valueType" IN (${sqlList([...INTEGER_TYPES, ...FLOAT_TYPES])}) THEN CAST(value AS NUMERIC) END`;
  }

  protected inList(column: string, values: number[]): SqlFragment {
    return { sql: `${column} = ANY(?::bigint[])`, params: [values] };
  }

  /** Events and their readings in one statement: atomic, and the selection is taken once. */
  private async deleteWhere(select: string, params: unknown[]): Promise<number> {
    const sql =
      `WITH doomed AS (${select}), ` +
      'gone AS (DELETE FROM readings WHERE "eventSeq" IN (SELECT seq FROM doomed)) ' +
      'DELETE FROM events WHERE seq IN (SELECT seq FROM doomed)';
    const result = await this.pool.query(this.dollars(sql), params);
    return result.rowCount ?? 0;
  }

  /** `?` placeholders (shared with SQLite) to PostgreSQL's `$1, $2, ...`. */
  private dollars(sql: string): string {
    let text = this.numbered.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`);
      if (this.numbered.size >= PLACEHOLDER_CACHE_LIMIT) this.numbered.clear();
      this.numbered.set(sql, text);
    }
    return text;
  }
}

/** One array per column; an id repeated within the batch is kept once (the join would double its readings). */
function toColumns(events: readonly Event[]): { values: unknown[][]; repeated: string[] } {
  const seen = new Set<string>();
  const repeated: string[] = [];
  const e: unknown[][] = [[], [], [], [], [], []];
  const r: unknown[][] = [[], [], [], [], [], [], [], [], [], [], [], [], []];
  for (const event of events) {
    if (seen.has(event.id)) {
      repeated.push(event.id);
      continue;
    }
    seen.add(event.id);
    e[0].push(event.id);
    e[1].push(event.deviceName);
    e[2].push(event.profileName);
    e[3].push(event.sourceName);
    e[4].push(event.origin);
    e[5].push(readingColumns.tags(event.tags));
    for (const reading of event.readings) {
      r[0].push(event.id);
      r[1].push(reading.id ?? randomUUID());
      r[2].push(reading.origin);
      r[3].push(reading.deviceName);
      r[4].push(reading.resourceName);
      r[5].push(reading.profileName);
      r[6].push(reading.valueType);
      r[7].push(reading.units ?? null);
      r[8].push(readingColumns.value(reading));
      r[9].push(readingColumns.binaryValue(reading));
      r[10].push(readingColumns.mediaType(reading));
      r[11].push(readingColumns.objectValue(reading));
      r[12].push(readingColumns.tags(reading.tags));
    }
  }
  return { values: [...e, ...r], repeated };
}
