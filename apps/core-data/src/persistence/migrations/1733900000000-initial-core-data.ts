import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import type { TableColumnOptions } from 'typeorm/schema-builder/options/TableColumnOptions';
import { columnsFor, index } from '@gw/persistence';

/**
 * Events and readings, shaped for a high insert rate and the EdgeX queries:
 * every listing is "newest first" (origin DESC) filtered by nothing, a device,
 * a resource, or both, plus a time range.
 *
 * - `seq` (both tables) is an increasing surrogate key: storage order, the
 *   tie-break of "newest first", and what readings point at (`eventSeq`)
 *   rather than the uuid: an index on random uuids touches one random
 *   page per row and dominates write cost, one on an increasing key appends.
 *   The uuid keeps its unique index (dedupe of at-least-once delivery, GET by id).
 * - No foreign key: deletes remove readings and events in one statement or
 *   transaction (see the stores), and a per-reading FK check would cost every insert.
 * - Readings by device and resource use the device index and filter by
 *   resource: a (deviceName, resourceName, origin) index would be one more
 *   insertion point per device and resource in every batch, ~30% of the
 *   SQLite insert rate (bench/ingest.ts), for one query shape.
 * - Origins are nanoseconds in bigint columns.
 */
export class InitialCoreData1733900000000 implements MigrationInterface {
  name = 'InitialCoreData1733900000000';

  async up(runner: QueryRunner): Promise<void> {
    const c = columnsFor(runner);
    const postgres = runner.connection.driver.options.type === 'postgres';
    // SQLite: INTEGER PRIMARY KEY is the rowid itself (free); PostgreSQL: a bigint identity.
    const sequence = (): TableColumnOptions => ({
      name: 'seq',
      type: postgres ? 'bigint' : 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: postgres ? 'identity' : 'increment',
    });
    await runner.createTable(
      new Table({
        name: 'events',
        columns: [
          sequence(),
          c.uuid('id'),
          c.string('deviceName'),
          c.string('profileName'),
          c.string('sourceName'),
          c.bigint('origin'),
          c.json('tags', { nullable: true }),
        ],
        indices: [
          index('events', ['id'], { unique: true }),
          index('events', ['origin']),
          index('events', ['deviceName', 'origin']),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'readings',
        columns: [
          sequence(),
          c.uuid('id'),
          c.bigint('eventSeq'),
          c.bigint('origin'),
          c.string('deviceName'),
          c.string('resourceName'),
          c.string('profileName'),
          c.string('valueType', { length: 32 }),
          c.string('units', { nullable: true }),
          c.text('value', { nullable: true }),
          c.binary('binaryValue', { nullable: true }),
          c.string('mediaType', { nullable: true }),
          c.json('objectValue', { nullable: true }),
          c.json('tags', { nullable: true }),
        ],
        indices: [
          index('readings', ['eventSeq']),
          index('readings', ['origin']),
          index('readings', ['deviceName', 'origin']),
          index('readings', ['resourceName', 'origin']),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('readings');
    await runner.dropTable('events');
  }
}

export const CORE_DATA_MIGRATIONS = [InitialCoreData1733900000000];
