/**
 * Settings for the two pieces of infrastructure most services share, the
 * message bus and the database, so every service reads them from the same
 * variables (GW_BUS_TYPE, GW_BUS_URL, GW_DATABASE, or per service
 * GW_METADATA_DATABASE ...) and validates them the same way at boot.
 */
import { redactUrl } from '@gw/contracts';
import type { BusConfig } from '@gw/messaging';
import { parseDatabaseUrl, PersistenceConfig } from '@gw/persistence/config';
import { checkedAgainst, field, oneOf, secret, text, url } from './fields';

/** The URL schemes each bus connects with (mqtt.js: tcp = mqtt, ssl = mqtts; ws/wss = MQTT over WebSocket). */
export const BUS_URL_SCHEMES = {
  mqtt: ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'],
  redis: ['redis:', 'rediss:'],
} as const;

/** A bus URL must be a URL, with a scheme of the chosen GW_BUS_TYPE (checked at boot, not at first connect). */
const busUrl = () =>
  checkedAgainst(url([...BUS_URL_SCHEMES.mqtt, ...BUS_URL_SCHEMES.redis]), (value: string, config, nameOf) => {
    const type = config.busType as BusConfig['type'];
    if (type !== 'mqtt' && type !== 'redis') {
      // A broker URL with the in-process bus is a forgotten GW_BUS_TYPE: the broker would never be used.
      return `${nameOf('busType')} is ${type}${type === 'memory' ? ' (the default)' : ''}, which uses no broker: ` +
        `set ${nameOf('busType')}=mqtt or redis to use ${JSON.stringify(redactUrl(value))}, or unset the URL`;
    }
    const schemes: readonly string[] = BUS_URL_SCHEMES[type];
    if (schemes.includes(new URL(value).protocol)) return undefined;
    return `${nameOf('busType')} is ${type}: expected a URL starting ${schemes.map((s) => s + '//').join(' ')}, got ${JSON.stringify(redactUrl(value))}`;
  });

export function busConfigFields() {
  return {
    busType: oneOf(['memory', 'mqtt', 'redis'] as const).default('memory'),
    /** mqtt://, mqtts://, redis:// or rediss://; the local broker when unset. */
    busUrl: busUrl().optional(),
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
