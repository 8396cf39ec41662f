/**
 * Routes TypeORM's messages into the service's structured logger (pino or any
 * object with the same methods), so database messages carry the service name
 * and never go to the console.
 */
import type { Logger as TypeOrmLogger } from 'typeorm';

/** The part of a pino logger this lib uses; a pino Logger satisfies it. */
export interface PersistenceLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export class TypeOrmLogAdapter implements TypeOrmLogger {
  constructor(
    private readonly out: PersistenceLogger,
    private readonly logQueries = false,
  ) {}

  logQuery(query: string, parameters?: unknown[]): void {
    if (this.logQueries) this.out.debug({ query, parameters: parameters?.length }, 'query');
  }

  // Failed queries are often expected (a unique constraint that the repository
  // turns into DuplicateName), so they are debug here; whoever handles the error
  // decides whether it deserves an error log.
  logQueryError(error: string | Error, query: string): void {
    this.out.debug({ query, err: error }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.out.warn({ query, ms: time }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.out.info({ db: 'schema' }, message);
  }

  logMigration(message: string): void {
    this.out.info({ db: 'migration' }, message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    if (level === 'warn') this.out.warn({ db: 'typeorm' }, text);
    else this.out.debug({ db: 'typeorm' }, text);
  }
}
