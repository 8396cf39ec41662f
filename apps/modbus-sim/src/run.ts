import { closeOnSignals, createLogger } from '@gw/service-kit';
import { loadSimulatorConfig } from './config';
import { startSimulator } from './simulator';

/** The simulator as its own process, for trying device-modbus without a meter. */
export async function runSimulator(): Promise<void> {
  const config = loadSimulatorConfig();
  const logger = createLogger('modbus-sim', config.logLevel);
  const simulator = await startSimulator(config, logger);
  closeOnSignals(logger, () => simulator.close());
}
