import { ErrorKind, Event, GatewayError, Page, PageQuery, Reading } from '@gw/contracts';
import type {
  DeleteFilter,
  EventFilter,
  EventPosition,
  EventStore,
  InsertResult,
  ReadingFilter,
} from './event-store';
import type { AggregateFunc, AggregateRow } from '../domain/aggregate';
import { EVENT_COLUMNS, EventRow, JsonDecoder, READING_COLUMNS, ReadingRow, readingsByEvent, toEvent, toReading } from './rows';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/**
 * The queries both engines share, written once with `?` placeholders; each
 * engine runs them (PostgreSQL renumbers the placeholders) and brings its own
 * insert, delete and "column IN list" forms, where the dialects differ.
 */
export abstract class SqlEventStore implements EventStore {
  abstract readonly engine: 'sqlite' | 'postgres';

  abstract insert(events: readonly Event[]): Promise<InsertResult>;
  abstract deleteEvents(filter: DeleteFilter, limit: number): Promise<number>;
  abstract deleteEventById(id: string): Promise<boolean>;
  abstract isTransient(err: unknown): boolean;
  abstract close(): Promise<void>;

  protected abstract all<T>(sql: string, params: unknown[]): Promise<T[]>;
  /** `column IN (<values>)` with the whole list as one parameter. */
  protected abstract inList(column: string, values: number[]): SqlFragment;
  protected abstract readonly json: JsonDecoder;

  /**
   * Engine hint after `FROM readings` for a filter (SQLite's planner has no
   * statistics to choose between the device and the resource index).
   */
  protected readingsIndexHint(_filter: ReadingFilter): string {
    return '';
  }

  async events(filter: EventFilter, page: PageQuery): Promise<Page<Event>> {
    const where = matching(filter);
    const totalCount = page.countTotal ? await this.countEvents(filter) : 0;
    assertInRange(page, totalCount, 'events');
    if (page.limit === 0) return { items: [], totalCount };
    const rows = await this.all<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events${where.sql} ORDER BY origin DESC, seq DESC LIMIT ? OFFSET ?`,
      [...where.params, page.limit, page.offset],
    );
    return { items: await this.withReadings(rows), totalCount };
  }

  async countEvents(filter: EventFilter): Promise<number> {
    const where = matching(filter);
    const [row] = await this.all<{ n: number | string }>(`SELECT count(*) AS n FROM events${where.sql}`, where.params);
    return Number(row.n);
  }

  async eventById(id: string): Promise<Event | undefined> {
    const rows = await this.all<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`, [id]);
    return (await this.withReadings(rows))[0];
  }

  async readings(filter: ReadingFilter, page: PageQuery): Promise<Page<Reading>> {
    const where = matching(filter);
    const totalCount = page.countTotal ? await this.countReadings(filter) : 0;
    assertInRange(page, totalCount, 'readings');
    if (page.limit === 0) return { items: [], totalCount };
    const rows = await this.all<ReadingRow>(
      `SELECT ${READING_COLUMNS} FROM readings${this.readingsIndexHint(filter)}${where.sql} ORDER BY origin DESC, seq DESC LIMIT ? OFFSET ?`,
      [...where.params, page.limit, page.offset],
    );
    return { items: rows.map((row) => toReading(row, this.json)), totalCount };
  }

  async aggregateReadings(filter: ReadingFilter, fn: AggregateFunc): Promise<AggregateRow[]> {
    const where = matching(filter);
    // Only numeric readings count (the others give NULL, which aggregates skip); fn comes from a closed list.
    const rows = await this.all<AggregateRow>(
      `SELECT "deviceName", "resourceName", "profileName", MIN("valueType") AS "valueType", ${this.aggregateOf(fn)} AS value ` +
        `FROM readings${this.readingsIndexHint(filter)}${where.sql} GROUP BY "deviceName", "resourceName", "profileName" ` +
        'ORDER BY "deviceName", "resourceName", "profileName"',
      where.params,
    );
    return rows;
  }

  /** The reading's value as a number when its valueType is numeric, else NULL (SQL, per engine). */
  protected abstract numericValue(): string;

  /** The aggregate of the numeric values (SQL). */
  protected aggregateOf(fn: AggregateFunc): string {
    return `${fn}(${this.numericValue()})`;
  }

  async countReadings(filter: ReadingFilter): Promise<number> {
    const where = matching(filter);
    const [row] = await this.all<{ n: number | string }>(
      `SELECT count(*) AS n FROM readings${this.readingsIndexHint(filter)}${where.sql}`,
      where.params,
    );
    return Number(row.n);
  }

  async nthOldestEvent(n: number): Promise<EventPosition | undefined> {
    const [row] = await this.all<{ origin: number | string; seq: number | string }>(
      'SELECT origin, seq FROM events ORDER BY origin, seq LIMIT 1 OFFSET ?',
      [n - 1],
    );
    return row ? { origin: Number(row.origin), seq: Number(row.seq) } : undefined;
  }

  /** The events' readings in one query, in the order they were stored. */
  private async withReadings(rows: EventRow[]): Promise<Event[]> {
    if (rows.length === 0) return [];
    const seqs = rows.map((row) => Number(row.seq));
    const list = this.inList('"eventSeq"', seqs);
    const readingRows = await this.all<ReadingRow>(`SELECT ${READING_COLUMNS} FROM readings WHERE ${list.sql} ORDER BY seq`, list.params);
    const byEvent = readingsByEvent(readingRows, this.json);
    return rows.map((row) => toEvent(row, byEvent.get(Number(row.seq)) ?? [], this.json));
  }
}

/** WHERE clause of a listing; ranges include both ends, as EdgeX's do. */
export function matching(filter: ReadingFilter): SqlFragment {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.deviceName !== undefined) {
    conditions.push('"deviceName" = ?');
    params.push(filter.deviceName);
  }
  if (filter.resourceName !== undefined) {
    conditions.push('"resourceName" = ?');
    params.push(filter.resourceName);
  }
  if (filter.start !== undefined) {
    conditions.push('origin >= ?');
    params.push(filter.start);
  }
  if (filter.end !== undefined) {
    conditions.push('origin <= ?');
    params.push(filter.end);
  }
  return { sql: conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '', params };
}

/** WHERE clause choosing the events a delete takes. */
export function doomed(filter: DeleteFilter): SqlFragment {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.deviceName !== undefined) {
    conditions.push('"deviceName" = ?');
    params.push(filter.deviceName);
  }
  if (filter.originBefore !== undefined) {
    conditions.push('origin < ?');
    params.push(filter.originBefore);
  }
  if (filter.upTo !== undefined) {
    conditions.push('(origin < ? OR (origin = ? AND seq <= ?))');
    params.push(filter.upTo.origin, filter.upTo.origin, filter.upTo.seq);
  }
  return { sql: conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '', params };
}

/** EdgeX: an offset at or past the end of a non-empty result is 416. */
function assertInRange(page: PageQuery, totalCount: number, what: string): void {
  if (page.countTotal && page.offset > 0 && page.offset >= totalCount) {
    throw new GatewayError(ErrorKind.RangeNotSatisfiable, `offset ${page.offset} is past the last of ${totalCount} ${what}`);
  }
}
