import { createMessageBus } from '@gw/messaging';
import { createLogger, toBusConfig } from '@gw/service-kit';
import { loadCoreDataConfig } from './config';
import { startCoreData } from './core-data.app';

/** core-data as its own process (docker compose): config from the environment, its own bus connection. */
export async function runCoreData(): Promise<void> {
  const config = loadCoreDataConfig();
  const logger = createLogger(config.serviceName, config.logLevel);
  const bus = createMessageBus(toBusConfig(config, config.serviceName), logger);
  await bus.connect();
  const coreData = await startCoreData(config, { bus, logger });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await coreData.close();
    await bus.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
