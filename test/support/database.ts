/**
 * The databases an integration suite runs on: SQLite in a fresh temp dir and
 * PostgreSQL in a fresh schema of the shared `test` database, so parallel runs
 * on a shared machine never see each other's tables.
 *
 *   describe.each(testDatabases())('on $name', (db) => {
 *     afterAll(() => db.cleanup());
 *     it('...', async () => { const ds = await createDataSource(db.config, {...}); ... });
 *   });
 *
 * GW_TEST_PG_URL overrides the PostgreSQL URL (default postgres://root@127.0.0.1:5432/test,
 * trust auth); GW_TEST_PG_URL=off runs SQLite only, for a machine without PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { PersistenceConfig } from '@gw/persistence';

export const DEFAULT_TEST_PG_URL = 'postgres://root@127.0.0.1:5432/test';

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  config: PersistenceConfig;
  /** Removes the temp dir / drops the schema. Close your DataSources first. */
  cleanup(): Promise<void>;
}

export function testPostgresUrl(): string | undefined {
  const url = process.env.GW_TEST_PG_URL ?? DEFAULT_TEST_PG_URL;
  return url === '' || url === 'off' ? undefined : url;
}

export function testSqlite(file = 'test.db'): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
  return {
    name: 'sqlite',
    config: { type: 'sqlite', path: join(dir, file) },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A unique schema name; createDataSource creates it on first use. */
export function testPostgres(url: string): TestDatabase {
  const schema = `gw_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  return {
    name: 'postgres',
    config: { type: 'postgres', url, schema, poolSize: 4 },
    cleanup: async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Fresh databases for one suite: always SQLite, plus PostgreSQL unless GW_TEST_PG_URL=off. */
export function testDatabases(): TestDatabase[] {
  const url = testPostgresUrl();
  return url ? [testSqlite(), testPostgres(url)] : [testSqlite()];
}
