/**
 * Mapper mode (GW_KUBEEDGE_MAPPER=true): the device service also runs as a
 * KubeEdge mapper. Its DeviceMapperService socket is up before the service
 * reports itself started (a path that cannot be bound stops the boot), and it
 * registers with edgecore once the service has loaded its devices from
 * core-metadata. @gw/kubeedge-dmi's mapper (and gRPC with it) is loaded here
 * only, with import(), so a device service that is not a mapper never loads it.
 */
import { join } from 'node:path';
import { MetadataClient } from '@gw/clients';
import { Clock, ErrorKind, GatewayError, Topics } from '@gw/contracts';
import { DEVICE_SDK_VERSION, MetadataPort, RunningDeviceService } from '@gw/device-sdk';
import { findDriver } from '@gw/device-sdk/driver-host';
import { DRIVERS } from '@gw/drivers';
import { loadKubeEdgeMapper, MapperMetadata } from '@gw/kubeedge-dmi';
import { MessageBus } from '@gw/messaging';
import { Logger } from '@gw/service-kit';
import { DEFAULT_DMI_SOCKET, DeviceServiceConfig, MAX_SOCKET_PATH } from './config';

export type KubeEdgeSettings = Partial<
  Pick<DeviceServiceConfig, 'kubeedgeDmiSocket' | 'kubeedgeMapperSocket' | 'kubeedgeProtocol' | 'kubeedgeRetryMax' | 'topicBase' | 'dataDir'>
> &
  Pick<DeviceServiceConfig, 'serviceName' | 'driver'>;

export async function withKubeEdgeMapper(
  running: RunningDeviceService,
  settings: KubeEdgeSettings,
  deps: { bus: MessageBus; logger: Logger; metadata: MetadataPort | MetadataClient; clock?: Clock },
): Promise<RunningDeviceService> {
  const { startKubeEdgeMapper } = await loadKubeEdgeMapper();
  const mapperSocket = settings.kubeedgeMapperSocket ?? `/etc/kubeedge/${settings.serviceName}.sock`;
  // The default is made from the service name: check it as the config checks a given one.
  if (Buffer.byteLength(mapperSocket) > MAX_SOCKET_PATH) {
    throw new GatewayError(ErrorKind.Config, `GW_KUBEEDGE_MAPPER_SOCKET: ${mapperSocket} is longer than ${MAX_SOCKET_PATH} bytes; set a shorter path`);
  }
  const mapper = await startKubeEdgeMapper(
    {
      serviceName: settings.serviceName,
      // edgecore hands the mapper the devices whose protocolName is this (gw export kubeedge writes the driver's name);
      // their EdgeX protocol (configData.edgexProtocol) must be one the driver reads.
      protocol: settings.kubeedgeProtocol ?? settings.driver,
      edgexProtocols: findDriver(DRIVERS, settings.driver, 'GW_DEVICE_SERVICE_DRIVER').edgexProtocols,
      dmiSocket: settings.kubeedgeDmiSocket ?? DEFAULT_DMI_SOCKET,
      mapperSocket,
      version: DEVICE_SDK_VERSION,
      retry: { initialMs: 1_000, maxMs: settings.kubeedgeRetryMax ?? 30_000 },
      settledFile: join(settings.dataDir ?? './data', 'kubeedge', `${settings.serviceName}-desired.json`),
    },
    {
      metadata: asMapperMetadata(deps.metadata),
      commands: running.commands,
      bus: deps.bus,
      topics: new Topics(settings.topicBase),
      logger: deps.logger.child({ component: 'kubeedge-mapper' }),
      clock: deps.clock,
      registerAfter: running.ready,
    },
  );
  return {
    ...running,
    close: async () => {
      await mapper.close().catch((err: unknown) => deps.logger.warn({ err: (err as Error).message }, 'closing the KubeEdge mapper failed'));
      await running.close();
    },
  };
}

/** The mapper adds, changes and deletes devices and profiles: the metadata client must be able to. */
function asMapperMetadata(metadata: MetadataPort | MetadataClient): MapperMetadata {
  const needed: Array<keyof MapperMetadata> = ['deleteDevice', 'deleteProfile', 'updateProfile', 'devicesOfService'];
  const missing = needed.filter((method) => typeof (metadata as Partial<MapperMetadata>)[method] !== 'function');
  if (missing.length > 0) throw new Error(`KubeEdge mapper mode needs a metadata client with ${missing.join(', ')}`);
  return metadata as MapperMetadata;
}
