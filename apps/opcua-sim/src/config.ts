import { z } from 'zod';
import { bool, int, LOG_LEVELS, loadConfig, oneOf, port, positiveDuration, text } from '@gw/service-kit/config';

/**
 * `npm run opcua-sim`: GW_OPCUA_SIM_HOST, _PORT, _PATH, _PKI_DIR, _TICK,
 * _BENCH_ITEMS, _SECURE, _LOG_LEVEL. The defaults are the Prosys simulation
 * server's, so EdgeX's sample device file needs only its host changed.
 */
export const OpcuaSimConfigSchema = z.object({
  host: text().default('localhost'),
  port: port().default(53530),
  path: text().default('/OPCUA/SimulationServer'),
  pkiDir: text().default('./data/opcua-sim-pki'),
  tick: positiveDuration().default('1s'),
  benchItems: int(0, 1_000_000).default(0),
  secure: bool().default(false),
  logLevel: oneOf(LOG_LEVELS).default('info'),
});
export type OpcuaSimConfig = z.output<typeof OpcuaSimConfigSchema>;

export function loadOpcuaSimConfig(env: Record<string, string | undefined> = process.env): OpcuaSimConfig {
  return loadConfig(OpcuaSimConfigSchema, env, 'opcua-sim');
}
