import { MetadataClient } from '@gw/clients';
import { createMessageBus, ManagedMessageBus } from '@gw/messaging';
import {
  awaitDependencies,
  busDependency,
  closeOnSignals,
  createLogger,
  databaseDependency,
  Logger,
  setLogFormat,
  toBusConfig,
  warnUnknownVariables,
} from '@gw/service-kit';
// The gateway is the one composition root allowed to mount other apps.
import { RunningMetadata, startMetadata } from '../../metadata/src/metadata.app';
import { RunningCoreCommand, startCoreCommand } from '../../core-command/src/core-command.app';
import { RunningCoreData, startCoreData } from '../../core-data/src/core-data.app';
// Types only: the device services and the app service load after the core services answer (and only when enabled).
import type { RunningDeviceService } from '../../device-service/src/device-service.app';
import type { RunningAppService } from '../../app-service/src/app-service.app';
import type { RunningConsole } from '../../console/src/console.app';
import { metadataConfigVariables } from '../../metadata/src/config';
import { coreDataConfigVariables } from '../../core-data/src/config';
import { coreCommandConfigVariables } from '../../core-command/src/config';
import { deviceServiceConfigVariables } from '../../device-service/src/config';
import { appServiceConfigVariables } from '../../app-service/src/config';
import { consoleConfigVariables } from '../../console/src/config';
import { GatewayConfig, gatewayConfigVariables, loadGatewayConfig, serviceDatabase } from './config';
import { seedResources } from './seed-resources';

export interface RunningGateway {
  bus: ManagedMessageBus;
  metadata: RunningMetadata;
  coreData: RunningCoreData;
  coreCommand: RunningCoreCommand;
  /** The hosted device services (GW_DEVICE_SERVICES), by EdgeX service name. */
  deviceServices: Record<string, RunningDeviceService>;
  appService?: RunningAppService;
  /** The web console (GW_CONSOLE, on GW_CONSOLE_PORT). */
  console?: RunningConsole;
  /** Stops the services in reverse order of start, then the bus; queued writes are flushed first. */
  close(): Promise<void>;
}

/** Starts every service that needs no hardware in this process, sharing one bus. */
export async function startGateway(config: GatewayConfig, logger: Logger = createLogger('gateway', config.logLevel)): Promise<RunningGateway> {
  const started = Date.now();
  const bus = createMessageBus(toBusConfig(config, 'gateway'), logger);
  const stack: Array<() => Promise<void>> = [() => bus.close()];
  const serviceLogger = (name: string) => createLogger(name, config.logLevel);
  // Every service gets the shared settings; the hosted device services (with their
  // drivers' settings) go to those services only, not onto everyone's /config.
  // The console's settings are its own too.
  const { deviceServices: hosted, metadata: metadataSettings, coreData: coreDataSettings, consoleSettings, console: _console, consolePort: _consolePort, ...shared } = config;
  try {
    await seedResources(config.resourcesDir, logger);
    await connectDependencies(config, bus, logger);
    const metadata = await startMetadata(
      {
        ...shared,
        serviceName: 'core-metadata',
        port: config.metadataPort,
        ...metadataSettings,
        database: serviceDatabase(config, 'metadata'),
      },
      { bus, logger: serviceLogger('core-metadata') },
    );
    stack.push(() => metadata.close());
    // core-data subscribes before any device service publishes, so the first readings are kept.
    const coreData = await startCoreData(
      {
        ...shared,
        serviceName: 'core-data',
        port: config.coreDataPort,
        ...coreDataSettings,
        database: serviceDatabase(config, 'coreData'),
        metadataUrl: metadata.url,
      },
      { bus, logger: serviceLogger('core-data') },
    );
    stack.push(() => coreData.close());

    const metadataClient = new MetadataClient({ baseUrl: metadata.url, apiKey: config.apiKey });

    const coreCommand = await startCoreCommand(
      { ...shared, serviceName: 'core-command', port: config.coreCommandPort },
      { bus, logger: serviceLogger('core-command'), metadata: metadataClient },
    );
    stack.push(() => coreCommand.close());

    const deviceServices: Record<string, RunningDeviceService> = {};
    const { startDeviceServiceApp } = await import('../../device-service/src/device-service.app');
    for (const service of hosted) {
      const running = await startDeviceServiceApp(
        { ...shared, ...service },
        { bus, logger: serviceLogger(service.serviceName), metadata: metadataClient },
      );
      stack.push(() => running.close());
      await running.ready;
      deviceServices[service.serviceName] = running;
    }

    let appService: RunningAppService | undefined;
    if (config.appService) {
      const { startAppService } = await import('../../app-service/src/app-service.app');
      appService = await startAppService(
        {
          ...shared,
          serviceName: 'app-service',
          port: config.appServicePort,
          metadataUrl: metadata.url,
          coreCommandUrl: coreCommand.url,
          // Longer than core-command's own device timeout, so the cloud hears the device's 504, not ours.
          commandTimeout: config.commandTimeout + 5_000,
        },
        { bus, logger: serviceLogger('app-service') },
      );
      stack.push(() => appService!.close());
    }

    // Last: it fronts the services above and follows their events.
    let webConsole: RunningConsole | undefined;
    if (config.console) {
      const { startConsole } = await import('../../console/src/console.app');
      webConsole = await startConsole(
        {
          ...consoleSettings,
          host: config.host,
          port: config.consolePort,
          apiKey: config.apiKey,
          maxBody: config.maxBody,
          topicBase: config.topicBase,
          metadataUrl: metadata.url,
          coreDataUrl: coreData.url,
          coreCommandUrl: coreCommand.url,
          appServiceUrl: appService?.url,
        },
        { bus, logger: serviceLogger('console') },
      );
      stack.push(() => webConsole!.close());
    }

    logger.info(
      {
        ms: Date.now() - started,
        metadata: metadata.url,
        coreData: coreData.url,
        coreCommand: coreCommand.url,
        ...Object.fromEntries(Object.entries(deviceServices).map(([name, service]) => [name, service.url])),
        appService: appService?.url,
        console: webConsole?.url,
      },
      'gateway ready',
    );
    return { bus, metadata, coreData, coreCommand, deviceServices, appService, console: webConsole, close: () => unwind(stack) };
  } catch (err) {
    await unwind(stack).catch(() => undefined); // the start failure is the error worth reporting
    throw err;
  }
}

/**
 * The broker and the PostgreSQL databases, when the gateway uses them: waited
 * for with ping and /ready answering on every service's port, instead of
 * exiting. On the in-process bus and SQLite there is nothing to wait for.
 */
async function connectDependencies(config: GatewayConfig, bus: ManagedMessageBus, logger: Logger): Promise<void> {
  // One wait per database server, not per schema (GW_DATABASE holds both services' schemas).
  const databases = new Map(
    [serviceDatabase(config, 'metadata'), serviceDatabase(config, 'coreData')].map((db) => [db.type === 'postgres' ? db.url : db.path, db]),
  );
  const dependencies = [
    config.busType === 'memory' ? undefined : busDependency(bus, config.busUrl),
    ...[...databases.values()].map(databaseDependency),
  ].filter((d) => d !== undefined);
  if (!dependencies.length) return bus.connect();
  const endpoints = [
    { port: config.metadataPort, serviceName: 'core-metadata' },
    { port: config.coreDataPort, serviceName: 'core-data' },
    { port: config.coreCommandPort, serviceName: 'core-command' },
    ...config.deviceServices.map(({ port, serviceName }) => ({ port, serviceName })),
    ...(config.appService ? [{ port: config.appServicePort, serviceName: 'app-service' }] : []),
  ];
  if (config.busType === 'memory') await bus.connect();
  await awaitDependencies(dependencies, { logger, host: config.host, endpoints });
}

/** Closes everything even when one close fails, then reports the first failure. */
async function unwind(stack: Array<() => Promise<void>>): Promise<void> {
  let first: unknown;
  while (stack.length) {
    try {
      await stack.pop()!();
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}

/** `npm start`: configuration from the environment, Ctrl-C / SIGTERM stop it cleanly. */
export async function runGateway(): Promise<void> {
  const config = loadGatewayConfig();
  setLogFormat(config.logFormat);
  const logger = createLogger('gateway', config.logLevel);
  // What the services read in their own processes is someone's setting in a shared compose environment, not a typo.
  const elsewhere = [
    metadataConfigVariables(),
    coreDataConfigVariables(),
    coreCommandConfigVariables(),
    deviceServiceConfigVariables(),
    appServiceConfigVariables(),
    consoleConfigVariables(),
  ].flat();
  warnUnknownVariables(logger, 'the gateway', gatewayConfigVariables(), process.env, elsewhere);
  const gateway = await startGateway(config, logger);
  closeOnSignals(logger, () => gateway.close());
}
