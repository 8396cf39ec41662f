import { z } from 'zod';
import { apiKeyText, busConfigFields, loadConfig, positiveDuration, secret, url } from '@gw/service-kit/config';

/**
 * Where `gw` finds the gateway. Each setting is read from GW_CLI_<NAME>, else
 * the shared GW_<NAME> the services read too (GW_METADATA_URL, GW_API_KEY or
 * GW_API_KEY_FILE, GW_BUS_TYPE ...), so a shell set up for the services also
 * works for the CLI. Defaults: the local ports of `npm start`.
 */
export const CliConfigSchema = z.object({
  metadataUrl: url().default('http://localhost:59881'),
  coreCommandUrl: url().default('http://localhost:59882'),
  coreDataUrl: url().default('http://localhost:59880'),
  appServiceUrl: url().default('http://localhost:59700'),
  /** The web console, whose server-sent event stream `gw readings tail` follows when no broker is configured. */
  consoleUrl: url().default('http://localhost:4000'),
  /** Sent as `Authorization: Bearer <key>` to every service. */
  apiKey: secret(apiKeyText()).optional(),
  /** How long one REST call may take before `gw` gives up (exit code 3). */
  requestTimeout: positiveDuration().default('10s'),
  /** `gw readings tail` subscribes to the broker directly when GW_BUS_TYPE is mqtt or redis. */
  ...busConfigFields(),
});
export type CliConfig = z.output<typeof CliConfigSchema>;

export function loadCliConfig(env: Record<string, string | undefined> = process.env): CliConfig {
  return loadConfig(CliConfigSchema, env, 'cli');
}

/** The services `gw` talks to, with the variable that moves each one (named in "cannot reach" messages). */
export function servicesOf(config: CliConfig): Array<{ name: string; url: string; variable: string }> {
  return [
    { name: 'core-metadata', url: config.metadataUrl, variable: 'GW_METADATA_URL' },
    { name: 'core-command', url: config.coreCommandUrl, variable: 'GW_CORE_COMMAND_URL' },
    { name: 'core-data', url: config.coreDataUrl, variable: 'GW_CORE_DATA_URL' },
    { name: 'app-service', url: config.appServiceUrl, variable: 'GW_APP_SERVICE_URL' },
    { name: 'console', url: config.consoleUrl, variable: 'GW_CONSOLE_URL' },
  ];
}
