import { z } from 'zod';
import { busConfigFields, commonServiceConfig, configVariables, duration, int, loadConfig, secret, text, url } from '@gw/service-kit/config';

/**
 * core-command's settings. Each is read from GW_CORE_COMMAND_<NAME>, else the
 * shared GW_<NAME> (e.g. GW_CORE_COMMAND_PORT, GW_BUS_TYPE), validated once at boot.
 */
export const CoreCommandConfigSchema = z.object({
  ...commonServiceConfig({ serviceName: 'core-command', port: 59882 }),
  ...busConfigFields(),
  /** core-metadata's base URL (without /api/v3): devices, profiles and lock states come from there. */
  metadataUrl: url().default('http://localhost:59881'),
  /** Sent to core-metadata when it requires an API key; defaults to this service's own apiKey. */
  metadataApiKey: secret(text()).optional(),
  /** How long a device service has to answer a command before the caller gets 504. */
  commandTimeout: duration().default('10s'),
  /** Upper bound of `limit` on GET /device/all (EdgeX's MaxResultCount). */
  maxResultCount: int(1, 100_000).default(1024),
  /**
   * The URL clients reach core-command at, written into every listed command
   * (`url`). Unset: the listening address, with a wildcard host shown as localhost.
   */
  publicUrl: url().optional(),
  /** Commands arriving over the bus that may wait for their device service at the same time. */
  busConcurrency: int(1, 10_000).default(64),
});
export type CoreCommandConfig = z.output<typeof CoreCommandConfigSchema>;

export function loadCoreCommandConfig(env: Record<string, string | undefined> = process.env): CoreCommandConfig {
  return loadConfig(CoreCommandConfigSchema, env, 'core-command');
}

/** Every variable loadCoreCommandConfig reads, to warn at boot about near misses (GW_CORE_COMMAND_PROT). */
export function coreCommandConfigVariables(): string[] {
  return configVariables(CoreCommandConfigSchema, 'core-command');
}
