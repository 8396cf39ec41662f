import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Topics } from '@gw/contracts';
import { MessageBus } from '@gw/messaging';
import { Logger, createServiceApp, listenService, busMetrics, busReadiness } from '@gw/service-kit';
import { BusCommandApi } from './bus/bus-command-api';
import { CoreCommandConfig, CoreCommandConfigSchema } from './config';
import { CoreCommandModule } from './core-command.module';
import { CommandForwarder } from './domain/command-forwarder';
import { CommandMetrics } from './domain/command-metrics';
import { CoreCommandService } from './domain/core-command.service';
import type { MetadataLookup } from './domain/metadata-lookup';

export const CORE_COMMAND_VERSION = '0.1.0';

/** What startCoreCommand needs besides the HTTP service settings every service has. */
export type CoreCommandOptions = Pick<CoreCommandConfig, 'host' | 'port' | 'topicBase' | 'commandTimeout'> &
  Partial<CoreCommandConfig>;

export interface CoreCommandDependencies {
  bus: MessageBus;
  logger: Logger;
  /** core-metadata: a MetadataClient pointed at it. */
  metadata: MetadataLookup;
}

export interface RunningCoreCommand {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the REST API and the bus API of core-command. The bus and the
 * metadata client are passed in, so the one-process gateway can share its
 * in-process bus; closing core-command leaves the bus to its owner.
 */
export async function startCoreCommand(options: CoreCommandOptions, deps: CoreCommandDependencies): Promise<RunningCoreCommand> {
  const { bus, logger } = deps;
  const topics = new Topics(options.topicBase);
  // core-command's own base URL for listed commands: known once the app listens.
  let publicUrl = options.publicUrl ?? '';
  const forwarder = new CommandForwarder(bus, topics, options.commandTimeout, logger);
  const metrics = new CommandMetrics();
  const commands = new CoreCommandService(deps.metadata, forwarder, () => publicUrl, options.maxResultCount ?? 1024, metrics);
  const busApi = new BusCommandApi(bus, topics, commands, logger, options.busConcurrency ?? 64);
  const config = {
    serviceName: 'core-command',
    logLevel: 'info' as const,
    maxBody: 4 * 1024 * 1024,
    ...options,
  };
  // The gateway hands over a spread copy of its config, which drops secret() marks: name them.
  const secretKeys = ['apiKey', 'busPassword', 'metadataApiKey'];
  const module = CoreCommandModule.register({ commands });
  const app = await createServiceApp({
    module,
    api: async () => (await import('./http/openapi')).coreCommandApi,
    version: CORE_COMMAND_VERSION,
    config,
      configKeys: Object.keys(CoreCommandConfigSchema.shape),
    logger,
    secretKeys,
    readiness: [busReadiness(bus)],
    metrics: [busMetrics(bus), metrics.register],
    shutdownHooks: false,
  });
  try {
    await app.init();
    const url = await listenService(app, options);
    publicUrl ||= reachableUrl(options.host, url);
    await busApi.start();
    return {
      app,
      url,
      close: async () => {
        await busApi.stop();
        await app.close();
      },
    };
  } catch (err) {
    await busApi.stop().catch(() => undefined);
    await app.close().catch(() => undefined);
    throw err;
  }
}

/** A wildcard listen address is no place to send clients: show it as localhost, as EdgeX does. */
function reachableUrl(host: string, listening: string): string {
  const { protocol, port } = new URL(listening);
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const shown = wildcard ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${protocol}//${shown}:${port}`;
}
