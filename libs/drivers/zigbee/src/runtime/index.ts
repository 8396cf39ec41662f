/**
 * Everything of the driver that needs zigbee-herdsman and its converters,
 * loaded by zigbee-driver.ts with one dynamic import when a coordinator is
 * configured and the service starts (or a device's definition is needed).
 */
import { setLogger as setHerdsmanLogger } from 'zigbee-herdsman';
import { setLogger as setConvertersLogger } from 'zigbee-herdsman-converters';
import type { Logger } from './coordinator';

export * from './coordinator';
export * from './convert';
export { definitionOfDevice, exposesOf, resolveDefinition } from '../profile/definitions';

/**
 * herdsman and the converters log through a logger of their own (to the
 * console by default): their lines go to the driver's logger, debug below
 * warnings. One setting for the process (their loggers are global).
 */
export function routeLibraryLogs(logger: Logger): void {
  const text = (message: unknown) => (typeof message === 'function' ? String(message()) : String(message)).slice(0, 2000);
  const to = (level: 'debug' | 'info' | 'warn' | 'error') => (message: unknown, namespace: string) => logger[level]({ lib: namespace }, text(message));
  const library = { debug: to('debug'), info: to('debug'), warning: to('warn'), error: to('error') };
  setHerdsmanLogger(library);
  setConvertersLogger(library);
}
