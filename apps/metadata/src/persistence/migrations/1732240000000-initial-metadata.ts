import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { columnsFor, index } from '@gw/persistence';

const TABLES: Array<{ name: string; refs: string[] }> = [
  { name: 'device_profiles', refs: ['manufacturer', 'model'] },
  { name: 'devices', refs: ['serviceName', 'profileName'] },
  { name: 'device_services', refs: [] },
  { name: 'provision_watchers', refs: ['serviceName', 'profileName'] },
];

/** Every table: the JSON document plus the columns queries filter and sort on (see entities.ts). */
export class InitialMetadata1732240000000 implements MigrationInterface {
  name = 'InitialMetadata1732240000000';

  async up(runner: QueryRunner): Promise<void> {
    const c = columnsFor(runner);
    for (const table of TABLES) {
      await runner.createTable(
        new Table({
          name: table.name,
          columns: [
            c.id(),
            c.string('name', { unique: true }),
            c.text('labels'),
            c.text('body'),
            c.epochMillis('created'),
            c.epochMillis('modified'),
            ...table.refs.map((ref) => c.string(ref, { nullable: true })),
          ],
          indices: [index(table.name, ['modified']), ...table.refs.map((ref) => index(table.name, [ref]))],
        }),
      );
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [...TABLES].reverse()) await runner.dropTable(table.name);
  }
}

export const METADATA_MIGRATIONS = [InitialMetadata1732240000000];
