import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { Topics } from '@gw/contracts';
import { MessageBus } from '@gw/messaging';
import { createDataSource } from '@gw/persistence';
import { Logger, createServiceApp, listenService, busMetrics, busReadiness } from '@gw/service-kit';
import { DEFAULT_QUERY_ADMISSION } from '@gw/service-kit/config';
import { ResourceLoader } from './boot/resource-loader';
import { MetadataConfig, MetadataConfigSchema } from './config';
import { DeviceServicesService } from './domain/device-services.service';
import { DevicesService } from './domain/devices.service';
import { DEFAULT_PROFILE_LIMITS } from './domain/profile-limits';
import { ProfileParser } from './domain/profile-parser';
import { ProfilesService } from './domain/profiles.service';
import { loadUnitsOfMeasure } from './domain/units-of-measure';
import { SystemEventPublisher } from './domain/system-events';
import { WatchersService } from './domain/watchers.service';
import { metadataMetrics } from './metadata-metrics';
import { MetadataModule } from './metadata.module';
import { METADATA_ENTITIES } from './persistence/entities';
import { MetadataRepository } from './persistence/metadata-stores';
import { METADATA_MIGRATIONS } from './persistence/migrations/1732240000000-initial-metadata';

export const METADATA_VERSION = '0.1.0';

/** What startMetadata needs besides the HTTP service settings every service has. */
export type MetadataOptions = Pick<MetadataConfig, 'host' | 'port' | 'database' | 'maxResultCount' | 'topicBase'> &
  Partial<MetadataConfig> & {
    folders?: { profilesDir?: string; devicesDir?: string; provisionWatchersDir?: string };
  };

export interface RunningMetadata {
  app: NestFastifyApplication;
  dataSource: DataSource;
  loader: ResourceLoader;
  url: string;
  close(): Promise<void>;
}

/**
 * Opens the database (running migrations), loads the resource folders, then
 * serves the API. The bus is passed in, so the one-process gateway can share
 * its in-process bus; closing metadata leaves the bus to its owner.
 */
export async function startMetadata(
  options: MetadataOptions,
  deps: { bus: MessageBus; logger: Logger },
): Promise<RunningMetadata> {
  const { logger } = deps;
  const dataSource = await createDataSource(options.database, {
    entities: METADATA_ENTITIES,
    migrations: METADATA_MIGRATIONS,
    migrationsTableName: 'metadata_migrations',
    logger,
    applicationName: 'core-metadata',
  });
  let app: NestFastifyApplication | undefined;
  const parser = new ProfileParser();
  try {
    const repo = new MetadataRepository(dataSource);
    const events = new SystemEventPublisher(deps.bus, new Topics(options.topicBase), logger);
    const limits = {
      maxResources: options.maxProfileResources ?? DEFAULT_PROFILE_LIMITS.maxResources,
      maxCommands: options.maxProfileCommands ?? DEFAULT_PROFILE_LIMITS.maxCommands,
      maxOperations: options.maxProfileOperations ?? DEFAULT_PROFILE_LIMITS.maxOperations,
    };
    const units = await loadUnitsOfMeasure(options.unitsFile, options.unitsValidation ?? false);
    const profiles = new ProfilesService(repo, events, limits, parser, units);
    const devices = new DevicesService(repo, events);
    const watchers = new WatchersService(repo, events);
    const folders = options.folders ?? {
      profilesDir: options.profilesDir,
      devicesDir: options.devicesDir,
      provisionWatchersDir: options.provisionWatchersDir,
    };
    // Devices and watchers of the folders that wait for their device service follow it when it registers.
    const loader = new ResourceLoader(folders, profiles, devices, watchers, repo.read.services, logger);
    const deviceServices = new DeviceServicesService(repo, events, (service) => loader.serviceAdded(service.name));
    const module = MetadataModule.register({ profiles, devices, deviceServices, watchers, units, maxResultCount: options.maxResultCount });
    const config = {
      serviceName: 'core-metadata',
      logLevel: 'info' as const,
      maxBody: 4 * 1024 * 1024,
      ...options,
    };
    // The gateway hands over a spread copy of its config, which drops secret() marks: name them.
    const secretKeys = ['apiKey', 'busPassword'];
    app = await createServiceApp({
      module,
      api: async () => (await import('./http/openapi')).metadataApi,
      version: METADATA_VERSION,
      config,
      configKeys: Object.keys(MetadataConfigSchema.shape),
      logger,
      secretKeys,
      readiness: [busReadiness(deps.bus)],
      metrics: [busMetrics(deps.bus), metadataMetrics(repo.read, logger)],
      queryAdmission: {
        maxConcurrent: options.maxConcurrentQueries ?? DEFAULT_QUERY_ADMISSION.maxConcurrentQueries,
        queueLimit: options.queryQueueLimit ?? DEFAULT_QUERY_ADMISSION.queryQueueLimit,
        queueSetting: 'GW_METADATA_QUERY_QUEUE_LIMIT',
      },
      shutdownHooks: false,
    });
    await app.init();
    await loader.loadAll();
    const url = await listenService(app, options);
    const running = app;
    return {
      app: running,
      dataSource,
      loader,
      url,
      close: async () => {
        await running.close();
        await parser.close();
        await dataSource.destroy();
      },
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await parser.close();
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
}
