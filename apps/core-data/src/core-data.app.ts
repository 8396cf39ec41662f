import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { Event, Topics } from '@gw/contracts';
import { MessageBus } from '@gw/messaging';
import { createDataSource } from '@gw/persistence';
import { Logger, createServiceApp, definedOnly, listenService, busReadiness } from '@gw/service-kit';
import { checkCoreDataConfig, CoreDataConfig, CoreDataSettings, DEFAULT_CORE_DATA_SETTINGS } from './config';
import { CoreDataModule } from './core-data.module';
import { EventsService } from './domain/events.service';
import { ReadingsService } from './domain/readings.service';
import { Retention, RetentionResult } from './domain/retention';
import { BatchWriter } from './ingest/batch-writer';
import { BusIngest, MAX_READINGS_SETTING } from './ingest/bus-ingest';
import { IngestFigures, IngestStats } from './ingest/ingest-stats';
import { StatsReporter } from './ingest/stats-reporter';
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
}

export interface RunningCoreData {
  app: NestFastifyApplication;
  dataSource: DataSource;
  url: string;
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
  const store = openEventStore(dataSource);
  const stats = new IngestStats();
  const writer = new BatchWriter(
    store,
    {
      batchSize: settings.batchSize,
      flushIntervalMs: settings.flushInterval,
      queueLimit: settings.queueLimit,
      onCommitted: deps.onCommitted,
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
  const ingestOptions = { ...settings, maxMessageBytes: options.maxBody ?? DEFAULT_MAX_MESSAGE_BYTES };
  const ingest = new BusIngest(deps.bus, new Topics(options.topicBase), writer, stats, ingestOptions, logger);
  const reporter = new StatsReporter(stats, logger, settings.statsInterval);
  let app: NestFastifyApplication | undefined;
  try {
    const module = CoreDataModule.register({
      events: new EventsService(store, writer, stats, settings.retentionBatch, Date.now, {
        maxReadings: settings.maxReadingsPerEvent,
        maxReadingsSetting: MAX_READINGS_SETTING,
      }),
      readings: new ReadingsService(store),
      maxResultCount: options.maxResultCount,
    });
    const config = { serviceName: 'core-data', logLevel: 'info' as const, maxBody: 4 * 1024 * 1024, ...options };
    // The gateway hands over a spread copy of its config, which drops secret() marks: name them.
    const secretKeys = ['apiKey', 'busPassword'];
    app = await createServiceApp({
      module,
      version: CORE_DATA_VERSION,
      config,
      logger,
      secretKeys,
      readiness: [busReadiness(deps.bus)],
      shutdownHooks: false,
    });
    await app.init();
    const url = await listenService(app, options);
    await ingest.start();
    retention.start();
    reporter.start();
    logger.info({ durableName: settings.durableName, ackMode: settings.ackMode, engine: store.engine }, 'core-data: consuming device events');
    const running = app;
    let closing: Promise<void> | undefined;
    return {
      app: running,
      dataSource,
      url,
      stats: () => stats.snapshot(),
      runRetention: () => retention.runOnce(),
      close: () =>
        (closing ??= (async () => {
          // Order matters: no new events in, then everything queued out, then the database.
          await ingest.stop();
          await running.close();
          await writer.close();
          await retention.stop();
          reporter.stop();
          logger.info(stats.snapshot(), 'core-data: stopped');
          await dataSource.destroy();
        })()),
    };
  } catch (err) {
    await ingest.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await writer.close().catch(() => undefined);
    await retention.stop();
    reporter.stop();
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
}
