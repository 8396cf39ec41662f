import { z } from 'zod';
import { bool, busConfigFields, commonServiceConfig, configVariables, databaseUrl, int, loadConfig, queryAdmissionFields, text } from '@gw/service-kit/config';
import { DEFAULT_PROFILE_LIMITS } from './domain/profile-limits';

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
  ...profileLimitFields(),
  /** Listings (devices, profiles, services, watchers) wait their turn, as core-data's do. */
  ...queryAdmissionFields(),
  /** Units of measure served at GET /api/v3/uom (YAML: `source`, `units: {family: {source, values: [...]}}`); unset: none. */
  unitsFile: text().optional(),
  /** Refuse a profile whose resources name units the file does not list (EdgeX's UoM.Validation). */
  unitsValidation: bool().default(false),
  /** Folders loaded at boot (YAML or JSON); unset folders are skipped. */
  profilesDir: text().optional(),
  devicesDir: text().optional(),
  provisionWatchersDir: text().optional(),
});
export type MetadataConfig = z.output<typeof MetadataConfigSchema>;

/** Most deviceResources, deviceCommands and resourceOperations one profile may have (see domain/profile-limits.ts). */
export function profileLimitFields() {
  return {
    maxProfileResources: int(1, 1_000_000).default(DEFAULT_PROFILE_LIMITS.maxResources),
    maxProfileCommands: int(1, 1_000_000).default(DEFAULT_PROFILE_LIMITS.maxCommands),
    maxProfileOperations: int(1, 1_000_000).default(DEFAULT_PROFILE_LIMITS.maxOperations),
  };
}

export function loadMetadataConfig(env: Record<string, string | undefined> = process.env): MetadataConfig {
  return loadConfig(MetadataConfigSchema, env, 'metadata');
}

/** Every variable loadMetadataConfig reads, to warn at boot about near misses (GW_METADATA_PROT). */
export function metadataConfigVariables(): string[] {
  return configVariables(MetadataConfigSchema, 'metadata');
}
