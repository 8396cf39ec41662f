/**
 * One attempt to reach a PostgreSQL database (and create the configured
 * schema), and whether a failure may pass with time. Used by createDataSource's
 * first connection and by services that wait for their database at start.
 * Light: pg loads at the first attempt, typeorm never.
 */
import type { Client } from 'pg';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { assertSchemaName, describeDatabase, PersistenceConfig } from './config';

export type PostgresConfig = Extract<PersistenceConfig, { type: 'postgres' }>;

/**
 * Connects once, creates the schema when one is configured, disconnects;
 * rejects with GatewayError(Database) naming the database, pg's error as its
 * cause (isTransientDatabaseError tells whether waiting may help).
 */
export async function reachPostgres(config: PostgresConfig, connectTimeoutMs = 5000): Promise<void> {
  if (config.schema) assertSchemaName(config.schema);
  // Loaded here: a gateway on SQLite never loads pg.
  const { Client: PgClient } = await import('pg');
  const client = new PgClient({ connectionString: config.url, connectionTimeoutMillis: connectTimeoutMs });
  try {
    await client.connect();
    if (config.schema) await createSchema(client, config.schema);
  } catch (err) {
    throw new GatewayError(ErrorKind.Database, `cannot connect to ${describeDatabase(config)}: ${databaseErrorMessage(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createSchema(client: Client, schema: string): Promise<void> {
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (err) {
    // Two services starting together can race on IF NOT EXISTS; the loser gets a
    // unique violation (23505) or duplicate_schema (42P06): the schema exists, fine.
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
}

/** Not reachable (yet), or starting up (57P03): worth waiting for. A wrong password or database name is not. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', '57P03']);

export function isTransientDatabaseError(err: unknown): boolean {
  if (GatewayError.is(err) && err.cause !== undefined) return isTransientDatabaseError(err.cause);
  if (err instanceof AggregateError && err.errors.length) return isTransientDatabaseError(err.errors[0]);
  const code = (err as { code?: string }).code;
  return (code !== undefined && TRANSIENT_CODES.has(code)) || /timeout|terminated/i.test(databaseErrorMessage(err));
}

/** An error's message, or its code when Node gives none (an AggregateError from a dual-stack connect). */
export function databaseErrorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return databaseErrorMessage(err.errors[0]);
  return err instanceof Error ? err.message || String((err as { code?: string }).code ?? err.name) : String(err);
}
