/**
 * edgecore's side of KubeEdge's DMI v1beta1, as far as a mapper sees it: a
 * DeviceManagerService on a unix socket (from the same vendored proto the
 * mapper uses) that records MapperRegister, ReportDeviceStatus and
 * ReportDeviceStates, answers MapperRegister with the devices and models it
 * holds (edgecore's dmiserver: only when withData, and only devices of the
 * mapper's protocol), and calls the mapper's DeviceMapperService at the
 * address the mapper registered, as edgecore's dmiclient does. Like edgecore
 * (CreateMessageTwinUpdate) it refuses a twin without `reported` or
 * `observedDesired`, and like edgecore's dmiserver it rate-limits the three
 * calls together (rate.NewLimiter(rate.Every(1000ms), 100): 1 call/s, burst
 * 100; over it: "fail to ... because of too many request", gRPC UNKNOWN). configData values are wrapped as edgecore wraps them
 * (dtcommon.dataToAny), with protobufjs's own wrapper types.
 */
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import * as protobuf from 'protobufjs';
import type {
  CustomizedValue,
  Device,
  DeviceModel,
  MapperRegisterRequest,
  ReportDeviceStatesRequest,
  ReportDeviceStatusRequest,
} from '@gw/kubeedge-dmi';
import { grpc, loadDmi } from '../../libs/kubeedge-dmi/src/dmi-proto';

const wrappers = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/wrappers.proto')!);

/** A CRD value as edgecore puts it into an Any (dtcommon.dataToAny): string, int (Int32Value), float (FloatValue), bool. */
export function edgecoreAny(value: string | number | boolean): { type_url: string; value: Buffer } {
  const [type, field] =
    typeof value === 'string' ? ['StringValue', value] : typeof value === 'boolean' ? ['BoolValue', value] : Number.isInteger(value) ? ['Int32Value', value] : ['FloatValue', value];
  const message = wrappers.lookupType(`google.protobuf.${type}`);
  return { type_url: `type.googleapis.com/google.protobuf.${type}`, value: Buffer.from(message.encode(message.create({ value: field })).finish()) };
}

export function configData(values: Record<string, string | number | boolean>): CustomizedValue {
  return { data: Object.fromEntries(Object.entries(values).map(([key, value]) => [key, edgecoreAny(value)])) };
}

/**
 * The objects edgecore hands a mapper for KubeEdge Device and DeviceModel
 * CRDs (devicetwin's conversion: deviceModelRef becomes deviceModelReference,
 * every configData value wrapped as dataToAny wraps it).
 */
export function dmiObjects(crds: Array<{ kind: string; metadata: { name: string; namespace?: string }; spec: any }>): { models: DeviceModel[]; devices: Device[] } {
  const wrap = (values: Record<string, unknown> | undefined) => configData((values ?? {}) as Record<string, string | number | boolean>);
  const models: DeviceModel[] = [];
  const devices: Device[] = [];
  for (const { kind, metadata, spec } of crds) {
    if (kind === 'DeviceModel') models.push({ name: metadata.name, namespace: metadata.namespace, spec: { properties: spec.properties } });
    if (kind !== 'Device') continue;
    devices.push({
      name: metadata.name,
      namespace: metadata.namespace,
      spec: {
        deviceModelReference: spec.deviceModelRef.name,
        protocol: spec.protocol && { protocolName: spec.protocol.protocolName, configData: wrap(spec.protocol.configData) },
        properties: (spec.properties ?? []).map((p: any) => ({ ...p, visitors: p.visitors && { protocolName: p.visitors.protocolName, configData: wrap(p.visitors.configData) } })),
      },
    });
  }
  return { models, devices };
}

type Unary = (request: unknown, callback: (err: grpc.ServiceError | null, response: any) => void) => void;

interface Recorded {
  register: MapperRegisterRequest;
  status: ReportDeviceStatusRequest;
  states: ReportDeviceStatesRequest;
}

/** edgecore's dmiserver limiter: Limit = 1000 ms per call, Burst = 100. */
export const EDGECORE_LIMIT = { perSecond: 1, burst: 100 };

export class FakeEdgecore {
  /** Calls refused as over the rate limit, by kind. */
  readonly refused: Record<keyof Recorded, number> = { register: 0, status: 0, states: 0 };
  private tokens: number;
  private lastRefill = Date.now();
  /** Every call taken, in order. */
  readonly calls: Array<keyof Recorded> = [];
  readonly registrations: MapperRegisterRequest[] = [];
  readonly statusReports: ReportDeviceStatusRequest[] = [];
  readonly stateReports: ReportDeviceStatesRequest[] = [];
  private readonly events = new EventEmitter();
  private mapperClient: (grpc.Client & Record<string, Unary>) | undefined;

  private constructor(
    private readonly server: grpc.Server,
    readonly socket: string,
    /** What MapperRegister answers with (withData). */
    readonly held: { models: DeviceModel[]; devices: Device[] },
    private readonly limit: { perSecond: number; burst: number },
  ) {
    this.events.setMaxListeners(100);
    this.tokens = limit.burst;
  }

  static async start(
    socket: string,
    held: { models: DeviceModel[]; devices: Device[] } = { models: [], devices: [] },
    limit: { perSecond: number; burst: number } = EDGECORE_LIMIT,
  ): Promise<FakeEdgecore> {
    const server = new grpc.Server();
    const edgecore = new FakeEdgecore(server, socket, held, limit);
    const what = { register: 'register mapper', status: 'report device status', states: 'report device states' };
    const unary =
      <K extends keyof Recorded>(kind: K, answer: (request: Recorded[K]) => unknown) =>
      (call: { request: Recorded[K] }, callback: grpc.sendUnaryData<unknown>) => {
        if (!edgecore.allow()) {
          edgecore.refused[kind]++;
          edgecore.events.emit('refused', kind);
          const name = (call.request as { deviceName?: string; mapper?: { name?: string } }).deviceName ?? (call.request as MapperRegisterRequest).mapper?.name;
          callback({ code: grpc.status.UNKNOWN, details: `fail to ${what[kind]} because of too many request: ${name}` } as grpc.ServiceError, null);
          return;
        }
        try {
          const response = answer(call.request);
          edgecore.record(kind, call.request);
          callback(null, response);
        } catch (err) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message } as grpc.ServiceError, null);
        }
      };
    server.addService(loadDmi().DeviceManagerService.service, {
      MapperRegister: unary('register', (request) => {
        if (!request.mapper?.protocol) throw new Error('fail to register mapper because the protocol is nil');
        if (!request.withData) return {};
        const devices = edgecore.held.devices.filter((d) => d.spec?.protocol?.protocolName === request.mapper.protocol);
        const models = devices.map((d) => edgecore.held.models.find((m) => m.name === d.spec?.deviceModelReference && m.namespace === d.namespace)!);
        return { deviceList: devices, modelList: models };
      }),
      ReportDeviceStatus: unary('status', (request) => {
        const twins = request.reportedDevice?.twins ?? [];
        if (twins.length === 0) throw new Error('ReportDeviceStatusRequest does not have twin data');
        for (const twin of twins) {
          if (!twin.reported || !twin.observedDesired) throw new Error(`twin ${twin.propertyName} lacks reported or observedDesired`);
        }
        return {};
      }),
      ReportDeviceStates: unary('states', (request) => {
        if (!request.state || !request.deviceName) throw new Error('ReportDeviceStatesRequest is invalid data');
        return {};
      }),
    });
    await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    return edgecore;
  }

  /** Other mappers used up the shared limit: every call is refused until a token has built up again. */
  exhaust(): void {
    this.tokens = 0;
    this.lastRefill = Date.now();
  }

  /** rate.Limiter.Allow(): takes a token when there is one. */
  private allow(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.limit.perSecond);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How many records of `kind` arrived so far (a later waitFor's `since`). */
  count(kind: keyof Recorded): number {
    return this.list(kind).length;
  }

  /** The first record of `kind` from number `since` on, already received or still to come, that `match` accepts. */
  /** The next call of `kind` refused as over the rate limit. */
  nextRefused(kind: keyof Recorded): Promise<void> {
    return new Promise((resolve) => {
      const listener = (refused: keyof Recorded) => {
        if (refused !== kind) return;
        this.events.off('refused', listener);
        resolve();
      };
      this.events.on('refused', listener);
    });
  }

  waitFor<K extends keyof Recorded>(kind: K, match: (record: Recorded[K]) => boolean = () => true, timeoutMs = 15_000, since = 0): Promise<Recorded[K]> {
    const list = this.list(kind);
    const found = list.slice(since).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off(kind, listener);
        reject(new Error(`no ${kind} record matched within ${timeoutMs} ms; got ${JSON.stringify(list.slice(-5))}`));
      }, timeoutMs);
      const listener = (record: Recorded[K]) => {
        if (!match(record)) return;
        clearTimeout(timer);
        this.events.off(kind, listener);
        resolve(record);
      };
      this.events.on(kind, listener);
    });
  }

  /** Calls the mapper's DeviceMapperService (at the address of its last registration). */
  call<T = any>(method: string, request: unknown): Promise<T> {
    if (!this.mapperClient) {
      const address = this.registrations.at(-1)?.mapper.address;
      if (!address) throw new Error('no mapper has registered');
      const { DeviceMapperService } = loadDmi();
      this.mapperClient = new DeviceMapperService(`unix:${Buffer.from(address).toString()}`, grpc.credentials.createInsecure()) as never;
    }
    return new Promise((resolve, reject) =>
      this.mapperClient![method](request, (err, response) => (err ? reject(err) : resolve(response as T))),
    );
  }

  async stop(): Promise<void> {
    this.mapperClient?.close();
    this.server.forceShutdown();
    await rm(this.socket, { force: true });
  }

  private list<K extends keyof Recorded>(kind: K): Recorded[K][] {
    return (kind === 'register' ? this.registrations : kind === 'status' ? this.statusReports : this.stateReports) as Recorded[K][];
  }

  private record<K extends keyof Recorded>(kind: K, request: Recorded[K]): void {
    this.list(kind).push(request);
    this.calls.push(kind);
    this.events.emit(kind, request);
  }
}
