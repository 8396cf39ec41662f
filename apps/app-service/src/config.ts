import { z } from 'zod';
import { busConfigFields, commonServiceConfig, configVariables, duration, int, loadConfig, secret, text, url } from '@gw/service-kit/config';

/**
 * The app service's settings (GW_APP_SERVICE_<NAME>, else GW_<NAME>). What it
 * exports and where is not here but in the pipelines file, which is
 * validated at boot as strictly as these variables.
 */
export const AppServiceConfigSchema = z.object({
  // commonServiceConfig's dataDir is also where the outbox (SQLite) lives.
  ...commonServiceConfig({ serviceName: 'app-service', port: 59700 }),
  ...busConfigFields(),
  /** The pipelines and sinks (YAML; see README "App service"). */
  pipelinesFile: text().default('./resources/app-service/pipelines.yaml'),
  /**
   * Durable subscriber name prefix on the bus: events published while the app
   * service is down wait under `<name>.<pipeline>` and are exported when it returns.
   */
  durableName: text().default('app-service'),
  /**
   * Bus messages per pipeline subscription handed to the pipeline before the
   * earlier ones are in the outbox; those waiting are committed together
   * (one transaction) and each acknowledged after its commit. 1: one message,
   * one commit at a time.
   */
  maxInFlight: int(1, 100_000).default(500),
  /** core-metadata (profiles, to check desired values) and core-command (to write them). */
  metadataUrl: url().default('http://localhost:59881'),
  coreCommandUrl: url().default('http://localhost:59882'),
  /** Sent to core-metadata and core-command when they require an API key; defaults to this service's own apiKey. */
  clientApiKey: secret(text()).optional(),
  /** How long a desired value may take through core-command and the device. */
  commandTimeout: duration().default('15s'),
});
export type AppServiceConfig = z.output<typeof AppServiceConfigSchema>;

export function loadAppServiceConfig(env: Record<string, string | undefined> = process.env): AppServiceConfig {
  return loadConfig(AppServiceConfigSchema, env, 'app-service');
}

/** Every variable loadAppServiceConfig reads, to warn at boot about near misses (GW_APP_SERVICE_PROT). */
export function appServiceConfigVariables(): string[] {
  return configVariables(AppServiceConfigSchema, 'app-service');
}

const SETTING_KEYS = { pipelinesFile: true, durableName: true, maxInFlight: true, metadataUrl: true, coreCommandUrl: true, commandTimeout: true } as const;

/** The schema's defaults for what startAppService fills in when a caller (the gateway, a test) leaves it out. */
export const DEFAULT_APP_SERVICE_SETTINGS: Pick<AppServiceConfig, keyof typeof SETTING_KEYS> = AppServiceConfigSchema.pick(SETTING_KEYS).parse({});
