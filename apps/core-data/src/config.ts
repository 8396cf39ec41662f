import { z } from 'zod';
import { ErrorKind, GatewayError } from '@gw/contracts';
import {
  bool,
  busConfigFields,
  commonServiceConfig,
  configVariables,
  databaseUrl,
  duration,
  int,
  isSet,
  loadConfig,
  queryAdmissionFields,
  secret,
  text,
  url,
} from '@gw/service-kit/config';
import { DEFAULT_DEVICE_ASK_RATE } from './devices/ask-budget';

/**
 * core-data's settings. Each is read from GW_CORE_DATA_<NAME>, else the shared
 * GW_<NAME> (e.g. GW_CORE_DATA_PORT, GW_BUS_TYPE), validated once at boot.
 */
export const CoreDataConfigSchema = z.object({
  ...commonServiceConfig({ serviceName: 'core-data', port: 59880 }),
  ...busConfigFields(),
  database: databaseUrl().default('sqlite:./data/core-data.db'),
  /** Upper bound of `limit` on listings (EdgeX's MaxResultCount). */
  maxResultCount: int(1, 100_000).default(1024),
  ...queryAdmissionFields(),
  /**
   * The durable subscriber name on the bus: events published while core-data
   * is down wait under this name. Two core-data instances on one broker need
   * different names (and then each stores every event).
   */
  durableName: text().default('core-data'),
  /**
   * Bus events in hand and not yet acknowledged: an event is acknowledged
   * once the batch holding it is committed (crash-safe: a kill -9 loses
   * nothing, the broker delivers again what was in hand). The batches fill
   * from them, so it bounds the batch size
   * in events; the broker's own window caps it too (Mosquitto max_inflight_messages).
   */
  maxInFlight: int(1, 100_000).default(1_000),
  /** A batch is written once it holds this many readings... */
  batchSize: int(1, 100_000).default(5_000),
  /** ...or once its oldest event has waited this long. */
  flushInterval: duration().default('50ms'),
  /**
   * How long a stop keeps retrying a database that fails (disk full, server
   * gone) before it gives up: events from the bus not yet committed are then
   * left unacknowledged, and the broker delivers them again at the next start.
   * Keep it below the supervisor's grace period (compose: 10 s).
   */
  closeTimeout: duration().default('5s'),
  /** Readings accepted but not yet written; the bus handler waits (backpressure) beyond it. */
  queueLimit: int(1, 10_000_000).default(50_000),
  /**
   * An event (bus or REST) with more readings is refused and counted, before its
   * readings are checked or queued. EdgeX bounds events by size only
   * (MaxEventSize, 25 MB); a count bounds the memory and the write an event costs.
   */
  maxReadingsPerEvent: int(1, 1_000_000).default(10_000),
  /** Events older than this (by origin) are purged; 0 keeps them forever. */
  retentionMaxAge: duration().default('168h'),
  /** Keep at most this many events (the oldest go first); 0 = no cap. */
  retentionMaxEvents: int(0).default(0),
  /** How often retention runs. */
  retentionInterval: duration().default('1m'),
  /** Events deleted per statement, so a purge never holds the database for long. */
  retentionBatch: int(1, 100_000).default(2_000),
  /** How often a summary of ingest counters is logged (at debug); 0 = never. */
  statsInterval: duration().default('1m'),
  /** core-metadata's base URL (without /api/v3): core-data stores only events of the devices it knows. */
  metadataUrl: url().default('http://localhost:59881'),
  /** Sent to core-metadata when it requires an API key; defaults to this service's own apiKey. */
  metadataApiKey: secret(text()).optional(),
  /**
   * Store an event only when core-metadata knows its device, with that
   * profile, under the service its topic (or URL path) names. Turning it off
   * is unsafe: anyone who can publish on the bus can then write any device's history.
   */
  deviceCheck: bool().default(true),
  /** A full reload of the devices this often catches system events missed while the bus was away; 0 = never. */
  deviceRefreshInterval: duration().default('10m'),
  /** Most devices core-metadata is asked about per second; an event that would need more is refused (unverified) at once. */
  deviceAskRate: int(1, 100_000).default(DEFAULT_DEVICE_ASK_RATE),
});
export type CoreDataConfig = z.output<typeof CoreDataConfigSchema>;

/** Variables of earlier releases, refused with the reason rather than silently ignored (the gateway refuses them too). */
export const RETIRED_CORE_DATA_VARIABLES: Record<string, string> = {
  GW_CORE_DATA_ACK_MODE:
    'core-data always acknowledges a bus event once it is committed (crash-safe); the lossy `queued` mode was no faster, so it is gone: remove the variable',
};

export function loadCoreDataConfig(env: Record<string, string | undefined> = process.env): CoreDataConfig {
  const retired = Object.keys(RETIRED_CORE_DATA_VARIABLES).filter((name) => isSet(env, name));
  if (retired.length) {
    const problems = retired.map((name) => `${name} is no longer read: ${RETIRED_CORE_DATA_VARIABLES[name]}`);
    throw new GatewayError(ErrorKind.Config, `invalid configuration: ${problems.join('; ')}`);
  }
  return checkCoreDataConfig(loadConfig(CoreDataConfigSchema, env, 'core-data'));
}

/** Every variable loadCoreDataConfig reads, to warn at boot about near misses (GW_CORE_DATA_PROT). */
export function coreDataConfigVariables(): string[] {
  return [...configVariables(CoreDataConfigSchema, 'core-data'), ...Object.keys(RETIRED_CORE_DATA_VARIABLES)];
}

/** Rules between settings, which the per-field schema cannot express; named by variable. */
export function checkCoreDataConfig<T extends CoreDataSettings>(config: T): T {
  const problems: string[] = [];
  if (config.queueLimit < config.batchSize) {
    problems.push(`GW_CORE_DATA_QUEUE_LIMIT: must be at least GW_CORE_DATA_BATCH_SIZE (${config.batchSize}), got ${config.queueLimit}`);
  }
  const retentionOn = config.retentionMaxAge > 0 || config.retentionMaxEvents > 0;
  if (retentionOn && config.retentionInterval <= 0) {
    problems.push('GW_CORE_DATA_RETENTION_INTERVAL: must be more than 0 while retention is on');
  }
  if (problems.length) throw new GatewayError(ErrorKind.Config, `invalid configuration: ${problems.join('; ')}`);
  return config;
}

const SETTING_KEYS = {
  durableName: true,
  maxInFlight: true,
  batchSize: true,
  flushInterval: true,
  closeTimeout: true,
  queueLimit: true,
  maxReadingsPerEvent: true,
  retentionMaxAge: true,
  retentionMaxEvents: true,
  retentionInterval: true,
  retentionBatch: true,
  statsInterval: true,
  deviceCheck: true,
  deviceRefreshInterval: true,
  deviceAskRate: true,
  maxConcurrentQueries: true,
  queryQueueLimit: true,
} as const;

/**
 * The settings of the ingest pipeline, the device check, retention and query
 * admission, which startCoreData defaults when omitted. The one-process gateway
 * reads them with this schema from the same GW_CORE_DATA_* variables.
 */
export const CoreDataSettingsSchema = CoreDataConfigSchema.pick(SETTING_KEYS);
export type CoreDataSettings = z.output<typeof CoreDataSettingsSchema>;

/** The schema's own defaults for those settings, for callers (tests, the gateway) that set only some. */
export const DEFAULT_CORE_DATA_SETTINGS: CoreDataSettings = CoreDataSettingsSchema.parse({});
