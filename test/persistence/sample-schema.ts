/** A small entity and two migrations written once for both engines, as an app would. */
import { Entity, MigrationInterface, PrimaryColumn, QueryRunner, Table, Column } from 'typeorm';
import { BigIntColumn, columnsFor, index, JsonColumn } from '@gw/persistence';

@Entity('sample_note')
export class Note {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 255, unique: true })
  name!: string;

  @JsonColumn()
  labels!: string[];

  @JsonColumn({ nullable: true })
  properties!: Record<string, unknown> | null;

  @BigIntColumn()
  created!: number;

  @Column({ type: 'boolean', default: false })
  locked!: boolean;

  @Column({ type: 'double precision', nullable: true })
  value!: number | null;
}

/** Counts `up` calls so a test can see that a restart runs nothing. */
export const migrationRuns = { create: 0, index: 0 };

export class CreateNote1735000000000 implements MigrationInterface {
  async up(qr: QueryRunner): Promise<void> {
    migrationRuns.create++;
    const c = columnsFor(qr);
    await qr.createTable(
      new Table({
        name: 'sample_note',
        columns: [
          c.id(),
          c.string('name', { unique: true }),
          c.json('labels'),
          c.json('properties', { nullable: true }),
          c.epochMillis('created'),
          c.boolean('locked', { default: 'false' }),
          c.double('value', { nullable: true }),
        ],
      }),
    );
  }
  async down(qr: QueryRunner): Promise<void> {
    await qr.dropTable('sample_note');
  }
}

export class IndexNoteCreated1735000000001 implements MigrationInterface {
  async up(qr: QueryRunner): Promise<void> {
    migrationRuns.index++;
    await qr.createIndex('sample_note', index('sample_note', ['created']));
  }
  async down(qr: QueryRunner): Promise<void> {
    await qr.dropIndex('sample_note', 'IDX_sample_note_created');
  }
}

export const sampleSchema = {
  entities: [Note],
  migrations: [IndexNoteCreated1735000000001, CreateNote1735000000000], // order comes from the timestamps
  migrationsTableName: 'sample_migrations',
};
