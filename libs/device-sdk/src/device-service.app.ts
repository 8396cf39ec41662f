/**
 * A device service: one driver, the SDK runtime around it, and the EdgeX
 * device-service REST API. The bus, logger, driver and metadata client are
 * passed in, so the one-process gateway can host several device services on
 * one in-process bus; closing a service leaves those to their owner.
 */
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Clock, systemClock, Topics } from '@gw/contracts';
import { MessageBus } from '@gw/messaging';
import { createServiceApp, FileSecretStore, listenService, Logger, secretKeysOf, busMetrics, busReadiness } from '@gw/service-kit';
import { CommandBus, DEFAULT_MAX_CONCURRENT_COMMANDS } from './command-bus';
import { CommandExecutor, DEFAULT_DRIVER_TIMEOUT_MS } from './command-executor';
import { DeviceLifecycle } from './device-lifecycle';
import { DeviceMetrics, deviceServiceMetrics } from './device-metrics';
import { DeviceRegistry } from './device-registry';
import { DeviceValidator } from './device-validator';
import { Discovery, DiscoveryResult } from './discovery';
import { driverRegistration } from './driver-registration';
import { ProfileScan } from './profile-scan';
import type { DriverContext, ProtocolDriver } from './driver/protocol-driver';
import { DEFAULT_MAX_IN_FLIGHT, EventPublisher, PublisherStats } from './event-publisher';
import { DeviceServiceModule } from './http/device-service.module';
import { driverRoutePrefix, mountDriverRoutes } from './http/driver-routes';
import { DEFAULT_RETRY, MetadataPort, MetadataSync, RetryPolicy } from './metadata-sync';
import { OnChangeFilter } from './on-change-filter';
import { DEFAULT_ALLOWED_FAILS, OperatingStateTracker } from './operating-state';
import { PushHandler, PushStats } from './push-handler';
import { AutoEventScheduler, PhaseOf, SchedulerStats } from './scheduler';

export const DEVICE_SDK_VERSION = '0.1.0';

export interface DeviceServiceOptions {
  serviceName: string;
  /** The driver's name (`opcua`): its own REST routes go under /api/v3/<driver>/ (default: serviceName without `device-`). */
  driver?: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Registered in core-metadata for core-command to call; default http://localhost:<listening port>. */
  baseAddress?: string;
  description?: string;
  labels?: string[];
  topicBase?: string;
  /** Files of the service's own (its POST /api/v3/secret store in secrets/); default ./data. */
  dataDir?: string;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  maxBody?: number;
  apiKey?: string;
  /** Run autoEvents (default true). */
  autoEvents?: boolean;
  /** Consecutive driver failures before a device is DOWN (default 3). */
  allowedFails?: number;
  /** Scheduled discovery every so many ms; 0 (default) = only on POST /api/v3/discovery. */
  discoveryIntervalMs?: number;
  /** A driver call with no answer after this long fails with Timeout (default 30 s). */
  driverTimeoutMs?: number;
  /** Events waiting for the bus before new ones are dropped (default 5,000). */
  maxEventsInFlight?: number;
  /** Bus commands running at once before new ones are answered 503 (default 256). */
  maxConcurrentCommands?: number;
  /** Backoff while core-metadata is unreachable at start. */
  metadataRetry?: RetryPolicy;
}

export interface DeviceServiceRuntimeDeps {
  bus: MessageBus;
  logger: Logger;
  driver: ProtocolDriver;
  metadata: MetadataPort;
  clock?: Clock;
  /** Where each device's autoEvent grid starts (default: spread by a hash of its name). */
  phaseOf?: PhaseOf;
}

export interface DeviceServiceStats {
  devices: number;
  autoEvents: SchedulerStats;
  events: PublisherStats;
  push: PushStats;
}

export interface RunningDeviceService {
  app: NestFastifyApplication;
  url: string;
  /** The address registered in core-metadata. */
  baseAddress: string;
  /** Resolves once the service is registered and its devices are loaded (retrying while metadata is away). */
  ready: Promise<void>;
  stats(): DeviceServiceStats;
  /** Names of the devices the service currently knows. */
  deviceNames(): string[];
  /** Runs discovery now (or joins the running one). */
  discover(): Promise<DiscoveryResult>;
  /** The command pipeline REST and the bus use (admin state, readWrite, transforms, the event after a SET), for in-process callers. */
  commands: Pick<CommandExecutor, 'get' | 'set'>;
  close(): Promise<void>;
}

/**
 * `options` may carry more settings (an app passes its whole config): GET
 * /api/v3/config shows them all, with secrets redacted.
 */
export async function startDeviceService(
  options: DeviceServiceOptions,
  deps: DeviceServiceRuntimeDeps,
): Promise<RunningDeviceService> {
  const { bus, logger, driver, metadata } = deps;
  const clock = deps.clock ?? systemClock;
  const topics = new Topics(options.topicBase);
  const serviceName = options.serviceName;

  const registry = new DeviceRegistry(serviceName);
  const tracker = new OperatingStateTracker(metadata, logger, clock, options.allowedFails ?? DEFAULT_ALLOWED_FAILS);
  const publisher = new EventPublisher(bus, topics, serviceName, logger, clock, options.maxEventsInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  const onChange = new OnChangeFilter();
  const metrics = new DeviceMetrics((name) => registry.device(name) !== undefined);
  const executor = new CommandExecutor(registry, driver, tracker, publisher, clock, options.driverTimeoutMs ?? DEFAULT_DRIVER_TIMEOUT_MS, metrics);
  const scheduler = new AutoEventScheduler(registry, executor, publisher, onChange, clock, logger, {
    enabled: options.autoEvents,
    phaseOf: deps.phaseOf,
    observer: metrics,
    monitoredByDriver: driver.monitorsAutoEvent && ((device, profile, autoEvent) => driver.monitorsAutoEvent!(device, profile, autoEvent)),
  });
  const push = new PushHandler(registry, tracker, onChange, publisher, clock, logger);
  const lifecycle = new DeviceLifecycle(registry, driver, tracker, onChange, scheduler, logger, metrics);
  const discovery = new Discovery(registry, driver, metadata, clock, logger);
  const profileScan = new ProfileScan(registry, driver, metadata, clock, logger);
  const validator = new DeviceValidator(registry, driver, metadata);
  const commandBus = new CommandBus(bus, topics, serviceName, executor, logger, options.maxConcurrentCommands ?? DEFAULT_MAX_CONCURRENT_COMMANDS);

  // The store POST /api/v3/secret writes; the driver reads `${secret:NAME/KEY}` references from it.
  const secrets = new FileSecretStore(options.dataDir ?? './data', serviceName);
  const context: DriverContext = {
    serviceName,
    logger: logger.child({ component: 'driver' }),
    pushValues: push.push,
    secrets,
    ...driverRegistration(metadata, serviceName, logger),
  };
  await driver.initialize(context);

  const config = { logLevel: 'info' as const, maxBody: 4 * 1024 * 1024, ...options };
  let app: NestFastifyApplication | undefined;
  let driverStarted = false;
  try {
    const routePrefix = driverRoutePrefix(options.driver, serviceName);
    const ownRoutes = driver.routes?.() ?? [];
    app = await createServiceApp({
      module: DeviceServiceModule.register({ executor, discovery, validator, profileScan }),
      api: async () => (await import('./http/openapi')).deviceServiceApi(routePrefix, ownRoutes),
      version: DEVICE_SDK_VERSION,
      config,
      secrets,
      logger,
      // The spread above (and the gateway's copies of its config) drop top-level secret() marks: name them,
      // with any `options` itself still carries. Nested settings (driverSettings) keep their own marks.
      secretKeys: ['apiKey', 'busPassword', 'metadataApiKey', ...secretKeysOf(options)],
      readiness: [busReadiness(bus)],
      metrics: [
        busMetrics(bus),
        metrics.register,
        deviceServiceMetrics({ devices: () => registry.deviceCount, autoEvents: () => scheduler.stats(), events: () => publisher.stats(), push: () => push.stats() }),
      ],
      shutdownHooks: false,
    });
    const driverRoutes = mountDriverRoutes(app.getHttpAdapter().getInstance(), routePrefix, ownRoutes);
    if (driverRoutes.length) logger.info({ routes: driverRoutes }, 'driver routes');
    await app.init();
    const url = await listenService(app, options);
    const baseAddress = options.baseAddress ?? `http://localhost:${new URL(url).port}`;

    await driver.start();
    driverStarted = true;
    await commandBus.start();

    const sync = new MetadataSync(
      { serviceName, baseAddress, description: options.description, labels: options.labels },
      registry,
      metadata,
      bus,
      topics,
      lifecycle,
      clock,
      logger,
      options.metadataRetry ?? DEFAULT_RETRY,
    );
    let closed = false;
    const ready = sync.start().then(() => {
      if (closed) return;
      scheduler.start();
      discovery.schedule(options.discoveryIntervalMs ?? 0);
      logger.info({ devices: registry.deviceCount, autoEvents: scheduler.stats().devices }, 'device service ready');
    });

    const running: RunningDeviceService = {
      app,
      url,
      baseAddress,
      ready,
      stats: () => ({ devices: registry.deviceCount, autoEvents: scheduler.stats(), events: publisher.stats(), push: push.stats() }),
      deviceNames: () => [...registry.allDevices()].map((d) => d.name),
      discover: () => discovery.trigger(),
      commands: executor,
      close: async () => {
        if (closed) return;
        closed = true;
        discovery.stop();
        profileScan.stop();
        scheduler.stop();
        const steps: Array<[string, () => Promise<unknown>]> = [
          ['command bus', () => commandBus.close()],
          ['metadata sync', () => sync.close()],
          ['http', () => app!.close()],
          ['driver', () => driver.stop(false)],
          ['events', () => withDeadline(publisher.drain(), 5_000)],
        ];
        for (const [what, step] of steps) {
          await step().catch((err: unknown) => logger.warn({ err: (err as Error).message }, `closing ${what} failed`));
        }
        logger.info({}, 'device service stopped');
      },
    };
    return running;
  } catch (err) {
    await commandBus.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    if (driverStarted) await driver.stop(true).catch(() => undefined);
    throw err;
  }
}

function withDeadline(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
