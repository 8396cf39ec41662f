import { z } from 'zod';
import { busConfigFields, commonServiceConfig, configVariables, field, int, loadConfig, positiveDuration, text, url } from '@gw/service-kit/config';

/** A host name as a browser sends it in Host (no port): `console.plant.local`, or `.plant.local` for it and every name under it. */
const HOST_NAME = /^\.?[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*$/;

/** Comma-separated host names (GW_CONSOLE_ALLOWED_HOSTS), lower-cased. */
const hostNames = () =>
  field('comma-separated host names such as console.plant.local or .plant.local (no port, no scheme)', (v) => {
    const list = String(v).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    return list.length && list.every((h) => HOST_NAME.test(h)) ? list : undefined;
  });

/**
 * The console's own settings (GW_CONSOLE_<NAME>), also read by the one-process
 * gateway: how many browsers may follow live readings, and how far one may
 * fall behind before its oldest events are dropped.
 */
export const ConsoleSettingsSchema = z.object({
  /** Browsers following live readings at the same time; one more is answered 503. */
  maxClients: int(1, 10_000).default(50),
  /** Events waiting for one slow browser; beyond it the oldest are dropped (counted). */
  clientQueue: int(1, 100_000).default(256),
  /** The built single-page app (`npm run build` writes dist/console); unset: that folder. */
  webDir: text().optional(),
  /**
   * How long a service may stay silent before the console answers 504 naming
   * it. Longer than core-command's GW_COMMAND_TIMEOUT (10 s), so a slow
   * device's own answer (core-command's 504) arrives first.
   */
  upstreamTimeout: positiveDuration().default('15s'),
  /**
   * Without an API key the console answers only requests whose Host is
   * localhost, an IP address, or one of these names (a DNS-rebinding page
   * would come with its own name).
   */
  allowedHosts: hostNames().optional(),
});
export type ConsoleSettings = z.output<typeof ConsoleSettingsSchema>;

/**
 * The web console as its own process (compose): the REST APIs it fronts and
 * the bus it reads events from. Each setting is GW_CONSOLE_<NAME>, else the
 * shared GW_<NAME> (GW_METADATA_URL, GW_API_KEY_FILE, GW_BUS_URL ...).
 */
export const ConsoleConfigSchema = z.object({
  ...commonServiceConfig({ serviceName: 'console', port: 4000 }),
  ...busConfigFields(),
  metadataUrl: url().default('http://localhost:59881'),
  coreDataUrl: url().default('http://localhost:59880'),
  coreCommandUrl: url().default('http://localhost:59882'),
  appServiceUrl: url().default('http://localhost:59700'),
  ...ConsoleSettingsSchema.shape,
});
export type ConsoleConfig = z.output<typeof ConsoleConfigSchema>;

export function loadConsoleConfig(env: Record<string, string | undefined> = process.env): ConsoleConfig {
  return loadConfig(ConsoleConfigSchema, env, 'console');
}

/** Every variable loadConsoleConfig reads, to warn at boot about near misses (GW_CONSOLE_PROT). */
export function consoleConfigVariables(): string[] {
  return configVariables(ConsoleConfigSchema, 'console');
}
