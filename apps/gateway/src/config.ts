import { z } from 'zod';
// The gateway hosts the device services, so it reads their driver settings too.
import { driverSettingsFields } from '../../device-service/src/driver-settings';
import { bool, busConfigFields, byteSize, databaseUrl, duration, int, LOG_LEVELS, loadConfig, oneOf, port, secret, text } from '@gw/service-kit';

/**
 * The one-process gateway (`npm start`): every service in one Node process,
 * sharing the in-process bus by default and one data folder. Each service's
 * port and database can still be overridden (GW_METADATA_PORT ...).
 */
export const GatewayConfigSchema = z.object({
  host: text().default('0.0.0.0'),
  logLevel: oneOf(LOG_LEVELS).default('info'),
  maxBody: byteSize().default('4mb'),
  apiKey: secret(text()).optional(),
  ...busConfigFields(),
  metadataPort: port().default(59881),
  /** Where the SQLite files of every service live unless a service's database is set. */
  dataDir: text().default('./data'),
  metadataDatabase: databaseUrl().optional(),
  maxResultCount: int(1, 100_000).default(1024),
  profilesDir: text().default('./resources/profiles'),
  devicesDir: text().default('./resources/devices'),
  provisionWatchersDir: text().default('./resources/provision-watchers'),
  coreDataPort: port().default(59880),
  coreDataDatabase: databaseUrl().optional(),
  coreCommandPort: port().default(59882),
  commandTimeout: duration().default('10s'),
  /** The virtual device service with the sample devices; `false` leaves it out. */
  deviceVirtual: bool().default(true),
  deviceVirtualPort: port().default(59900),
  /** The Modbus device service (needs no hardware until a Modbus device is added); `false` leaves it out. */
  deviceModbus: bool().default(true),
  deviceModbusPort: port().default(59901),
  ...driverSettingsFields(),
  /** The app service (exports and cloud twins); `false` leaves it out. */
  appService: bool().default(true),
  appServicePort: port().default(59700),
  pipelinesFile: text().default('./resources/app-service/pipelines.yaml'),
});
export type GatewayConfig = z.output<typeof GatewayConfigSchema>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  return loadConfig(GatewayConfigSchema, env);
}
