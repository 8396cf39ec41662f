/**
 * The mapper's own gRPC server: DeviceMapperService on a unix socket, the
 * calls edgecore makes when devices and models change in the cloud. Each
 * call is handed to MapperHandlers; an error's kind becomes the gRPC status
 * edgecore sees (INVALID_ARGUMENT for a bad object, NOT_FOUND, ...).
 */
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
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
      const done = await handlers.registerDevice(present<Device>(request.device, 'device'));
      return { deviceName: done.name, deviceNamespace: done.namespace };
    },
    UpdateDevice: async ({ request }) => handlers.updateDevice(present<Device>(request.device, 'device')).then(() => ({})),
    RemoveDevice: async ({ request }) => handlers.removeDevice(ref(request.deviceName, request.deviceNamespace)).then(() => ({})),
    CreateDeviceModel: async ({ request }) => {
      const done = await handlers.createDeviceModel(present<DeviceModel>(request.model, 'model'));
      return { deviceModelName: done.name, deviceModelNamespace: done.namespace };
    },
    UpdateDeviceModel: async ({ request }) => handlers.updateDeviceModel(present<DeviceModel>(request.model, 'model')).then(() => ({})),
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
  await mkdir(dirname(socket), { recursive: true, mode: 0o700 });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(unixTarget(socket), grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  // Whoever can connect can add and remove devices, write actuators and read configData: the service's user only
  // (edgecore runs as root). Between the bind and this chmod the directory guards it when it is ours (0700).
  try {
    await chmod(socket, 0o600);
  } catch (err) {
    server.forceShutdown();
    await rm(socket, { force: true });
    throw err;
  }
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

/**
 * A socket file left by a previous run would make the bind fail: it is
 * removed when nothing answers on it. One a live process serves (another
 * instance of this service) and anything that is not a socket are not ours
 * to delete.
 */
async function removeStaleSocket(socket: string): Promise<void> {
  const found = await stat(socket).catch(() => undefined);
  if (!found) return;
  if (!found.isSocket()) throw new GatewayError(ErrorKind.Config, `GW_KUBEEDGE_MAPPER_SOCKET: ${socket} exists and is not a socket`);
  const answered = await new Promise<boolean>((resolve, reject) => {
    const probe = connect(socket);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? resolve(false) : reject(err)));
  });
  if (answered) throw new GatewayError(ErrorKind.Config, `GW_KUBEEDGE_MAPPER_SOCKET: ${socket} is served by a running process (another instance of this service?)`);
  await rm(socket, { force: true });
}

function present<T>(value: unknown, field: string): T {
  if (!value || typeof value !== 'object') throw new GatewayError(ErrorKind.ContractInvalid, `${field} is missing`);
  return value as T;
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
