/** The dependencies services wait for at start: their broker and their PostgreSQL database. */
import { redactUrl } from '@gw/contracts';
import type { ManagedMessageBus } from '@gw/messaging';
import { describeDatabase, PersistenceConfig } from '@gw/persistence/config';
// Light: pg loads at the first attempt.
import { isTransientDatabaseError, reachPostgres } from '@gw/persistence/postgres-reachability';
import type { Dependency } from './await-dependencies';

/** The bus's broker; any failure is worth waiting for (a broker coming up, or its password file fixed and reloaded). */
export function busDependency(bus: ManagedMessageBus, url: string | undefined): Dependency {
  return { name: 'message bus', target: `${bus.kind} ${url ? redactUrl(url) : '(local broker)'}`, connect: () => bus.connect() };
}

/** A PostgreSQL database (SQLite needs no waiting); a wrong password or database name stops the service instead. */
export function databaseDependency(config: PersistenceConfig): Dependency | undefined {
  if (config.type !== 'postgres') return undefined;
  return {
    name: 'database',
    target: describeDatabase(config),
    connect: () => reachPostgres(config),
    worthWaiting: isTransientDatabaseError,
  };
}
