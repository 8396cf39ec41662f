import { createMessageBus } from '@gw/messaging';
import { createLogger, toBusConfig } from '@gw/service-kit';
import { loadMetadataConfig } from './config';
import { startMetadata } from './metadata.app';

/** core-metadata as its own process (docker compose): config from the environment, its own bus connection. */
export async function runMetadata(): Promise<void> {
  const config = loadMetadataConfig();
  const logger = createLogger(config.serviceName, config.logLevel);
  const bus = createMessageBus(toBusConfig(config, config.serviceName), logger);
  await bus.connect();
  const metadata = await startMetadata(config, { bus, logger });
  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    await metadata.close();
    await bus.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
