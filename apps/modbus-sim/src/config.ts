import { z } from 'zod';
import { int, LOG_LEVELS, loadConfig, oneOf, port, text } from '@gw/service-kit/config';

/** `npm run modbus-sim`: GW_MODBUS_SIM_HOST, _PORT, _UNIT_ID, _LOG_LEVEL. */
export const SimulatorConfigSchema = z.object({
  host: text().default('127.0.0.1'),
  port: port().default(1502),
  unitId: int(1, 247).default(1),
  logLevel: oneOf(LOG_LEVELS).default('info'),
});
export type SimulatorConfig = z.output<typeof SimulatorConfigSchema>;

export function loadSimulatorConfig(env: Record<string, string | undefined> = process.env): SimulatorConfig {
  return loadConfig(SimulatorConfigSchema, env, 'modbus-sim');
}
