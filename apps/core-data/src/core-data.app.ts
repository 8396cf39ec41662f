import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { Event, Topics } from '@gw/contracts';
import { DeviceDirectory, DirectoryPort, MetadataClient } from '@gw/clients';
import { MessageBus } from '@gw/messaging';
import { createDataSource } from '@gw/persistence';
import {
  Logger,
  createServiceApp,
  definedOnly,
  listenService,
  busMetrics,
  busReadiness,
  ReadinessCheck,
} from '@gw/service-kit';
import { checkCoreDataConfig, CoreDataConfig, CoreDataConfigSchema, CoreDataSettings, DEFAULT_CORE_DATA_SETTINGS } from './config';
import { CoreDataModule } from './core-data.module';
import { AskBudget } from './devices/ask-budget';
import { DeviceCheck } from './devices/device-check';
import { DeviceSync } from './devices/device-sync';
import { EventsService } from './domain/events.service';
import { ReadingsService } from './domain/readings.service';
import { Retention, RetentionResult } from './domain/retention';
import { BatchWriter } from './ingest/batch-writer';
import { BusIngest, DeviceChecking, MAX_READINGS_SETTING } from './ingest/bus-ingest';
import { IngestFigures, IngestStats } from './ingest/ingest-stats';
import { Refusals } from './ingest/refusals';
import { StatsReporter } from './ingest/stats-reporter';
import { coreDataMetrics } from './http/prometheus';
import { PersistLag } from './ingest/persist-lag';
import { RestEventRepublisher } from './ingest/rest-republish';
import { openEventStore } from './persistence/open-event-store';
import { CORE_DATA_MIGRATIONS } from './persistence/migrations/1733900000000-initial-core-data';

export const CORE_DATA_VERSION = '0.1.0';

/** What startCoreData needs: the HTTP and database settings, the rest defaulted as in config.ts. */
export type CoreDataOptions = Pick<CoreDataConfig, 'host' | 'port' | 'database' | 'maxResultCount' | 'topicBase'> &
  Partial<CoreDataConfig>;

export interface CoreDataDependencies {
  bus: MessageBus;
  logger: Logger;
  /** Told after each committed batch (benchmarks measure latency with it). */
  onCommitted?: (events: readonly Event[], committedAtMs: number) => void;
  /** Where devices are looked up; default: a MetadataClient for `metadataUrl`. */
  metadata?: DirectoryPort;
}

export interface RunningCoreData {
  app: NestFastifyApplication;
  dataSource: DataSource;
  url: string;
  /**
   * Resolves once core-data consumes device events: at once, or (with the
   * device check on) once core-metadata's devices are loaded; until then the
   * broker keeps the events for core-data's durable subscription.
   */
  consuming: Promise<void>;
  /** Ingest counters: received, rejected, persisted, duplicates, queue depth... */
  stats(): IngestFigures;
  /** Runs one retention pass now. */
  runRetention(): Promise<RetentionResult>;
  /** Stops consuming, writes everything queued, then closes HTTP and the database. */
  close(): Promise<void>;
}

/** A bus message above GW_CORE_DATA_MAX_BODY (the REST body limit, 4 MiB by default) is skipped unparsed. */
const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Opens the database (running migrations), starts the batch writer, serves
 * the API, then subscribes to device events. The bus is passed in so the
 * one-process gateway can share its in-process bus; closing core-data leaves
 * the bus to its owner.
 */
export async function startCoreData(options: CoreDataOptions, deps: CoreDataDependencies): Promise<RunningCoreData> {
  const { logger } = deps;
  const settings: CoreDataSettings = checkCoreDataConfig({ ...DEFAULT_CORE_DATA_SETTINGS, ...definedOnly(options) });
  const dataSource = await createDataSource(options.database, {
    entities: [],
    migrations: CORE_DATA_MIGRATIONS,
    migrationsTableName: 'core_data_migrations',
    logger,
    applicationName: 'core-data',
  });
  const store = openEventStore(dataSource, logger);
  const stats = new IngestStats();
  const lag = new PersistLag();
  const writer = new BatchWriter(
    store,
    {
      batchSize: settings.batchSize,
      flushIntervalMs: settings.flushInterval,
      closeTimeoutMs: settings.closeTimeout,
      queueLimit: settings.queueLimit,
      onCommitted: (events, committedAtMs) => {
        lag.observe(events, committedAtMs);
        deps.onCommitted?.(events, committedAtMs);
      },
    },
    stats,
    logger,
  );
  const retention = new Retention(
    store,
    {
      maxAgeMs: settings.retentionMaxAge,
      maxEvents: settings.retentionMaxEvents,
      intervalMs: settings.retentionInterval,
      batch: settings.retentionBatch,
    },
    logger,
  );
  const topics = new Topics(options.topicBase);
  const ingestOptions = { ...settings, maxMessageBytes: options.maxBody ?? DEFAULT_MAX_MESSAGE_BYTES };
  const devices = settings.deviceCheck ? deviceChecking(options, settings, deps, topics, stats, () => ingest.recheckParked()) : undefined;
  const ingest = new BusIngest(deps.bus, topics, writer, stats, ingestOptions, logger, devices);
  const reporter = new StatsReporter(stats, logger, settings.statsInterval);
  let app: NestFastifyApplication | undefined;
  let closed = false;
  const republisher = new RestEventRepublisher(deps.bus, topics, logger);
  try {
    const module = CoreDataModule.register({
      events: new EventsService(
        store,
        writer,
        stats,
        settings.retentionBatch,
        Date.now,
        { maxReadings: settings.maxReadingsPerEvent, maxReadingsSetting: MAX_READINGS_SETTING },
        devices,
        (event, source) => republisher.stored(event, source),
      ),
      readings: new ReadingsService(store),
      maxResultCount: options.maxResultCount,
    });
    const config = { serviceName: 'core-data', logLevel: 'info' as const, maxBody: 4 * 1024 * 1024, ...options };
    // The gateway hands over a spread copy of its config, which drops secret() marks: name them.
    const secretKeys = ['apiKey', 'busPassword', 'metadataApiKey'];
    app = await createServiceApp({
      module,
      api: async () => (await import('./http/openapi')).coreDataApi,
      version: CORE_DATA_VERSION,
      config,
      configKeys: Object.keys(CoreDataConfigSchema.shape),
      logger,
      secretKeys,
      readiness: devices ? [busReadiness(deps.bus), metadataReadiness(devices)] : [busReadiness(deps.bus)],
      metrics: [
        busMetrics(deps.bus),
        coreDataMetrics({ ingest: () => stats.snapshot(), knownDevices: () => devices?.directory.size ?? 0 }),
        lag.register,
      ],
      queryAdmission: {
        maxConcurrent: settings.maxConcurrentQueries,
        queueLimit: settings.queryQueueLimit,
        queueSetting: 'GW_CORE_DATA_QUERY_QUEUE_LIMIT',
      },
      shutdownHooks: false,
    });
    await app.init();
    const url = await listenService(app, options);
    if (!devices) logger.warn({}, 'core-data: GW_CORE_DATA_DEVICE_CHECK is off: events of any device name are stored, whoever publishes them');
    // With the check on, events are taken off the bus only once the devices are known; the broker keeps them meanwhile.
    await devices?.sync.start();
    const startConsuming = async () => {
      if (closed) return;
      await ingest.start();
      logger.info({ durableName: settings.durableName, maxInFlight: settings.maxInFlight, engine: store.engine }, 'core-data: consuming device events');
    };
    const consuming = devices ? devices.sync.loaded.then(startConsuming) : startConsuming();
    if (devices && !devices.directory.loaded) {
      logger.warn({ metadataUrl: options.metadataUrl }, 'core-data: waiting for core-metadata before taking events off the bus; they wait in the broker');
      consuming.catch((err: unknown) => logger.error({ err: (err as Error).message }, 'core-data: could not subscribe to device events'));
    } else {
      await consuming;
    }
    retention.start();
    reporter.start();
    const running = app;
    let closing: Promise<void> | undefined;
    return {
      app: running,
      dataSource,
      url,
      consuming,
      stats: () => stats.snapshot(),
      runRetention: () => retention.runOnce(),
      close: () =>
        (closing ??= (async () => {
          closed = true;
          // Order matters: no new events in, then everything queued out, then the database.
          await devices?.sync.close();
          // A subscription under way finishes first, so stop() ends it.
          if (!devices || devices.directory.loaded) await consuming.catch(() => undefined);
          // Closes the writer too (REST adds get 503 from then on): a failing database gives up after its close timeout.
          await ingest.stop();
          await running.close();
          await writer.close();
          await retention.stop();
          reporter.stop();
          logger.info(stats.snapshot(), 'core-data: stopped');
          await store.close();
          await dataSource.destroy();
        })()),
    };
  } catch (err) {
    closed = true;
    await devices?.sync.close().catch(() => undefined);
    await ingest.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await writer.close().catch(() => undefined);
    await retention.stop();
    reporter.stop();
    await store.close();
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
}

interface DeviceCheckParts extends DeviceChecking {
  directory: DeviceDirectory;
  sync: DeviceSync;
}

/** The device check: a view of core-metadata's devices kept in sync, the check over it, and its refusal counters. */
function deviceChecking(
  options: CoreDataOptions,
  settings: CoreDataSettings,
  deps: CoreDataDependencies,
  topics: Topics,
  stats: IngestStats,
  onRecovered: () => void,
): DeviceCheckParts {
  const metadata =
    deps.metadata ??
    new MetadataClient({
      baseUrl: options.metadataUrl ?? 'http://localhost:59881',
      apiKey: options.metadataApiKey ?? options.apiKey,
      timeoutMs: METADATA_TIMEOUT_MS,
    });
  const directory = new DeviceDirectory(metadata);
  const sync = new DeviceSync(directory, deps.bus, topics, deps.logger, { refreshIntervalMs: settings.deviceRefreshInterval }, onRecovered);
  const check = new DeviceCheck(directory, sync, topics, new AskBudget(settings.deviceAskRate));
  return { directory, sync, check, refusals: new Refusals(stats, deps.logger) };
}

/**
 * core-metadata as readiness sees it: its devices are needed before events are
 * taken off the bus. Later outages leave core-data ready (queries work, known
 * devices' events are stored); the parked-events gauge shows what waits.
 */
function metadataReadiness({ directory }: DeviceCheckParts): ReadinessCheck {
  return {
    name: 'core-metadata',
    problem: () => (directory.loaded ? undefined : 'devices not loaded yet; device events wait in the broker'),
  };
}

/** A device lookup holds the event (and the bus) while it waits: not as long as the default 10 s. */
const METADATA_TIMEOUT_MS = 5_000;
