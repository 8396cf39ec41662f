import { z } from 'zod';
import { busConfigFields, commonServiceConfig, configVariables, databaseUrl, int, loadConfig, text } from '@gw/service-kit/config';

/**
 * core-metadata's settings. Each is read from GW_METADATA_<NAME>, else the
 * shared GW_<NAME> (e.g. GW_METADATA_PORT, GW_BUS_TYPE), validated once at boot.
 */
export const MetadataConfigSchema = z.object({
  ...commonServiceConfig({ serviceName: 'core-metadata', port: 59881 }),
  ...busConfigFields(),
  database: databaseUrl().default('sqlite:./data/metadata.db'),
  /** Upper bound of `limit` on listings (EdgeX's MaxResultCount). */
  maxResultCount: int(1, 100_000).default(1024),
  /** Folders loaded at boot (YAML or JSON); unset folders are skipped. */
  profilesDir: text().optional(),
  devicesDir: text().optional(),
  provisionWatchersDir: text().optional(),
});
export type MetadataConfig = z.output<typeof MetadataConfigSchema>;

export function loadMetadataConfig(env: Record<string, string | undefined> = process.env): MetadataConfig {
  return loadConfig(MetadataConfigSchema, env, 'metadata');
}

/** Every variable loadMetadataConfig reads, to warn at boot about near misses (GW_METADATA_PROT). */
export function metadataConfigVariables(): string[] {
  return configVariables(MetadataConfigSchema, 'metadata');
}
