import type { DataSource } from 'typeorm';
import type { CheckpointerLogger } from '@gw/persistence';
import type { EventStore } from './event-store';
import { PostgresEventStore } from './postgres-event-store';
import { SqliteEventStore } from './sqlite-event-store';

/** The store for the engine the data source was opened on (its migrations already applied). */
export function openEventStore(dataSource: DataSource, logger?: CheckpointerLogger): EventStore {
  return dataSource.driver.options.type === 'postgres' ? new PostgresEventStore(dataSource) : new SqliteEventStore(dataSource, logger);
}
