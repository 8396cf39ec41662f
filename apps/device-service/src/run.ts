import { createMessageBus } from '@gw/messaging';
import { createLogger, toBusConfig } from '@gw/service-kit';
import { loadDeviceServiceConfig } from './config';
import { startDeviceServiceApp } from './device-service.app';

/** A device service as its own process (docker compose): config from the environment, its own bus connection. */
export async function runDeviceService(): Promise<void> {
  const config = loadDeviceServiceConfig();
  const logger = createLogger(config.serviceName, config.logLevel);
  const bus = createMessageBus(toBusConfig(config, config.serviceName), logger);
  await bus.connect();
  const service = await startDeviceServiceApp(config, { bus, logger });
  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    await service.close();
    await bus.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
