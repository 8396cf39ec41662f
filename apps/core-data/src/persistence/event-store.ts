import type { Event, Page, PageQuery, Reading } from '@gw/contracts';
import type { AggregateFunc, AggregateRow } from '../domain/aggregate';

/**
 * Where events and readings live. Two implementations over the same schema
 * (migrations/): SQLite through better-sqlite3's prepared statements, and
 * PostgreSQL through array parameters (unnest) and single-statement CTEs.
 */
export interface EventStore {
  readonly engine: 'sqlite' | 'postgres';

  /**
   * Writes a batch in one transaction. An event whose id is already stored is
   * skipped with its readings (at-least-once delivery); so is a repeat inside
   * the batch. Throws when the database refuses the batch; nothing is written then.
   */
  insert(events: readonly Event[]): Promise<InsertResult>;

  events(filter: EventFilter, page: PageQuery): Promise<Page<Event>>;
  countEvents(filter: EventFilter): Promise<number>;
  eventById(id: string): Promise<Event | undefined>;
  readings(filter: ReadingFilter, page: PageQuery): Promise<Page<Reading>>;
  countReadings(filter: ReadingFilter): Promise<number>;
  /** `fn` over the numeric values of the matching readings, one row per device, resource and profile. */
  aggregateReadings(filter: ReadingFilter, fn: AggregateFunc): Promise<AggregateRow[]>;

  /** Deletes one event and its readings; false when there was none. */
  deleteEventById(id: string): Promise<boolean>;
  /**
   * Deletes at most `limit` matching events (oldest first) with their
   * readings, atomically; returns how many. Callers loop, so no single
   * statement holds the database for long.
   */
  deleteEvents(filter: DeleteFilter, limit: number): Promise<number>;
  /** The `n`-th oldest event (1-based), for a count cap; undefined when there are fewer. */
  nthOldestEvent(n: number): Promise<EventPosition | undefined>;

  /**
   * Whether a failed write may succeed if retried as is (connection lost,
   * database locked or full) rather than being refused for its content.
   */
  isTransient(err: unknown): boolean;

  /** Stops what the store runs beside the database (SQLite's checkpoint worker); the data source is closed by its owner. */
  close(): Promise<void>;
}

export interface InsertResult {
  events: number;
  readings: number;
  /** Ids of events that were already stored (or repeated in the batch); usually empty. */
  duplicates: string[];
}

export interface EventFilter {
  deviceName?: string;
  /** Origin range in ns, both ends included. */
  start?: number;
  end?: number;
}

export interface ReadingFilter extends EventFilter {
  resourceName?: string;
}

/** Which events a delete takes: all conditions must hold. */
export interface DeleteFilter {
  deviceName?: string;
  /** origin < this (ns). */
  originBefore?: number;
  /** At or before this position in (origin, seq) order: the count cap. */
  upTo?: EventPosition;
}

/** An event's place in storage order. */
export interface EventPosition {
  origin: number;
  seq: number;
}

