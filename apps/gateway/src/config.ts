import { join } from 'node:path';
import { z } from 'zod';
import { DRIVERS } from '@gw/drivers';
import { DriverSettings, findDriver, loadDriverSettings } from '@gw/device-sdk/driver-host';
import type { PersistenceConfig } from '@gw/persistence/config';
import { profileLimitFields } from '../../metadata/src/config';
import { checkCoreDataConfig, CoreDataSettings, CoreDataSettingsSchema, RETIRED_CORE_DATA_VARIABLES } from '../../core-data/src/config';
import { ConsoleSettings, ConsoleSettingsSchema } from '../../console/src/config';
import {
  apiKeyText,
  bool,
  busConfigFields,
  byteSize,
  checkedAgainst,
  ConfigProblems,
  configVariables,
  databaseUrl,
  duration,
  field,
  int,
  isSet,
  LOG_FORMATS,
  LOG_LEVELS,
  loadConfig,
  loadSettings,
  oneOf,
  origins,
  port,
  queryAdmissionFields,
  secret,
  settingsVariables,
  text,
} from '@gw/service-kit/config';

type Env = Record<string, string | undefined>;

/** `virtual,modbus` -> ['virtual', 'modbus']: the drivers whose device services the gateway hosts. */
const driverList = () =>
  field('a comma-separated list of drivers (known: ' + DRIVERS.map((d) => d.name).join(', ') + '), or none', (value) => {
    const names = String(value)
      .split(/[\s,]+/u)
      .map((name) => name.toLowerCase())
      .filter((name) => name && name !== 'none');
    return names.every((name) => DRIVERS.some((d) => d.name === name)) ? [...new Set(names)] : undefined;
  });

/** The schema each service of the gateway gets in a shared GW_DATABASE. */
export const GATEWAY_SCHEMAS = { metadata: 'metadata', coreData: 'core_data' } as const;

/** GW_DATABASE in the gateway: PostgreSQL without a schema (each service gets its own). */
function sharedDatabaseRule(value: PersistenceConfig): string | undefined {
  if (value.type === 'sqlite') {
    return 'the gateway keeps one SQLite file per service in GW_DATA_DIR: set GW_DATA_DIR (or GW_METADATA_DATABASE and GW_CORE_DATA_DATABASE) instead';
  }
  if (value.schema) {
    return `the gateway puts each service in its own schema of this database (${Object.values(GATEWAY_SCHEMAS).join(', ')}): leave schema= out`;
  }
  return undefined;
}

/**
 * The one-process gateway (`npm start`): every service in one Node process,
 * sharing the in-process bus by default and one data folder. Each service's
 * port and database can still be overridden (GW_METADATA_PORT ...).
 */
export const GatewayConfigSchema = z.object({
  host: text().default('0.0.0.0'),
  logLevel: oneOf(LOG_LEVELS).default('info'),
  /** GW_LOG_FORMAT: `auto` (readable on a terminal, JSON otherwise), `json` or `pretty`. */
  logFormat: oneOf(LOG_FORMATS).default('auto'),
  maxBody: byteSize().default('4mb'),
  apiKey: secret(apiKeyText()).optional(),
  /** Origins a browser may call the APIs from (GW_CORS_ORIGINS); none by default. */
  corsOrigins: origins().optional(),
  /** GW_OPENAPI_UI: every service's Swagger UI at /api/v3/docs; false leaves it out. */
  openapiUi: bool().default(true),
  ...busConfigFields(),
  metadataPort: port().default(59881),
  /** Where the SQLite files of every service live unless a service's database is set. */
  dataDir: text().default('./data'),
  /**
   * One PostgreSQL database for every service that keeps data, each in its own
   * schema (metadata, core_data); GW_METADATA_DATABASE / GW_CORE_DATA_DATABASE win.
   */
  database: checkedAgainst(databaseUrl(), sharedDatabaseRule).optional(),
  metadataDatabase: databaseUrl().optional(),
  maxResultCount: int(1, 100_000).default(1024),
  /**
   * The user's profiles, devices, provision watchers, pipelines and units
   * (GW_RESOURCES_DIR), seeded from the bundled ./resources on first start;
   * default `<GW_DATA_DIR>/resources`. The folder and file variables below
   * point elsewhere one at a time.
   */
  resourcesDir: text().optional(),
  profilesDir: text().optional(),
  devicesDir: text().optional(),
  provisionWatchersDir: text().optional(),
  coreDataPort: port().default(59880),
  coreDataDatabase: databaseUrl().optional(),
  coreCommandPort: port().default(59882),
  commandTimeout: duration().default('10s'),
  /**
   * The device services hosted, by driver name (`virtual,modbus`; `none` for none).
   * Default: every driver that idles without hardware. Each listens on
   * GW_<SERVICE>_PORT (GW_DEVICE_MODBUS_PORT), default its EdgeX port, and reads
   * its driver's GW_<DRIVER>_* settings.
   */
  deviceServices: driverList().default(DRIVERS.filter((d) => d.hostedByDefault).map((d) => d.name).join(',')),
  /** The app service (exports and cloud twins); `false` leaves it out. */
  appService: bool().default(true),
  appServicePort: port().default(59700),
  /** The web console (GW_CONSOLE); `false` leaves it out. */
  console: bool().default(true),
  consolePort: port().default(4000),
  pipelinesFile: text().optional(),
});

/** One device service the gateway hosts. */
export interface HostedDeviceService {
  driver: string;
  serviceName: string;
  port: number;
  driverSettings: DriverSettings;
}

/** core-metadata's profile limits and query admission (GW_METADATA_MAX_PROFILE_RESOURCES ...), as core-metadata alone reads them. */
const MetadataSettingsSchema = z.object({
  ...profileLimitFields(),
  ...queryAdmissionFields(),
  /** The units of measure served at /api/v3/uom: `<GW_RESOURCES_DIR>/uom.yaml` unless set. */
  unitsFile: text().optional(),
  unitsValidation: bool().default(false),
});

/** The settings that default to a place in GW_RESOURCES_DIR, resolved. */
type ResourcePaths = Record<'resourcesDir' | 'profilesDir' | 'devicesDir' | 'provisionWatchersDir' | 'pipelinesFile', string>;

export type GatewayConfig = Omit<z.output<typeof GatewayConfigSchema>, 'deviceServices' | keyof ResourcePaths> &
  ResourcePaths & {
  deviceServices: HostedDeviceService[];
  /** GW_METADATA_<KEY> settings of core-metadata's own. */
  metadata: z.output<typeof MetadataSettingsSchema> & { unitsFile: string };
  /** GW_CORE_DATA_<KEY> settings of core-data's own: ingest, device check, retention, query admission. */
  coreData: CoreDataSettings;
  /** GW_CONSOLE_<KEY> settings of the web console's own (live streams, its files). */
  consoleSettings: ConsoleSettings;
};

/** Variables of earlier releases, refused with what replaced them rather than silently ignored. */
const RETIRED: Record<string, string> = {
  GW_DEVICE_VIRTUAL: 'use GW_DEVICE_SERVICES (e.g. GW_DEVICE_SERVICES=modbus leaves device-virtual out)',
  GW_DEVICE_MODBUS: 'use GW_DEVICE_SERVICES (e.g. GW_DEVICE_SERVICES=virtual leaves device-modbus out)',
  ...RETIRED_CORE_DATA_VARIABLES,
};

/**
 * Reads and validates everything at once: retired variables, the general
 * settings, each hosted service's port and its driver's settings are reported
 * together in one error.
 */
export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const problems = new ConfigProblems();
  problems.add(
    ...Object.keys(RETIRED)
      .filter((name) => isSet(env, name))
      .map((name) => `${name} is no longer read: ${RETIRED[name]}`),
  );
  const config = problems.check(() => loadConfig(GatewayConfigSchema, env));
  const metadata = problems.check(() => loadSettings(MetadataSettingsSchema, env, 'metadata'));
  const coreData = problems.check(() => checkCoreDataConfig(loadSettings(CoreDataSettingsSchema, env, 'core-data')));
  const consoleSettings = problems.check(() => loadSettings(ConsoleSettingsSchema, env, 'console'));
  // When another general setting is wrong, the hosted services are still checked (a wrong list is reported above).
  const hosted =
    config?.deviceServices ??
    new ConfigProblems().check(() => loadConfig(GatewayConfigSchema.pick({ deviceServices: true }), env).deviceServices) ??
    [];
  const deviceServices = hosted.map((name) => {
    const descriptor = findDriver(DRIVERS, name, 'GW_DEVICE_SERVICES');
    const servicePort = problems.check(
      () => loadSettings(z.object({ port: port().default(descriptor.defaultPort) }), env, descriptor.serviceName).port,
    );
    const driverSettings = problems.check(() => loadDriverSettings(descriptor, env));
    return { driver: descriptor.name, serviceName: descriptor.serviceName, port: servicePort!, driverSettings: driverSettings! };
  });
  problems.throwIfAny();
  const resourcesDir = config!.resourcesDir ?? join(config!.dataDir, 'resources');
  const paths: ResourcePaths = {
    resourcesDir,
    profilesDir: config!.profilesDir ?? join(resourcesDir, 'profiles'),
    devicesDir: config!.devicesDir ?? join(resourcesDir, 'devices'),
    provisionWatchersDir: config!.provisionWatchersDir ?? join(resourcesDir, 'provision-watchers'),
    pipelinesFile: config!.pipelinesFile ?? join(resourcesDir, 'app-service', 'pipelines.yaml'),
  };
  const metadataSettings = { ...metadata!, unitsFile: metadata!.unitsFile ?? join(resourcesDir, 'uom.yaml') };
  // Object.assign keeps config's secret() marks (a spread would drop them).
  return Object.assign(config!, paths, { deviceServices: deviceServices satisfies HostedDeviceService[], metadata: metadataSettings, coreData: coreData!, consoleSettings: consoleSettings! });
}

/**
 * Every variable loadGatewayConfig reads, to warn at boot about near misses
 * (GW_METADATA_PROT): its own settings, and every driver's port and settings
 * (hosted or not: `GW_MODBUS_SACN` is a typo whether modbus is hosted or not).
 */
export function gatewayConfigVariables(): string[] {
  return [
    ...configVariables(GatewayConfigSchema),
    ...settingsVariables(MetadataSettingsSchema, 'metadata'),
    ...settingsVariables(CoreDataSettingsSchema, 'core-data'),
    ...settingsVariables(ConsoleSettingsSchema, 'console'),
    ...Object.keys(RETIRED),
    ...DRIVERS.flatMap((descriptor) => [
      ...settingsVariables(z.object({ port: port() }), descriptor.serviceName),
      ...settingsVariables(descriptor.settings, descriptor.name),
    ]),
  ];
}

/** The SQLite file of each service that keeps data, in GW_DATA_DIR. */
const SQLITE_FILES = { metadata: 'metadata.db', coreData: 'core-data.db' } as const;

/**
 * Where a hosted service keeps its data: its own setting (GW_METADATA_DATABASE),
 * else its schema of GW_DATABASE, else its SQLite file in GW_DATA_DIR.
 */
export function serviceDatabase(config: GatewayConfig, service: keyof typeof GATEWAY_SCHEMAS): PersistenceConfig {
  const own = service === 'metadata' ? config.metadataDatabase : config.coreDataDatabase;
  if (own) return own;
  if (config.database?.type === 'postgres') return { ...config.database, schema: GATEWAY_SCHEMAS[service] };
  return { type: 'sqlite', path: join(config.dataDir, SQLITE_FILES[service]) };
}
