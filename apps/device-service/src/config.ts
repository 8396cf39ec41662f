import { z } from 'zod';
import { bool, busConfigFields, commonServiceConfig, duration, int, loadConfig, oneOf, secret, text, url } from '@gw/service-kit';
import { driverSettingsFields } from './driver-settings';
import { DRIVER_NAMES } from './drivers';

/**
 * A device service's settings. Each is read from GW_DEVICE_SERVICE_<NAME>,
 * else the shared GW_<NAME> (e.g. GW_DEVICE_SERVICE_PORT, GW_BUS_TYPE),
 * validated once at boot. docker compose runs one container per driver from
 * the same image, differing only in GW_DEVICE_SERVICE_DRIVER, _SERVICE_NAME and _PORT.
 */
export const DeviceServiceConfigSchema = z.object({
  ...commonServiceConfig({ serviceName: 'device-virtual', port: 59900 }),
  ...busConfigFields(),
  /** Which protocol driver this process runs. */
  driver: oneOf(DRIVER_NAMES).default('virtual'),
  /** core-metadata's base URL (without /api/v3). */
  metadataUrl: url().default('http://localhost:59881'),
  /** Sent to core-metadata when it requires an API key; defaults to this service's own apiKey. */
  metadataApiKey: secret(text()).optional(),
  /**
   * Where core-command reaches this service, registered in core-metadata
   * (e.g. http://device-virtual:59900 under compose). Unset: http://localhost:<port>.
   */
  baseAddress: url().optional(),
  /** Run the devices' autoEvents; false serves commands only. */
  autoEvents: bool().default(true),
  /** Consecutive failed reads or writes before a device is reported DOWN. */
  allowedFails: int(1, 10_000).default(3),
  /** Run discovery on this schedule (`0` = only on POST /api/v3/discovery). */
  discoveryInterval: duration().default('0'),
  /** A driver call still unanswered after this long fails with a timeout. */
  driverTimeout: duration().default('30s'),
  /** Events waiting for the message bus before new ones are dropped (and counted). */
  maxEventsInFlight: int(1, 1_000_000).default(5000),
  ...driverSettingsFields(),
  /** Longest wait between attempts to reach core-metadata at start. */
  metadataRetryMax: duration().default('30s'),
});
export type DeviceServiceConfig = z.output<typeof DeviceServiceConfigSchema>;

export function loadDeviceServiceConfig(env: Record<string, string | undefined> = process.env): DeviceServiceConfig {
  return loadConfig(DeviceServiceConfigSchema, env, 'device-service');
}
