import { createMessageBus } from '@gw/messaging';
import { createLogger, toBusConfig } from '@gw/service-kit';
// The gateway is the one composition root allowed to mount other apps.
import { startMetadata } from '../../metadata/src/metadata.app';
import { loadGatewayConfig } from './config';

/**
 * Starts every service that needs no hardware in this process and stops them
 * in reverse order on Ctrl-C / SIGTERM.
 */
export async function runGateway(): Promise<void> {
  const config = loadGatewayConfig();
  const logger = createLogger('gateway', config.logLevel);
  const bus = createMessageBus(toBusConfig(config, 'gateway'), logger);
  await bus.connect();

  const started = Date.now();
  const metadata = await startMetadata(
    {
      ...config,
      serviceName: 'core-metadata',
      port: config.metadataPort,
      database: config.metadataDatabase,
    },
    { bus, logger: createLogger('core-metadata', config.logLevel) },
  );
  logger.info({ ms: Date.now() - started, metadata: metadata.url }, 'gateway ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'gateway stopping');
    await metadata.close();
    await bus.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
