import { MetadataClient } from '@gw/clients';
import { createMessageBus } from '@gw/messaging';
import { createLogger, toBusConfig } from '@gw/service-kit';
import { loadCoreCommandConfig } from './config';
import { startCoreCommand } from './core-command.app';

/** core-command as its own process (docker compose): config from the environment, its own bus connection. */
export async function runCoreCommand(): Promise<void> {
  const config = loadCoreCommandConfig();
  const logger = createLogger(config.serviceName, config.logLevel);
  const bus = createMessageBus(toBusConfig(config, config.serviceName), logger);
  await bus.connect();
  const metadata = new MetadataClient({ baseUrl: config.metadataUrl, apiKey: config.metadataApiKey ?? config.apiKey });
  const coreCommand = await startCoreCommand(config, { bus, logger, metadata });
  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    await coreCommand.close();
    await bus.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
