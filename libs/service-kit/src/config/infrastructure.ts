/**
 * Settings for the two pieces of infrastructure most services share, the
 * message bus and the database, so every service reads them from the same
 * variables (GW_BUS_TYPE, GW_BUS_URL, GW_DATABASE, or per service
 * GW_METADATA_DATABASE ...) and validates them the same way at boot.
 */
import type { BusConfig } from '@gw/messaging';
import { parseDatabaseUrl, PersistenceConfig } from '@gw/persistence/config';
import { field, oneOf, secret, text } from './fields';

export function busConfigFields() {
  return {
    busType: oneOf(['memory', 'mqtt', 'redis'] as const).default('memory'),
    /** mqtt://, mqtts://, redis:// or rediss://; the local broker when unset. */
    busUrl: text().optional(),
    busUsername: text().optional(),
    busPassword: secret(text()).optional(),
    /** First level of every EdgeX topic (`edgex/events/device/...`). */
    topicBase: text().default('edgex'),
  };
}

export function toBusConfig(
  settings: { busType: BusConfig['type']; busUrl?: string; busUsername?: string; busPassword?: string },
  clientId: string,
): BusConfig {
  return {
    type: settings.busType,
    url: settings.busUrl,
    username: settings.busUsername,
    password: settings.busPassword,
    clientId,
  };
}

/** `sqlite:<file>` or `postgres://user:pass@host:5432/db?schema=name`, checked at boot. */
export const databaseUrl = () =>
  field<PersistenceConfig>('sqlite:<file> or postgres://user@host:5432/db', (value) => {
    try {
      return parseDatabaseUrl(String(value));
    } catch {
      return undefined;
    }
  });
