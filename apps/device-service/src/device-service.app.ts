import { MetadataClient } from '@gw/clients';
import type { Clock } from '@gw/contracts';
import { DRIVERS } from '@gw/drivers';
import {
  createDriver,
  findDriver,
  loadDriverSettings,
  MetadataPort,
  ProtocolDriver,
  RunningDeviceService,
  startDeviceService,
} from '@gw/device-sdk';
import { MessageBus } from '@gw/messaging';
import { Logger } from '@gw/service-kit';
import { DeviceServiceConfig } from './config';
import { withKubeEdgeMapper } from './kubeedge-mapper';

export type { RunningDeviceService } from '@gw/device-sdk';

/** What startDeviceServiceApp needs besides the HTTP settings every service has. */
export type DeviceServiceAppOptions = Pick<DeviceServiceConfig, 'serviceName' | 'host' | 'port' | 'topicBase' | 'driver'> &
  Partial<DeviceServiceConfig>;

/** The driver `options` name, made with its settings (their defaults when none are given). */
async function makeDriver(options: DeviceServiceAppOptions): Promise<ProtocolDriver> {
  const descriptor = findDriver(DRIVERS, options.driver, 'GW_DEVICE_SERVICE_DRIVER');
  return createDriver(descriptor, options.driverSettings ?? loadDriverSettings(descriptor, {}));
}

export interface DeviceServiceAppDeps {
  bus: MessageBus;
  logger: Logger;
  /** Default: a MetadataClient for `metadataUrl`. The one-process gateway passes its own. */
  metadata?: MetadataPort;
  /** Default: the driver named by `driver`, made from the registry with `driverSettings`. */
  driver?: ProtocolDriver;
  clock?: Clock;
}

/**
 * One device service with the driver its configuration names. The bus is
 * passed in, so the one-process gateway can host several device services on
 * its in-process bus; closing the service leaves the bus to its owner.
 */
export async function startDeviceServiceApp(options: DeviceServiceAppOptions, deps: DeviceServiceAppDeps): Promise<RunningDeviceService> {
  const driver = deps.driver ?? (await makeDriver(options));
  const metadata =
    deps.metadata ??
    new MetadataClient({ baseUrl: options.metadataUrl ?? 'http://localhost:59881', apiKey: options.metadataApiKey ?? options.apiKey });
  deps.logger.info({ driver: options.driver, serviceName: options.serviceName }, 'starting device service');
  const running = await startDeviceService(
    {
      ...options,
      discoveryIntervalMs: options.discoveryInterval ?? 0,
      driverTimeoutMs: options.driverTimeout,
      metadataRetry: { initialMs: 1_000, maxMs: options.metadataRetryMax ?? 30_000 },
    },
    { bus: deps.bus, logger: deps.logger, driver, metadata, clock: deps.clock },
  );
  if (!options.kubeedgeMapper) return running;
  try {
    return await withKubeEdgeMapper(running, options, { bus: deps.bus, logger: deps.logger, metadata, clock: deps.clock });
  } catch (err) {
    await running.close();
    throw err;
  }
}
