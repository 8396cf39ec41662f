/**
 * Entity-side partners of the migration column builders, so an entity reads and
 * writes the same values on SQLite and PostgreSQL.
 */
import { Column, ColumnOptions, ValueTransformer } from 'typeorm';

/**
 * A JSON document (jsonb on PostgreSQL, text on SQLite). `simple-json` makes TypeORM
 * stringify on write (PostgreSQL accepts JSON text for jsonb) and parse only strings
 * on read (pg already returns jsonb parsed).
 */
export function JsonColumn(options: Omit<ColumnOptions, 'type'> = {}): PropertyDecorator {
  return Column({ ...options, type: 'simple-json' });
}

/**
 * bigint columns come back from pg as strings (int8 can exceed 2^53); epoch
 * milliseconds fit a JS number exactly, so they are converted back to numbers.
 * Values above 2^53 (e.g. nanosecond timestamps) lose precision: keep those in
 * two columns or as text.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: unknown) => (value === null || value === undefined ? value : Number(value)),
};

export function BigIntColumn(options: Omit<ColumnOptions, 'type' | 'transformer'> = {}): PropertyDecorator {
  return Column({ ...options, type: 'bigint', transformer: bigintAsNumber });
}
