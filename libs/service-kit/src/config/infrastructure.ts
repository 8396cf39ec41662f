/**
 * Settings for the two pieces of infrastructure most services share, the
 * message bus and the database, so every service reads them from the same
 * variables (GW_BUS_TYPE, GW_BUS_URL, GW_DATABASE, or per service
 * GW_METADATA_DATABASE ...) and validates them the same way at boot.
 */
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { redactUrl } from '@gw/contracts';
import type { BusConfig, BusTlsConfig } from '@gw/messaging';
import { parseDatabaseUrl, PersistenceConfig } from '@gw/persistence/config';
import { bool, byteSize, checkedAgainst, field, oneOf, secret, SiblingRule, text, url } from './fields';

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

/** The schemes that connect over TLS. */
export const BUS_TLS_SCHEMES: readonly string[] = ['mqtts:', 'ssl:', 'wss:', 'rediss:'];

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** PEM certificates (a CA bundle may hold several), each one parsed, as the text given. */
const pemCertificates = () =>
  field("PEM certificates (-----BEGIN CERTIFICATE-----...); a file's path goes in the variable's _FILE form", (value) => {
    const blocks = typeof value === 'string' ? value.match(CERTIFICATE) : null;
    if (!blocks) return undefined;
    try {
      for (const block of blocks) new X509Certificate(block);
      return String(value);
    } catch {
      return undefined;
    }
  });

/** An unencrypted PEM private key, as the text given. */
const pemKey = () =>
  field("an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----...); a file's path goes in the variable's _FILE form", (value) =>
    typeof value === 'string' && privateKey(value) ? value : undefined,
  );

function privateKey(pem: string): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch {
    return undefined;
  }
}

const TLS_KEYS = ['busTlsCa', 'busTlsCert', 'busTlsKey', 'busTlsSkipVerify'] as const;
const tlsIsSet = (config: Record<string, unknown>, key: string) => config[key] !== undefined && config[key] !== false;

/**
 * TLS settings need a TLS URL (reported once, on the first one set); a client
 * certificate needs its key and the other way round, and they must belong together.
 */
const tlsRule =
  (key: (typeof TLS_KEYS)[number]): SiblingRule<unknown> =>
  (_value, config, nameOf) => {
    if (!tlsIsSet(config, key)) return undefined;
    const type = config.busType as BusConfig['type'];
    const first = TLS_KEYS.find((k) => tlsIsSet(config, k));
    const busUrl = config.busUrl as string | undefined;
    if (key === first && type !== 'memory' && !(busUrl && BUS_TLS_SCHEMES.includes(new URL(busUrl).protocol))) {
      const schemes = type === 'redis' ? 'rediss://' : 'mqtts://, ssl:// or wss://';
      const given = busUrl ? `${nameOf('busUrl')} is ${JSON.stringify(redactUrl(busUrl))}` : `${nameOf('busUrl')} is not set`;
      return `TLS settings need a TLS bus URL (${schemes}); ${given}`;
    }
    if (key === 'busTlsCert' && config.busTlsKey === undefined) return `a client certificate needs its key: set ${nameOf('busTlsKey')}`;
    if (key === 'busTlsKey' && config.busTlsCert === undefined) return `a client key needs its certificate: set ${nameOf('busTlsCert')}`;
    if (key === 'busTlsKey') {
      const cert = new X509Certificate(String(config.busTlsCert).match(CERTIFICATE)![0]);
      if (!cert.checkPrivateKey(privateKey(String(config.busTlsKey))!)) return `is not the key of the certificate in ${nameOf('busTlsCert')}`;
    }
    return undefined;
  };

export function busConfigFields() {
  return {
    busType: oneOf(['memory', 'mqtt', 'redis'] as const).default('memory'),
    /** mqtt://, mqtts://, redis:// or rediss://; the local broker when unset. */
    busUrl: busUrl().optional(),
    busUsername: text().optional(),
    busPassword: secret(text()).optional(),
    /** CA certificate(s) the broker's certificate must be signed by (default: the system's trusted CAs). */
    busTlsCa: checkedAgainst(pemCertificates(), tlsRule('busTlsCa')).optional(),
    /** Client certificate and key, for a broker that authenticates clients by certificate (mutual TLS). */
    busTlsCert: checkedAgainst(pemCertificates(), tlsRule('busTlsCert')).optional(),
    busTlsKey: checkedAgainst(secret(pemKey()), tlsRule('busTlsKey')).optional(),
    /** Accept any broker certificate (a lab broker): warned at boot. */
    busTlsSkipVerify: checkedAgainst(bool(), tlsRule('busTlsSkipVerify')).default(false),
    /** The largest message the bus sends (see @gw/messaging's maxPacketBytes); unset: 5 MiB. */
    busMaxPacketBytes: byteSize().optional(),
    /** First level of every EdgeX topic (`edgex/events/device/...`). */
    topicBase: text().default('edgex'),
  };
}

/** The settings of busConfigFields that toBusConfig reads. */
export interface BusSettings {
  busType: BusConfig['type'];
  busUrl?: string;
  busUsername?: string;
  busPassword?: string;
  busTlsCa?: string;
  busTlsCert?: string;
  busTlsKey?: string;
  busTlsSkipVerify?: boolean;
  busMaxPacketBytes?: number;
}

export function toBusConfig(settings: BusSettings, clientId: string): BusConfig {
  return {
    type: settings.busType,
    url: settings.busUrl,
    username: settings.busUsername,
    password: settings.busPassword,
    tls: toBusTls(settings),
    maxPacketBytes: settings.busMaxPacketBytes,
    clientId,
  };
}

/** Undefined when nothing is set: a TLS URL alone verifies the broker against the system's CAs. */
function toBusTls(settings: BusSettings): BusTlsConfig | undefined {
  const { busTlsCa: ca, busTlsCert: cert, busTlsKey: key, busTlsSkipVerify: skip } = settings;
  if (ca === undefined && cert === undefined && key === undefined && !skip) return undefined;
  return { ca, cert, key, rejectUnauthorized: !skip };
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
