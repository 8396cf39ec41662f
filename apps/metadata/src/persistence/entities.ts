/**
 * Metadata keeps each EdgeX entity as its JSON document plus the few columns
 * that queries filter or sort on (name, service, profile, labels, modified).
 * The document is the API shape, so GET returns exactly what was stored and
 * new optional EdgeX fields need no migration.
 */
import { EntitySchema } from 'typeorm';
import { bigintAsNumber } from '@gw/persistence';

export interface StoredRow {
  id: string;
  name: string;
  /** JSON array text; queried with LIKE '%"label"%' so it works on SQLite and PostgreSQL alike. */
  labels: string;
  /** Full entity as JSON text, without id/created/modified (those are columns). */
  body: string;
  created: number;
  modified: number;
  serviceName?: string | null;
  profileName?: string | null;
  manufacturer?: string | null;
  model?: string | null;
}

function schema(name: string, tableName: string, extra: Array<keyof StoredRow>) {
  const columns: Record<string, object> = {
    id: { type: 'varchar', length: 36, primary: true },
    name: { type: 'varchar', length: 255, unique: true },
    labels: { type: 'text' },
    body: { type: 'text' },
    created: { type: 'bigint', transformer: bigintAsNumber },
    modified: { type: 'bigint', transformer: bigintAsNumber },
  };
  for (const column of extra) columns[column] = { type: 'varchar', length: 255, nullable: true };
  return new EntitySchema<StoredRow>({ name, tableName, columns });
}

export const ProfileRow = schema('ProfileRow', 'device_profiles', ['manufacturer', 'model']);
export const DeviceRow = schema('DeviceRow', 'devices', ['serviceName', 'profileName']);
export const ServiceRow = schema('ServiceRow', 'device_services', []);
export const WatcherRow = schema('WatcherRow', 'provision_watchers', ['serviceName', 'profileName']);

export const METADATA_ENTITIES = [ProfileRow, DeviceRow, ServiceRow, WatcherRow];
