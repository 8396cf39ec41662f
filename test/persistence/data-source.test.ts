import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { createDataSource, parseDatabaseUrl } from '@gw/persistence';
import { testDatabases, testPostgres, testPostgresUrl, testSqlite } from '@gw/test-support/database';
import { migrationRuns, Note, sampleSchema } from './sample-schema';

describe.each(testDatabases())('createDataSource on $name', (db) => {
  let ds: DataSource | undefined;

  afterEach(async () => {
    await ds?.destroy();
    ds = undefined;
  });
  afterAll(() => db.cleanup());

  it('runs the migrations once and keeps data across restarts', async () => {
    migrationRuns.create = migrationRuns.index = 0;
    ds = await createDataSource(db.config, sampleSchema);
    expect(migrationRuns).toEqual({ create: 1, index: 1 });

    const id = randomUUID();
    const created = Date.UTC(2025, 0, 1, 12, 0, 0, 123);
    await ds.getRepository(Note).insert({
      id,
      name: 'boiler-1',
      labels: ['hvac', 'floor-2'],
      properties: { unit: '°C', nested: { limit: 90 } },
      created,
      locked: true,
      value: 21.5,
    });
    await ds.destroy();

    ds = await createDataSource(db.config, sampleSchema);
    expect(migrationRuns).toEqual({ create: 1, index: 1 });
    expect(await ds.showMigrations()).toBe(false);
    const note = await ds.getRepository(Note).findOneByOrFail({ id });
    // Types survive the round trip the same way on both engines.
    expect(note).toEqual({
      id,
      name: 'boiler-1',
      labels: ['hvac', 'floor-2'],
      properties: { unit: '°C', nested: { limit: 90 } },
      created,
      locked: true,
      value: 21.5,
    });
    const rows: unknown[] = await ds.query('SELECT * FROM sample_migrations');
    expect(rows).toHaveLength(2);
  });

  it('enforces unique columns and defaults from the portable migration', async () => {
    ds = await createDataSource(db.config, sampleSchema);
    const repo = ds.getRepository(Note);
    await repo.insert({ id: randomUUID(), name: 'dup', labels: [], properties: null, created: 1, value: null });
    await expect(
      repo.insert({ id: randomUUID(), name: 'dup', labels: [], properties: null, created: 2, value: null }),
    ).rejects.toThrow(/unique|duplicate/i);
    const stored = await repo.findOneByOrFail({ name: 'dup' });
    expect(stored.locked).toBe(false);
    expect(stored.properties).toBeNull();
  });
});

describe('SQLite specifics', () => {
  it('creates the parent directory and turns on WAL, synchronous=NORMAL and foreign keys', async () => {
    const db = testSqlite(join('nested', 'deeper', 'gw.db'));
    if (db.config.type !== 'sqlite') throw new Error('unreachable');
    const ds = await createDataSource(db.config, sampleSchema);
    try {
      expect(existsSync(dirname(db.config.path))).toBe(true);
      expect(await ds.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await ds.query('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]);
      expect(await ds.query('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
      expect(existsSync(`${db.config.path}-wal`)).toBe(true);
    } finally {
      await ds.destroy();
      await db.cleanup();
    }
  });

  it('accepts :memory: for tests', async () => {
    const ds = await createDataSource({ type: 'sqlite', path: ':memory:' }, sampleSchema);
    await expect(ds.getRepository(Note).count()).resolves.toBe(0);
    await ds.destroy();
  });

  it('reports a folder it cannot create as a DatabaseError naming the path', async () => {
    const db = testSqlite('blocker');
    if (db.config.type !== 'sqlite') throw new Error('unreachable');
    writeFileSync(db.config.path, ''); // a file where the folder should be
    const path = join(db.config.path, 'x.db');
    const err = await createDataSource({ type: 'sqlite', path }, sampleSchema).catch((e: unknown) => e);
    await db.cleanup();
    expect(GatewayError.is(err, ErrorKind.Database)).toBe(true);
    expect((err as GatewayError).message).toContain(path);
  });
});

describe('PostgreSQL specifics', () => {
  const pgUrl = testPostgresUrl();
  const pg = pgUrl ? testPostgres(pgUrl) : undefined;
  const maybe = pg ? it : it.skip;
  afterAll(() => pg?.cleanup());

  maybe('creates its schema and keeps every table inside it', async () => {
    if (pg?.config.type !== 'postgres') throw new Error('unreachable');
    const ds = await createDataSource(pg.config, sampleSchema);
    try {
      const tables: { table_name: string }[] = await ds.query(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [pg.config.schema],
      );
      expect(tables.map((t) => t.table_name)).toEqual(['sample_migrations', 'sample_note']);
      const [{ data_type }]: { data_type: string }[] = await ds.query(
        `SELECT data_type FROM information_schema.columns
          WHERE table_schema = $1 AND table_name = 'sample_note' AND column_name = 'labels'`,
        [pg.config.schema],
      );
      expect(data_type).toBe('jsonb');
    } finally {
      await ds.destroy();
    }
  });

  it('gives up on an unreachable server with a DatabaseError that hides the password', async () => {
    const err = await createDataSource(
      { type: 'postgres', url: 'postgres://gw:hunter2@127.0.0.1:1/none' },
      { ...sampleSchema, connectTimeoutMs: 300 },
    ).catch((e: unknown) => e);
    expect(GatewayError.is(err, ErrorKind.Database)).toBe(true);
    expect((err as Error).message).toContain('postgres://gw:***@127.0.0.1:1/none');
    expect((err as Error).message).not.toContain('hunter2');
  });
});

describe('parseDatabaseUrl', () => {
  it('reads sqlite and postgres URLs', () => {
    expect(parseDatabaseUrl('sqlite:./data/metadata.db')).toEqual({ type: 'sqlite', path: './data/metadata.db' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ type: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('postgres://u:p@db:5432/gw?schema=metadata&poolSize=5&sslmode=require')).toEqual({
      type: 'postgres',
      url: 'postgres://u:p@db:5432/gw?sslmode=require',
      schema: 'metadata',
      poolSize: 5,
    });
  });

  it('refuses anything else, without echoing a password', () => {
    expect(() => parseDatabaseUrl('mysql://u:secret@h/db')).toThrow(/expected sqlite:<file> or postgres:/);
    expect(() => parseDatabaseUrl('mysql://u:secret@h/db')).not.toThrow(/secret/);
    expect(() => parseDatabaseUrl('postgres://h/db?schema=a;drop')).toThrow(/not a plain identifier/);
  });
});
