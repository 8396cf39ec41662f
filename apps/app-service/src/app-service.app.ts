import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CommandClient, MetadataClient } from '@gw/clients';
import { ErrorKind, GatewayError, Topics } from '@gw/contracts';
import { MessageBus } from '@gw/messaging';
import { createServiceApp, definedOnly, FileSecretStore, listenService, Logger, busMetrics, busReadiness } from '@gw/service-kit';
import { AppServiceModule } from './app-service.module';
import { AppServiceConfig, AppServiceConfigSchema, DEFAULT_APP_SERVICE_SETTINGS } from './config';
import { ExportFiguresSource, RouteFigures } from './http/figures';
import { exportMetrics } from './http/prometheus';
import { GroupCommitter, OutboxStore, resolveOutboxOptions, RouteStats, RouteWorker } from './outbox';
import { PipelineRunner } from './pipeline/pipeline-runner';
import { loadPipelinesFile, PipelinesFile } from './pipeline/pipelines-file';
import { createSink } from './sinks/create-sink';
import type { Sink } from './sinks/sink';
import { ActuatorPorts, DesiredStateHandler } from './twin/desired-state';
import { deviceStatesOf } from './twin/device-states';
import { twinModel, TwinModelPorts } from './twin/twin-model';
import type { TwinModelSource } from './http/twin-model.controller';

export const APP_SERVICE_VERSION = '0.1.0';
/** How long close() lets deliveries in flight finish before abandoning them (Docker allows 10 s for a stop). */
const STOP_GRACE_MS = 5_000;

export type AppServiceOptions = Pick<AppServiceConfig, 'host' | 'port' | 'topicBase' | 'dataDir'> & Partial<AppServiceConfig>;

export interface AppServiceDependencies {
  bus: MessageBus;
  logger: Logger;
  /** Default: loadPipelinesFile(options.pipelinesFile). */
  pipelines?: PipelinesFile;
  /** Default: built from the config; tests pass their own sinks (e.g. to count deliveries). */
  createSink?: (config: PipelinesFile['sinks'][number]) => Sink;
  /** Default: core-metadata and core-command over REST (metadataUrl, coreCommandUrl). */
  actuators?: ActuatorPorts;
  /** Default: core-metadata over REST (metadataUrl): devices and profiles for the Plug and Play models. */
  metadata?: TwinModelPorts;
}

export interface RunningAppService {
  app: NestFastifyApplication;
  url: string;
  figures: ExportFiguresSource;
  /** Stops taking events, lets each route finish the delivery in hand, closes sinks and the outbox. */
  close(): Promise<void>;
}

/**
 * The app service: pipelines from the bus into a durable outbox per route,
 * workers draining each route to its sink, desired state from twin sinks to
 * core-command, figures over REST and Prometheus. Routes start draining
 * before the bus subscriptions open, so a backlog left by the last run
 * starts moving at once.
 */
export async function startAppService(options: AppServiceOptions, deps: AppServiceDependencies): Promise<RunningAppService> {
  const { bus, logger } = deps;
  const settings = { ...DEFAULT_APP_SERVICE_SETTINGS, ...definedOnly(options) };
  // The store POST /api/v3/secret writes: the pipelines file's `${secret:NAME/KEY}` read it (at start).
  const secrets = new FileSecretStore(options.dataDir ?? './data', options.serviceName ?? 'app-service');
  const file = deps.pipelines ?? loadPipelinesFile(settings.pipelinesFile, { topicBase: options.topicBase, store: secrets });
  const sinkTypes = new Map(file.sinks.map((s) => [s.name, s.type]));
  const sinks = new Map(file.sinks.map((s) => [s.name, (deps.createSink ?? createSink)(s)]));
  const usedSinks = new Set(file.pipelines.flatMap((p) => p.sinks));

  mkdirSync(options.dataDir, { recursive: true });
  const store = new OutboxStore(join(options.dataDir, 'app-service-outbox.db'), { logger });
  const outbox = new GroupCommitter(store, { logger });
  const workers: RouteWorker[] = [];
  const runners: PipelineRunner[] = [];
  const closeAll = async () => {
    // The subscriptions finish the messages in hand: their commits go on, a refused one is not retried for them.
    outbox.stop();
    await Promise.all(runners.map((r) => r.stop()));
    outbox.close();
    // A delivery in flight may finish; one that takes longer is abandoned (its records stay in the outbox for the next run).
    const finished = Promise.all(workers.map((w) => w.stop()));
    const grace = new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
    await Promise.race([finished, grace]);
    await Promise.all(workers.map((w) => w.stop(true)));
    await Promise.all([...sinks.values()].map((s) => s.stop().catch((err: Error) => logger.warn({ sink: s.name, err: err.message }, 'sink did not stop cleanly'))));
    store.close();
  };

  try {
    const desired = new DesiredStateHandler(deps.actuators ?? restActuators(settings, options), logger);
    const metadata = deps.metadata ?? restMetadata(settings, options);
    const deviceStates = deviceStatesOf(bus, new Topics(options.topicBase), () => metadata.devices());
    // In parallel: a sink whose destination is down must not hold up the others (nor boot) for its connect timeout.
    await Promise.all(
      [...sinks]
        .filter(([name]) => usedSinks.has(name))
        .map(([name, sink]) =>
          sink.start({
            logger: logger.child({ sink: name }),
            onDesired: (c) => desired.apply(c),
            onMethod: (c) => desired.call(c),
            versions: store.ackedVersions(name),
            deviceNames: async () => (await metadata.devices()).map((d) => d.name),
            deviceStates,
          }),
        ),
    );
    for (const pipeline of file.pipelines) {
      const routes: string[] = [];
      for (const sinkName of pipeline.sinks) {
        const route = `${pipeline.name}.${sinkName}`;
        const sinkConfig = file.sinks.find((s) => s.name === sinkName)!;
        const bounds = resolveOutboxOptions(sinkConfig.outbox);
        const worker = new RouteWorker({ route, batch: pipeline.batch, gzip: pipeline.gzip, bounds }, { store, sink: sinks.get(sinkName)!, logger: logger.child({ route }) });
        workers.push(worker);
        routes.push(route);
        worker.start();
      }
      runners.push(new PipelineRunner(pipeline, routes, outbox, bus, settings.durableName, logger, settings.maxInFlight));
    }
    const active = new Set(workers.map((w) => w.stats().route));
    for (const route of store.routeNames().filter((r) => !active.has(r))) {
      // Left by a pipeline or sink no longer in the file: kept, not delivered, until the route returns.
      logger.warn({ route }, 'outbox holds records of a route the pipelines file no longer has; they are kept but not delivered');
    }
    for (const runner of runners) await runner.start();

    const figures: ExportFiguresSource = {
      routes: () => workers.map((w) => toFigures(w.stats(), sinkTypes, sinks.get(w.stats().sink))),
      pipelines: () => runners.map((r) => r.stats()),
      outbox: () => outbox.stats(),
    };
    const config = { serviceName: 'app-service', logLevel: 'info' as const, maxBody: 4 * 1024 * 1024, ...options };
    const app = await createServiceApp({
      module: AppServiceModule.register({ figures, twinModels: twinModelsOf(file, metadata) }),
      api: async () => (await import('./http/openapi')).appServiceApi,
      version: APP_SERVICE_VERSION,
      config,
      configKeys: Object.keys(AppServiceConfigSchema.shape),
      secrets,
      logger,
      secretKeys: ['apiKey', 'busPassword', 'clientApiKey'],
      readiness: [busReadiness(bus)],
      metrics: [busMetrics(bus), exportMetrics(figures)],
      shutdownHooks: false,
    });
    await app.init();
    const url = await listenService(app, options);
    logger.info(
      { url, pipelines: file.pipelines.map((p) => p.name), routes: workers.map((w) => w.stats().route), pending: workers.reduce((n, w) => n + w.stats().pending, 0) },
      'app service ready',
    );
    return {
      app,
      url,
      figures,
      close: async () => {
        await closeAll();
        await app.close();
      },
    };
  } catch (err) {
    await closeAll().catch(() => undefined);
    throw err;
  }
}

function restMetadata(settings: typeof DEFAULT_APP_SERVICE_SETTINGS, options: AppServiceOptions): TwinModelPorts {
  const metadata = new MetadataClient({ baseUrl: settings.metadataUrl, apiKey: options.clientApiKey ?? options.apiKey });
  return { devices: () => metadata.allDevices(), profile: (name) => metadata.profile(name) };
}

/** The model of each azure-twin sink of the file, built when asked. */
function twinModelsOf(file: PipelinesFile, ports: TwinModelPorts): TwinModelSource {
  return (name) => {
    const sink = file.sinks.find((s) => s.name === name);
    return sink?.type === 'azure-twin' ? twinModel(sink, ports) : undefined;
  };
}

function restActuators(settings: typeof DEFAULT_APP_SERVICE_SETTINGS, options: AppServiceOptions): ActuatorPorts {
  const apiKey = options.clientApiKey ?? options.apiKey;
  const metadata = new MetadataClient({ baseUrl: settings.metadataUrl, apiKey });
  const command = new CommandClient({ baseUrl: settings.coreCommandUrl, apiKey, timeoutMs: settings.commandTimeout });
  return {
    profileOf: async (deviceName) => {
      const device = await metadata.device(deviceName);
      if (!device.profileName) throw new GatewayError(ErrorKind.ServiceLocked, `device ${deviceName} has no profile`);
      return metadata.profile(device.profileName);
    },
    get: (deviceName, name, flags) => command.get(deviceName, name, flags),
    set: (deviceName, name, values, flags) => command.set(deviceName, name, values, flags),
  };
}

function toFigures(stats: RouteStats, sinkTypes: Map<string, string>, sink: Sink | undefined): RouteFigures {
  const dot = stats.route.indexOf('.');
  const connection = sink?.connectionStatus?.();
  const failure = connection?.lastError;
  return {
    route: stats.route,
    pipeline: stats.route.slice(0, dot),
    sink: stats.sink,
    sinkType: sinkTypes.get(stats.sink) ?? 'unknown',
    exported: stats.exported,
    pending: stats.pending,
    pendingBytes: stats.pendingBytes,
    dropped: { ...stats.dropped },
    retries: stats.retries,
    lastError: stats.lastError ? { message: stats.lastError.message, at: new Date(stats.lastError.at).toISOString() } : undefined,
    lastDeliveredAt: stats.lastDeliveredAt ? new Date(stats.lastDeliveredAt).toISOString() : undefined,
    connected: stats.connected,
    connectionError: failure ? { reason: failure.kind, message: failure.message, at: new Date(failure.at).toISOString() } : undefined,
    lastConnectedAt: connection?.lastConnectedAt ? new Date(connection.lastConnectedAt).toISOString() : undefined,
    rejectedMessages: sink?.rejectedMessages,
  };
}
