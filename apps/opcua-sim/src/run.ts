import { closeOnSignals, createLogger } from '@gw/service-kit';
import { setErrorLogger, setWarningLogger } from 'node-opcua';
import { loadOpcuaSimConfig } from './config';
import { startOpcuaSimulator } from './simulator';

/** The simulated OPC UA server as its own process, for trying device-opcua without a PLC. */
export async function runOpcuaSimulator(): Promise<void> {
  const config = loadOpcuaSimConfig();
  const logger = createLogger('opcua-sim', config.logLevel);
  setWarningLogger((...args: unknown[]) => logger.debug({ lib: 'node-opcua' }, args.map(String).join(' ')));
  setErrorLogger((...args: unknown[]) => logger.warn({ lib: 'node-opcua' }, args.map(String).join(' ')));
  const sim = await startOpcuaSimulator({
    host: config.host,
    port: config.port,
    resourcePath: config.path,
    pkiDir: config.pkiDir,
    tickMs: config.tick,
    benchItems: config.benchItems,
    secure: config.secure,
  });
  logger.info({ endpoint: sim.endpointUrl, secure: config.secure, benchItems: config.benchItems }, 'opcua-sim listening');
  closeOnSignals(logger, () => sim.close());
}
