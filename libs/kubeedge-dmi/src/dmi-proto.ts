/**
 * The DMI v1beta1 services, loaded from the vendored proto with
 * @grpc/proto-loader. This file imports @grpc/grpc-js: only mapper mode (and
 * its tests) load it, through a dynamic import, so a device service that is
 * not a KubeEdge mapper never loads gRPC.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export { grpc };

const PROTO = join('libs', 'kubeedge-dmi', 'proto', 'api.proto');

/**
 * The vendored api.proto: next to the sources (ts-node, Jest) or, from the
 * compiled dist/libs/kubeedge-dmi/src, in the tree the build came from
 * (the Docker image copies libs/kubeedge-dmi/proto beside dist/).
 */
export function protoPath(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, PROTO);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`the KubeEdge DMI proto (${PROTO}) was not found above ${from}`);
  }
}

export interface DmiServices {
  /** edgecore's side: MapperRegister, ReportDeviceStatus, ReportDeviceStates. */
  DeviceManagerService: grpc.ServiceClientConstructor;
  /** The mapper's side: RegisterDevice, RemoveDevice, UpdateDevice, *DeviceModel, GetDevice. */
  DeviceMapperService: grpc.ServiceClientConstructor;
}

let loaded: DmiServices | undefined;

/** Field names as in the proto, int64 as numbers, defaults filled in, bytes as Buffers. */
export function loadDmi(): DmiServices {
  if (loaded) return loaded;
  const definition = loadSync(protoPath(), { keepCase: true, longs: Number, enums: String, defaults: true, arrays: true, objects: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { v1beta1: DmiServices };
  loaded = pkg.v1beta1;
  return loaded;
}

/** The gRPC target of a unix socket path. */
export const unixTarget = (socket: string): string => `unix:${socket}`;
