/**
 * The one way a service opens its database: build a TypeORM DataSource for the
 * configured engine, connect, and apply pending migrations. The schema is only
 * ever changed by migrations (never `synchronize`), so SQLite and PostgreSQL
 * end up with the same tables and an upgrade never drops data by accident.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, DataSourceOptions, EntitySchema, MigrationInterface } from 'typeorm';
import { backoffDelay, delay, ErrorKind, GatewayError, systemClock } from '@gw/contracts';
import { describeDatabase, PersistenceConfig } from './config';
import { databaseErrorMessage as messageOf, isTransientDatabaseError, PostgresConfig, reachPostgres } from './postgres-reachability';
import { PersistenceLogger, TypeOrmLogAdapter } from './typeorm-logger';

export type EntityClass = (new (...args: never[]) => object) | EntitySchema;
export type MigrationClass = new () => MigrationInterface;

export interface CreateDataSourceOptions {
  entities: EntityClass[];
  /** Migration classes in any order; TypeORM orders them by the timestamp their name ends with. */
  migrations: MigrationClass[];
  /** Give each service its own table (e.g. `metadata_migrations`) so services may share one database. */
  migrationsTableName?: string;
  logger?: PersistenceLogger;
  /** Log every SQL statement at debug level (off by default: it is loud and costs time). */
  logQueries?: boolean;
  /** Shown in PostgreSQL's pg_stat_activity, so an operator can tell the services' connections apart. */
  applicationName?: string;
  /**
   * PostgreSQL only: how long to keep retrying the first connection, because under
   * docker compose the database may still be starting. Default 30 s.
   */
  connectTimeoutMs?: number;
}

/** How long SQLite waits for a lock held by another connection before SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_POOL_SIZE = 10;
const SLOW_QUERY_MS = 1000;

export async function createDataSource(
  config: PersistenceConfig,
  options: CreateDataSourceOptions,
): Promise<DataSource> {
  const where = describeDatabase(config);
  if (config.type === 'postgres') {
    await preparePostgres(config, options.connectTimeoutMs ?? 30_000, options.logger);
  } else if (config.path !== ':memory:') {
    try {
      mkdirSync(dirname(resolve(config.path)), { recursive: true });
    } catch (err) {
      throw new GatewayError(ErrorKind.Database, `cannot create the folder for ${where}: ${messageOf(err)}`, {
        cause: err,
      });
    }
  }

  const dataSource = new DataSource(dataSourceOptions(config, options));
  try {
    await dataSource.initialize();
  } catch (err) {
    throw new GatewayError(ErrorKind.Database, `cannot open ${where}: ${messageOf(err)}`, { cause: err });
  }
  try {
    const executed = await dataSource.runMigrations({ transaction: 'all' });
    options.logger?.info({ db: where, migrations: executed.map((m) => m.name) }, 'database ready');
    return dataSource;
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw new GatewayError(ErrorKind.Database, `migrating ${where} failed: ${messageOf(err)}`, { cause: err });
  }
}

function commonOptions(options: CreateDataSourceOptions) {
  return {
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: options.migrationsTableName ?? 'migrations',
    migrationsRun: false, // run explicitly above, so failures are wrapped and logged
    synchronize: false,
    logger: options.logger ? new TypeOrmLogAdapter(options.logger, options.logQueries) : undefined,
    logging: options.logger !== undefined,
    maxQueryExecutionTime: SLOW_QUERY_MS,
  } satisfies Partial<DataSourceOptions>;
}

function dataSourceOptions(config: PersistenceConfig, options: CreateDataSourceOptions): DataSourceOptions {
  const common = commonOptions(options);
  if (config.type === 'sqlite') {
    return {
      ...common,
      type: 'better-sqlite3',
      database: config.path,
      // WAL lets readers (REST queries) run while core-data writes a batch; with WAL,
      // synchronous=NORMAL is still crash-safe for the database file and much faster than FULL.
      enableWAL: true,
      timeout: SQLITE_BUSY_TIMEOUT_MS,
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma('synchronous = NORMAL');
      },
      // TypeORM itself turns foreign_keys on for every better-sqlite3 connection.
    };
  }
  return {
    ...common,
    type: 'postgres',
    url: config.url,
    schema: config.schema,
    poolSize: config.poolSize ?? DEFAULT_POOL_SIZE,
    applicationName: options.applicationName,
    // search_path makes raw SQL in migrations land in the same schema as TypeORM's
    // qualified names; public stays reachable for extensions installed there.
    extra: config.schema ? { options: `-c search_path=${config.schema},public` } : undefined,
  };
}

/** Waits for PostgreSQL to accept connections and creates the configured schema. */
async function preparePostgres(config: PostgresConfig, timeoutMs: number, logger?: PersistenceLogger): Promise<void> {
  const deadline = systemClock.monotonicMs() + timeoutMs;
  for (let failures = 1; ; failures++) {
    try {
      await reachPostgres(config);
      return;
    } catch (err) {
      const retryInMs = backoffDelay(failures, 250, 5000);
      if (!isTransientDatabaseError(err) || systemClock.monotonicMs() + retryInMs > deadline) throw err;
      logger?.warn({ db: describeDatabase(config), err: messageOf((err as Error).cause ?? err), retryInMs }, 'database not reachable yet');
      await delay(retryInMs);
    }
  }
}
