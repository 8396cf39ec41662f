/**
 * Where a service keeps its data. SQLite is the embedded default (one file per
 * service under ./data); PostgreSQL is the production choice in docker compose.
 * The config is plain data: libs/service-kit reads it from the environment,
 * this lib never touches process.env.
 */
import { ErrorKind, GatewayError, redactUrl } from '@gw/contracts';

export type PersistenceConfig =
  | { type: 'sqlite'; path: string }
  | { type: 'postgres'; url: string; schema?: string; poolSize?: number };

/** Schema names go into SQL and a libpq `-c search_path=` option, so only plain identifiers are allowed. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new GatewayError(
      ErrorKind.Config,
      `PostgreSQL schema "${schema}" is not a plain identifier (letters, digits, _; at most 63 characters)`,
    );
  }
}

/**
 * One setting for the whole database choice, e.g. GW_DATABASE=`sqlite:./data/metadata.db`,
 * `sqlite::memory:`, or `postgres://user:pass@host:5432/db?schema=metadata&poolSize=10`.
 * `schema` and `poolSize` are taken out of the query string (pg would pass them on as
 * unknown connection parameters).
 */
export function parseDatabaseUrl(text: string): PersistenceConfig {
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!path) throw new GatewayError(ErrorKind.Config, `"${text}" names no SQLite file: use sqlite:./data/x.db`);
    return { type: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new GatewayError(ErrorKind.Config, `"${redactUrl(text)}" is not a valid PostgreSQL URL`);
    }
    const schema = url.searchParams.get('schema') ?? undefined;
    const pool = url.searchParams.get('poolSize');
    url.searchParams.delete('schema');
    url.searchParams.delete('poolSize');
    if (schema !== undefined) assertSchemaName(schema);
    let poolSize: number | undefined;
    if (pool !== null) {
      poolSize = Number(pool);
      if (!Number.isInteger(poolSize) || poolSize < 1) {
        const message = `poolSize in the PostgreSQL URL must be a positive integer, got "${pool}"`;
        throw new GatewayError(ErrorKind.Config, message);
      }
    }
    return { type: 'postgres', url: url.toString(), ...(schema ? { schema } : {}), ...(poolSize ? { poolSize } : {}) };
  }
  throw new GatewayError(
    ErrorKind.Config,
    `"${redactUrl(text)}" is not a database URL: expected sqlite:<file> or postgres://user@host:5432/db`,
  );
}

/** A short human description of where the data lives, safe to log. */
export function describeDatabase(config: PersistenceConfig): string {
  return config.type === 'sqlite'
    ? `sqlite ${config.path}`
    : `postgres ${redactUrl(config.url)}${config.schema ? ` (schema ${config.schema})` : ''}`;
}
