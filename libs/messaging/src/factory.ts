import { ErrorKind, GatewayError, redactUrl } from '@gw/contracts';
import { BusLogger, silentLogger } from './logger';
import type { ManagedMessageBus } from './message-bus';
import { MemoryBroker, MemoryMessageBus } from './memory';
import type { MqttBusOptions } from './mqtt/client-options';
import type { RedisBusOptions } from './redis/redis-bus';

export type BusType = 'memory' | 'mqtt' | 'redis';

/**
 * One flat block that configuration files and environment variables map onto:
 * every implementation's own options (their doc comments say what each does),
 * all optional, plus the type. `url` defaults to the local broker.
 */
export type BusConfig = { type: BusType } & Partial<MqttBusOptions & RedisBusOptions> & {
  /** In-process: the broker to meet other buses at (default: the process-wide one). */
  broker?: MemoryBroker;
};

const DEFAULT_URLS: Record<Exclude<BusType, 'memory'>, string> = {
  mqtt: 'mqtt://127.0.0.1:1883',
  redis: 'redis://127.0.0.1:6379',
};

export function createMessageBus(config: BusConfig, logger: BusLogger = silentLogger): ManagedMessageBus {
  if (config.type !== 'memory' && config.tls?.rejectUnauthorized === false) {
    logger.warn({}, "message bus: TLS without verifying the broker's certificate: anyone on the path can read and forge messages");
  }
  switch (config.type) {
    case 'memory':
      logger.info({}, 'message bus: in-process');
      return new MemoryMessageBus({ broker: config.broker, deliveryQueueLimit: config.deliveryQueueLimit }, logger);
    case 'mqtt': {
      const url = config.url ?? DEFAULT_URLS.mqtt;
      logger.info(describe(config, url), 'message bus: MQTT');
      // Loaded here, not at the top: a gateway on the in-process bus never loads mqtt.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { MqttMessageBus } = require('./mqtt') as typeof import('./mqtt');
      return new MqttMessageBus({ ...config, url }, logger);
    }
    case 'redis': {
      const url = config.url ?? DEFAULT_URLS.redis;
      logger.info(describe(config, url), 'message bus: Redis');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { RedisMessageBus } = require('./redis') as typeof import('./redis');
      return new RedisMessageBus({ ...config, url }, logger);
    }
    default:
      throw new GatewayError(
        ErrorKind.Config,
        `message bus type "${String((config as { type: unknown }).type)}" is not one of memory, mqtt, redis`,
      );
  }
}

// What is safe to log about a bus configuration: never the password.
function describe(config: BusConfig, url: string): Record<string, unknown> {
  return {
    url: redactUrl(url),
    clientId: config.clientId,
    username: config.username,
    password: config.password ? '***' : undefined,
    tls: config.tls !== undefined,
  };
}
