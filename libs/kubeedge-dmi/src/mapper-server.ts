/**
 * The mapper's own gRPC server: DeviceMapperService on a unix socket, the
 * calls edgecore makes when devices and models change in the cloud. Each
 * call is handed to MapperHandlers; an error's kind becomes the gRPC status
 * edgecore sees (INVALID_ARGUMENT for a bad object, NOT_FOUND, ...).
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { grpc as Grpc } from './dmi-proto';
import { loadDmi, unixTarget } from './dmi-proto';
import type { Device, DeviceModel } from './dmi-types';
import type { MapperLogger } from './log';
import type { KubeEdgeRef } from './mapping';
import { DEFAULT_NAMESPACE } from './mapping';

export interface MapperHandlers {
  registerDevice(device: Device): Promise<KubeEdgeRef>;
  updateDevice(device: Device): Promise<void>;
  removeDevice(ref: KubeEdgeRef): Promise<void>;
  createDeviceModel(model: DeviceModel): Promise<KubeEdgeRef>;
  updateDeviceModel(model: DeviceModel): Promise<void>;
  removeDeviceModel(ref: KubeEdgeRef): Promise<void>;
  getDevice(ref: KubeEdgeRef): Promise<Device>;
}

export interface MapperServer {
  close(): Promise<void>;
}

type Handler = (call: { request: Record<string, unknown> }) => Promise<unknown>;

export async function startMapperServer(grpc: typeof Grpc, socket: string, handlers: MapperHandlers, logger: MapperLogger): Promise<MapperServer> {
  const ref = (name: unknown, namespace: unknown): KubeEdgeRef => {
    if (typeof name !== 'string' || name === '') throw new GatewayError(ErrorKind.ContractInvalid, 'the device or model name is empty');
    return { name, namespace: typeof namespace === 'string' && namespace !== '' ? namespace : DEFAULT_NAMESPACE };
  };
  const methods: Record<string, Handler> = {
    RegisterDevice: async ({ request }) => {
      const done = await handlers.registerDevice(request.device as Device);
      return { deviceName: done.name, deviceNamespace: done.namespace };
    },
    UpdateDevice: async ({ request }) => handlers.updateDevice(request.device as Device).then(() => ({})),
    RemoveDevice: async ({ request }) => handlers.removeDevice(ref(request.deviceName, request.deviceNamespace)).then(() => ({})),
    CreateDeviceModel: async ({ request }) => {
      const done = await handlers.createDeviceModel(request.model as DeviceModel);
      return { deviceModelName: done.name, deviceModelNamespace: done.namespace };
    },
    UpdateDeviceModel: async ({ request }) => handlers.updateDeviceModel(request.model as DeviceModel).then(() => ({})),
    RemoveDeviceModel: async ({ request }) => handlers.removeDeviceModel(ref(request.modelName, request.modelNamespace)).then(() => ({})),
    GetDevice: async ({ request }) => ({ device: await handlers.getDevice(ref(request.deviceName, request.deviceNamespace)) }),
  };
  const server = new grpc.Server();
  const implementation = Object.fromEntries(
    Object.entries(methods).map(([name, handler]) => [
      name,
      (call: { request: Record<string, unknown> }, callback: Grpc.sendUnaryData<unknown>) => {
        handler(call).then(
          (response) => callback(null, response),
          (err: unknown) => {
            logger.warn({ call: name, err: (err as Error).message }, `edgecore's ${name} refused`);
            callback({ code: statusOf(grpc, err), details: (err as Error).message } as Grpc.ServiceError, null);
          },
        );
      },
    ]),
  );
  server.addService(loadDmi().DeviceMapperService.service, implementation);
  await removeStaleSocket(socket);
  await mkdir(dirname(socket), { recursive: true });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(unixTarget(socket), grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  logger.info({ socket }, 'serving the KubeEdge DeviceMapperService');
  return {
    close: async () => {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 2_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await rm(socket, { force: true });
    },
  };
}

/** A socket file left by a previous run would make the bind fail; anything else at that path is not ours to delete. */
async function removeStaleSocket(socket: string): Promise<void> {
  const found = await stat(socket).catch(() => undefined);
  if (!found) return;
  if (!found.isSocket()) throw new GatewayError(ErrorKind.Config, `GW_KUBEEDGE_MAPPER_SOCKET: ${socket} exists and is not a socket`);
  await rm(socket, { force: true });
}

function statusOf(grpc: typeof Grpc, err: unknown): number {
  if (!GatewayError.is(err)) return grpc.status.INTERNAL;
  switch (err.kind) {
    case ErrorKind.ContractInvalid:
      return grpc.status.INVALID_ARGUMENT;
    case ErrorKind.EntityNotFound:
      return grpc.status.NOT_FOUND;
    case ErrorKind.DuplicateName:
      return grpc.status.ALREADY_EXISTS;
    case ErrorKind.StatusConflict:
    case ErrorKind.ServiceLocked:
      return grpc.status.FAILED_PRECONDITION;
    case ErrorKind.Communication:
    case ErrorKind.ServiceUnavailable:
      return grpc.status.UNAVAILABLE;
    case ErrorKind.Timeout:
      return grpc.status.DEADLINE_EXCEEDED;
    default:
      return grpc.status.INTERNAL;
  }
}
