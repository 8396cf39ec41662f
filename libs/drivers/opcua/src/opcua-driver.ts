/**
 * The OPC UA ProtocolDriver: EdgeX device-opc-ua devices and profiles on one
 * shared session per endpoint (session-pool.ts). A GET reads all its nodes in
 * one Read service call (and calls all its methods in one Call); a PUT writes
 * all its nodes in one Write, coerced to each node's DataType. autoEvents on
 * variables are not polled: they become monitored items (monitor.ts) whose
 * notifications reach the SDK's push path, one event per source
 * (coalescer.ts). node-opcua loads with the first device, not before: this
 * module imports it for types only.
 */
import { AutoEvent, Device, DeviceProfile, DeviceResource, ErrorKind, GatewayError, parseDuration } from '@gw/contracts';
import type { CommandRequest, DiscoveredDevice, DriverContext, DriverRoute, ProtocolDriver, ReadResult, SecretSources, WriteRequest } from '@gw/device-sdk/driver';
import type { OpcuaSettings } from './descriptor';
import { OpcuaEndpoint, parseEndpoint } from './endpoint';
import { MethodPoint, objectNodeIdOf, OpcuaPoint, parseNodeAddress, parsePoint, VariablePoint } from './attributes';
import { discoveryRoutes } from './discovery/routes';
import { checkEndpointSecurity } from './security/check';
import { securityRoutes } from './security/routes';
import type { Pki } from './security/types';
import type * as Runtime from './runtime';
import type { ConnectionMonitor, MonitorSpec, OpcuaConnection, SecurityHooks } from './runtime';

type RuntimeModule = typeof Runtime;
type Loaded = { rt: RuntimeModule; pool: Runtime.SessionPool; coalescer: Runtime.SourceCoalescer };

interface DeviceEntry {
  endpoint: OpcuaEndpoint;
}

export interface OpcuaDriverOptions {
  /** Security hooks to use instead of src/security's (tests of the pool alone). */
  security?: (settings: OpcuaSettings, logger: DriverContext['logger']) => Promise<SecurityHooks>;
  /** Hears of every data-change notification as it arrives, before coalescing (bench/opcua.ts times notification -> event). */
  onNotification?: (deviceName: string, sourceName: string) => void;
}

export class OpcuaDriver implements ProtocolDriver {
  private context?: DriverContext;
  private runtimeOnce?: Promise<Loaded>;
  /** The same, once loaded. */
  private loadedRt?: Loaded;
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly monitors = new Map<string, ConnectionMonitor>();
  private readonly points = new WeakMap<DeviceResource, { device: string; attributes: unknown; object?: string; point: OpcuaPoint }>();
  private stopped = false;
  /** The one PKI of the driver (own certificate, trust list), made on first use: by the first device or a REST call. */
  private pkiOnce?: Promise<Pki>;

  constructor(
    readonly settings: OpcuaSettings,
    private readonly options: OpcuaDriverOptions = {},
  ) {}

  async initialize(context: DriverContext): Promise<void> {
    this.context = context;
  }

  async start(): Promise<void> {
    this.stopped = false;
  }

  async stop(_force: boolean): Promise<void> {
    this.stopped = true;
    for (const monitor of this.monitors.values()) monitor.close();
    this.monitors.clear();
    this.devices.clear();
    const runtime = this.runtimeOnce;
    if (runtime) await (await runtime.catch(() => undefined))?.pool.closeAll();
    const pki = this.pkiOnce;
    this.pkiOnce = undefined;
    if (pki) await (await pki.catch(() => undefined))?.dispose();
  }

  /** The trust list and certificates (src/security) and browse/profile drafts (src/discovery), under /api/v3/opcua/. */
  routes(): DriverRoute[] {
    return [...securityRoutes({ pki: () => this.pki(), logger: this.logger, settings: this.settings }), ...discoveryRoutes({ settings: this.settings, pki: () => this.pki() })];
  }

  /** Objects with variables on the servers of GW_OPCUA_DISCOVERY_ENDPOINTS (src/discovery). */
  async discover(): Promise<DiscoveredDevice[]> {
    // No servers to browse: nothing to load (node-opcua costs tens of MB) and nothing to find.
    if (!this.settings.discoveryEndpoints?.length) return [];
    const [{ discoverDevices }, { routeLibraryLogs }] = await Promise.all([import('./discovery/discover'), import('./library-logs')]);
    routeLibraryLogs(this.logger);
    return discoverDevices({ settings: this.settings, pki: () => this.pki(), logger: this.logger });
  }

  /**
   * POST /profilescan (EdgeX 4): drafts a profile from the device's object on
   * its own session (its endpoint and security), as GET /opcua/profiledraft
   * does for any object. `options`: `nodeId` (default: the device's
   * opcua.ObjectNodeId), `addressing` (`browsePath` from the device's object,
   * the default when it has one, or `nodeId`), `nodeIds` (`index` or `uri`).
   */
  async scanProfile(device: Device, options: Record<string, unknown>, signal: AbortSignal): Promise<Omit<DeviceProfile, 'name'>> {
    const scan = scanOptions(device, options);
    const entry = this.devices.get(device.name);
    if (!entry) throw new GatewayError(ErrorKind.EntityNotFound, `device "${device.name}" is not a device of the opcua driver`);
    const [{ rt, pool }, { profileDraft }] = await Promise.all([this.runtime(), import('./discovery/profile-draft')]);
    const connection = pool.get(entry.endpoint.key);
    if (!connection) throw new GatewayError(ErrorKind.EntityNotFound, `device "${device.name}" is not a device of the opcua driver (removed)`);
    const draft = await connection.request(`scanning device "${device.name}" for a profile`, async (session) => {
      const [id] = await rt.resolveNodes(session, [parseNodeAddress(scan.nodeId)], () => 'options.nodeId');
      return profileDraft(session, id, {
        endpoint: entry.endpoint.url,
        objectText: scan.nodeId,
        maxReferences: this.settings.browseMaxReferences,
        namespaceUris: scan.nodeIds === 'uri',
        relative: scan.addressing === 'browsePath',
      });
    });
    signal.throwIfAborted();
    for (const skipped of draft.skipped) this.logger.info({ device: device.name, variable: skipped.browseName, nodeId: skipped.nodeId }, `profile scan skipped a variable: ${skipped.reason}`);
    if (draft.profile.deviceResources.length === 0) {
      throw new GatewayError(ErrorKind.ContractInvalid, `options.nodeId: ${scan.nodeId} has no variable EdgeX can carry`);
    }
    if (draft.truncated) this.logger.warn({ device: device.name }, 'profile scan: the object has more variables than GW_OPCUA_BROWSE_MAX_REFERENCES; some are missing');
    const { name: _drafted, ...profile } = draft.profile;
    return profile;
  }

  private pki(): Promise<Pki> {
    // The PKI loads node-opcua (its client options): its console output goes to our logger from then on.
    this.pkiOnce ??= Promise.all([import('./security'), import('./library-logs')]).then(([security, { routeLibraryLogs }]) => {
      routeLibraryLogs(this.logger);
      return security.createPki(this.settings, this.logger);
    });
    this.pkiOnce.catch(() => (this.pkiOnce = undefined));
    return this.pkiOnce;
  }

  private get logger(): DriverContext['logger'] {
    return this.context?.logger ?? SILENT;
  }

  async validateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    this.check(device, profile);
  }

  async addDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    const endpoint = this.check(device, profile);
    const before = this.devices.get(device.name);
    const { pool, coalescer } = await this.runtime();
    if (this.stopped) return;
    this.devices.set(device.name, { endpoint });
    if (before && before.endpoint.key !== endpoint.key) {
      this.monitors.get(before.endpoint.key)?.setDevice(device.name, []);
      await this.release(before.endpoint.key, device.name);
      coalescer.forget(device.name);
    }
    const connection = pool.acquire(endpoint, device.name);
    this.monitorOf(connection).setDevice(device.name, this.specsFor(device, profile));
    this.context?.logger.debug({ device: device.name, endpoint: endpoint.url }, 'opcua device added');
  }

  async updateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    await this.addDevice(device, profile);
  }

  async removeDevice(device: Device): Promise<void> {
    const entry = this.devices.get(device.name);
    if (!entry) return;
    this.devices.delete(device.name);
    this.monitors.get(entry.endpoint.key)?.setDevice(device.name, []);
    const runtime = await this.runtime();
    runtime.coalescer.forget(device.name);
    await this.release(entry.endpoint.key, device.name);
  }

  /**
   * An autoEvent is watched as monitored items when every resource of its
   * source is a variable (nodeId); a method source is polled by the SDK.
   */
  monitorsAutoEvent(device: Device, profile: DeviceProfile, autoEvent: AutoEvent): boolean {
    return this.sourceVariables(device, profile, autoEvent.sourceName) !== undefined;
  }

  async read(device: Device, profile: DeviceProfile, requests: CommandRequest[]): Promise<ReadResult[]> {
    if (requests.length === 0) return [];
    const points = requests.map((r) => this.pointOf(device, r));
    const connection = await this.connectionOf(device, profile);
    const { rt } = await this.runtime();
    const where = (i: number) => `device "${device.name}" resource "${requests[i].resource.name}" ${describe(points[i])}`;
    return connection.request(`reading ${requests.length} resource(s) of device "${device.name}"`, async (session) => {
      const results = new Array<ReadResult>(requests.length);
      const variables = points.flatMap((p, i) => (p.kind === 'variable' ? [{ p, i }] : []));
      const methods = points.flatMap((p, i) => (p.kind === 'method' ? [{ p, i }] : []));
      if (variables.length > 0) {
        const nodeIds = await rt.resolveNodes(session, variables.map((v) => v.p.node), (k) => where(variables[k].i));
        const values = await session.read(
          nodeIds.map((nodeId) => ({ nodeId, attributeId: rt.AttributeIds.Value })),
          this.settings.readMaxAge,
        );
        values.forEach((dv, k) => {
          const { i } = variables[k];
          if (rt.isBad(dv.statusCode)) throw rt.statusError(dv.statusCode, where(i));
          results[i] = { value: decodeOrThrow(rt, dv.value, requests[i].valueType, where(i)), origin: rt.originOf(dv) };
        });
      }
      if (methods.length > 0) {
        const calls = [];
        for (const { p, i } of methods) {
          const [objectId, methodId] = await rt.resolveNodes(session, [p.object, p.method], () => where(i));
          const { inputs } = await rt.methodInputs(session, methodId).catch((err: unknown) => {
            throw new GatewayError(ErrorKind.ContractInvalid, `${where(i)}: cannot read the method's arguments (${(err as Error).message})`, { cause: err });
          });
          if (p.inputs.length !== inputs.length) {
            throw new GatewayError(ErrorKind.ContractInvalid, `${where(i)}: attribute inputMap has ${p.inputs.length} value(s), the method takes ${inputs.length}`);
          }
          const types = await Promise.all(inputs.map((input) => rt.basicTypeOf(session, input.dataType)));
          const inputArguments = p.inputs.map((text, k) =>
            rt.coerceInput(text, types[k] ?? rt.DataType.String, (inputs[k].valueRank ?? -1) >= 1, () => `${where(i)} inputMap[${k}] (${inputs[k].name})`),
          );
          calls.push({ objectId, methodId, inputArguments });
        }
        const answers = await session.call(calls);
        answers.forEach((answer, k) => {
          const { i } = methods[k];
          if (rt.isBad(answer.statusCode)) throw rt.statusError(answer.statusCode, where(i));
          const bad = (answer.inputArgumentResults ?? []).findIndex((s) => rt.isBad(s));
          if (bad >= 0) throw rt.statusError(answer.inputArgumentResults![bad], `${where(i)} inputMap[${bad}]`);
          const first = answer.outputArguments?.[0];
          if (!first) throw new GatewayError(ErrorKind.ContractInvalid, `${where(i)}: the method returned no output argument to read`);
          results[i] = { value: decodeOrThrow(rt, first, requests[i].valueType, where(i)) };
        });
      }
      return results;
    });
  }

  async write(device: Device, profile: DeviceProfile, requests: WriteRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const points = requests.map((r) => this.pointOf(device, r));
    const where = (i: number) => `device "${device.name}" resource "${requests[i].resource.name}" ${describe(points[i])}`;
    points.forEach((p, i) => {
      if (p.kind === 'method') throw new GatewayError(ErrorKind.NotAllowed, `${where(i)}: a method resource is called by a read; it cannot be written`);
    });
    const connection = await this.connectionOf(device, profile);
    const { rt } = await this.runtime();
    await connection.request(`writing ${requests.length} resource(s) of device "${device.name}"`, async (session) => {
      const nodeIds = await rt.resolveNodes(session, (points as VariablePoint[]).map((p) => p.node), where);
      const dataTypes = await rt.dataTypesOf(session, nodeIds);
      const nodesToWrite = nodeIds.map((nodeId, i) => ({
        nodeId,
        attributeId: rt.AttributeIds.Value,
        value: { value: new rt.Variant(rt.encodeVariant(requests[i].value, requests[i].valueType, dataTypes[i], () => where(i))) },
      }));
      const statuses = await session.write(nodesToWrite);
      statuses.forEach((status, i) => {
        if (rt.isBad(status)) throw rt.statusError(status, where(i));
      });
    });
  }

  /** The connections and their monitors (tests, metrics). */
  inspect(): Array<{ endpoint: string; devices: string[]; state: string; generation: number; items: number; subscriptions: number; subscriptionsEnded: number }> {
    return [...this.monitors.entries()].map(([key, monitor]) => {
      const connection = this.connectionByKey(key);
      return {
        endpoint: connection?.endpoint.url ?? key.split('|')[0],
        devices: [...(connection?.users ?? [])],
        state: connection?.stats().state ?? 'closed',
        generation: connection?.generation ?? 0,
        items: monitor.itemCount,
        subscriptions: monitor.subscriptionCount,
        subscriptionsEnded: monitor.subscriptionsEnded,
      };
    });
  }

  /** Resolves when the monitored item changes asked so far are done. */
  async settled(): Promise<void> {
    await Promise.all([...this.monitors.values()].map((m) => m.idle()));
  }

  /** Notifications seen, duplicates dropped, pushes made. */
  async notificationStats(): Promise<Runtime.CoalescerStats | undefined> {
    return this.runtimeOnce ? (await this.runtimeOnce).coalescer.stats : undefined;
  }

  private connectionByKey(key: string): OpcuaConnection | undefined {
    return this.loadedRt?.pool.get(key);
  }

  private runtime(): Promise<Loaded> {
    this.runtimeOnce ??= (async () => {
      const started = Date.now();
      const rt = await import('./runtime');
      const logger = this.context?.logger ?? SILENT;
      rt.routeLibraryLogs(logger);
      const security = await (this.options.security ?? ((settings) => this.securityHooks(settings)))(this.settings, logger);
      const pool = new rt.SessionPool({ settings: this.settings, logger, security });
      const coalescer = new rt.SourceCoalescer((values) => this.context?.pushValues(values), logger);
      this.loadedRt = { rt, pool, coalescer };
      logger.info({ ms: Date.now() - started }, 'opcua client library loaded (first OPC UA device)');
      return { rt, pool, coalescer };
    })();
    this.runtimeOnce.catch(() => (this.runtimeOnce = undefined));
    return this.runtimeOnce;
  }

  private monitorOf(connection: OpcuaConnection): ConnectionMonitor {
    let monitor = this.monitors.get(connection.key);
    if (!monitor) {
      const { rt, coalescer } = this.loadedRt!;
      const observe = this.options.onNotification;
      const sink: Runtime.NotificationSink = observe
        ? {
            offer: (spec, value, first) => {
              observe(spec.deviceName, spec.sourceName);
              coalescer.offer(spec, value, first);
            },
            unavailable: coalescer.unavailable,
          }
        : coalescer;
      monitor = new rt.ConnectionMonitor(connection, this.settings, sink, this.context?.logger ?? SILENT);
      this.monitors.set(connection.key, monitor);
    }
    return monitor;
  }


  private async release(key: string, deviceName: string): Promise<void> {
    const { pool } = await this.runtime();
    const connection = pool.get(key);
    if (connection && connection.users.size === 1 && connection.users.has(deviceName)) {
      this.monitors.get(key)?.close();
      this.monitors.delete(key);
    }
    await pool.release(key, deviceName);
  }

  private async connectionOf(device: Device, profile: DeviceProfile): Promise<OpcuaConnection> {
    const entry = this.devices.get(device.name);
    if (!entry) {
      this.check(device, profile); // a refused device: say why
      throw new GatewayError(ErrorKind.EntityNotFound, `device "${device.name}" is not a device of the opcua driver (never added, or removed)`);
    }
    const { pool } = await this.runtime();
    const connection = pool.get(entry.endpoint.key);
    if (!connection) throw new GatewayError(ErrorKind.EntityNotFound, `device "${device.name}" is not a device of the opcua driver (removed)`);
    return connection;
  }

  /** Where `${env:...}`, `${file:...}` and `${secret:NAME/KEY}` (the service's POST /api/v3/secret store) in a Password resolve. */
  private secretSources(): SecretSources {
    return { env: process.env, baseDir: process.cwd(), store: this.context?.secrets };
  }

  /** src/security's client options per endpoint and readable connect failures, on the driver's PKI. */
  private async securityHooks(settings: OpcuaSettings): Promise<SecurityHooks> {
    const security = await import('./security');
    const pki = await this.pki();
    return {
      clientOptions: (endpoint) => security.clientSecurityOptions(settings, pki, endpoint, undefined, this.secretSources()),
      describeFailure: (err, endpoint) => security.describeConnectFailure(err, endpoint, pki),
    };
  }

  private check(device: Device, profile?: DeviceProfile): OpcuaEndpoint {
    const endpoint = parseEndpoint(device, this.settings);
    checkEndpointSecurity(this.settings, endpoint, device.name, this.secretSources());
    for (const resource of profile?.deviceResources ?? []) this.pointOf(device, { resource, attributes: resource.attributes ?? {} });
    return endpoint;
  }

  private pointOf(device: Device, request: Pick<CommandRequest, 'resource' | 'attributes'>): OpcuaPoint {
    const { resource } = request;
    const attributes = request.attributes ?? resource.attributes;
    const object = objectNodeIdOf(device.protocols as Record<string, Record<string, unknown>> | undefined);
    const cached = this.points.get(resource);
    if (cached && cached.device === device.name && cached.attributes === attributes && cached.object === object) return cached.point;
    const point = parsePoint(device.name, resource.name, attributes, object);
    this.points.set(resource, { device: device.name, attributes, object, point });
    return point;
  }

  /** The variable resources of a source (a resource, or a command's resources), or undefined if one is not a readable variable. */
  private sourceVariables(device: Device, profile: DeviceProfile, sourceName: string): Array<{ resource: DeviceResource; point: VariablePoint }> | undefined {
    const command = profile.deviceCommands?.find((c) => c.name === sourceName);
    const names = command ? command.resourceOperations.map((o) => o.deviceResource) : [sourceName];
    const out: Array<{ resource: DeviceResource; point: VariablePoint }> = [];
    for (const name of names) {
      const resource = profile.deviceResources.find((r) => r.name === name);
      if (!resource || resource.properties.readWrite === 'W') return undefined;
      let point: OpcuaPoint;
      try {
        point = this.pointOf(device, { resource, attributes: resource.attributes ?? {} });
      } catch {
        return undefined;
      }
      if (point.kind !== 'variable') return undefined;
      out.push({ resource, point });
    }
    return out.length > 0 ? out : undefined;
  }

  private specsFor(device: Device, profile?: DeviceProfile): MonitorSpec[] {
    if (!profile || device.adminState === 'LOCKED') return [];
    const specs: MonitorSpec[] = [];
    const seen = new Set<string>();
    for (const autoEvent of device.autoEvents ?? []) {
      const variables = this.sourceVariables(device, profile, autoEvent.sourceName);
      if (!variables) continue;
      const samplingMs = Math.max(0, Math.round(parseDuration(autoEvent.interval)));
      const sourceResources = variables.map((v) => v.resource.name);
      for (const { resource, point } of variables) {
        const key = `${autoEvent.sourceName}\u0000${resource.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const threshold = autoEvent.onChange && autoEvent.onChangeThreshold ? autoEvent.onChangeThreshold : undefined;
        specs.push({
          deviceName: device.name,
          sourceName: autoEvent.sourceName,
          resourceName: resource.name,
          valueType: resource.properties.valueType,
          node: point.node,
          samplingMs,
          onChange: autoEvent.onChange ?? false,
          deadband: point.deadband ?? (threshold ? { type: 'Absolute', value: threshold } : undefined),
          sourceResources,
        });
      }
    }
    return specs;
  }
}

const SILENT: DriverContext['logger'] = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function describe(point: OpcuaPoint): string {
  return point.kind === 'variable' ? `node ${point.node.text}` : `method ${(point as MethodPoint).method.text} on ${point.object.text}`;
}

function decodeOrThrow(rt: RuntimeModule, variant: Runtime.Variant, valueType: CommandRequest['valueType'], where: string) {
  try {
    return rt.decodeVariant(variant, valueType);
  } catch (err) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${where}: ${(err as Error).message}`, { cause: err });
  }
}

/** The profile scan's options, checked: which object, and how the draft addresses its variables. */
function scanOptions(device: Device, options: Record<string, unknown>): { nodeId: string; addressing: 'nodeId' | 'browsePath'; nodeIds: 'index' | 'uri' } {
  const own = objectNodeIdOf(device.protocols);
  const nodeId = options.nodeId ?? own;
  if (typeof nodeId !== 'string' || nodeId === '') {
    throw new GatewayError(ErrorKind.ContractInvalid, `options.nodeId: give the OPC UA object whose variables become the profile's resources (device "${device.name}" has no opcua.ObjectNodeId)`);
  }
  const addressing = options.addressing ?? (own !== undefined && nodeId === own ? 'browsePath' : 'nodeId');
  if (addressing !== 'nodeId' && addressing !== 'browsePath') throw new GatewayError(ErrorKind.ContractInvalid, 'options.addressing: expected nodeId or browsePath');
  const nodeIds = options.nodeIds ?? 'index';
  if (nodeIds !== 'index' && nodeIds !== 'uri') throw new GatewayError(ErrorKind.ContractInvalid, 'options.nodeIds: expected index or uri');
  return { nodeId, addressing, nodeIds };
}
