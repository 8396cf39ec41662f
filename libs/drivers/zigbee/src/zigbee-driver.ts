/**
 * The ZigBee ProtocolDriver: one coordinator (zigbee-herdsman) whose joined
 * devices are EdgeX devices named by their IEEE address. Interviewed devices
 * get a profile generated from their converter definition (profile/); their
 * attribute reports reach the SDK's push path through fromZigbee; a PUT goes
 * through convertSet, a GET through convertGet (the answer comes back as a
 * message). Availability (last seen, pings of routers) drives the operating
 * state. herdsman loads only when a coordinator is configured and the service
 * starts: this module imports it for types only.
 */
import { AutoEvent, Device, DeviceProfile, ErrorKind, GatewayError, OperatingState, withTimeout } from '@gw/contracts';
import type { CommandRequest, DiscoveredDevice, DriverContext, DriverRoute, ProtocolDriver, RawValue, ReadResult, WriteRequest } from '@gw/device-sdk/driver';
import type { Events, Models } from 'zigbee-herdsman';
import type { Definition } from 'zigbee-herdsman-converters';
import { ieeeOf, pointOf, ZigbeePoint } from './attributes';
import type { ZigbeeSettings } from './descriptor';
import { generateProfile } from './profile/generate';
import { zigbeeRoutes } from './routes';
import type * as Runtime from './runtime';
import { toConverterValue, toResourceValue } from './values';

type RuntimeModule = typeof Runtime;

/** A device joined, interviewed and given a profile: what the SDK is asked to register (DriverContext.provision). */
export type Provisioning = Parameters<NonNullable<DriverContext['provision']>>[0];

export interface ZigbeeStats {
  messages: number;
  /** Values pushed to the SDK. */
  readings: number;
  /** Messages no converter handles, and properties the device's profile has no resource for: counted, logged at debug, never fatal. */
  unknown: number;
  /** Converter failures (a malformed payload). */
  convertErrors: number;
  joined: number;
  interviewed: number;
  provisioned: number;
}

interface Entry {
  device: Device;
  ieee: string;
  /** Resources by converter property. */
  byProperty: Map<string, Array<{ resourceName: string; point: ZigbeePoint; valueType: DeviceProfile['deviceResources'][number]['properties']['valueType'] }>>;
}

export interface JoinedDevice {
  ieeeAddress: string;
  interview: 'started' | 'successful' | 'failed' | 'joined';
  modelID?: string;
  model?: string;
  vendor?: string;
  profileName?: string;
  at: string;
}

const SILENT: DriverContext['logger'] = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export class ZigbeeDriver implements ProtocolDriver {
  private context?: DriverContext;
  private runtimeOnce?: Promise<RuntimeModule>;
  private rt?: RuntimeModule;
  private coordinator?: Runtime.Coordinator;
  private readonly devices = new Map<string, Entry>();
  private readonly byIeee = new Map<string, string>();
  private readonly states = new Map<string, Record<string, unknown>>();
  private readonly definitions = new Map<string, Definition | null>();
  private readonly joined = new Map<string, JoinedDevice>();
  private readonly availability = new Map<string, OperatingState>();
  /** Reads waiting for a property's answer, by `<ieee>|<property>`. */
  private readonly waiters = new Map<string, Array<() => void>>();
  private sweepTimer?: NodeJS.Timeout;
  private readonly counters: ZigbeeStats = { messages: 0, readings: 0, unknown: 0, convertErrors: 0, joined: 0, interviewed: 0, provisioned: 0 };

  constructor(readonly settings: ZigbeeSettings) {}

  async initialize(context: DriverContext): Promise<void> {
    this.context = context;
  }

  private get logger(): DriverContext['logger'] {
    return this.context?.logger ?? SILENT;
  }

  /** Whether herdsman has been loaded. */
  get loaded(): boolean {
    return this.runtimeOnce !== undefined;
  }

  stats(): ZigbeeStats {
    return { ...this.counters };
  }

  async start(): Promise<void> {
    if (!this.settings.serialPort) {
      this.logger.info({}, 'no zigbee coordinator configured (GW_ZIGBEE_SERIAL_PORT): profiles on demand only');
      return;
    }
    const rt = await this.runtime();
    this.coordinator = new rt.Coordinator({ ...this.settings, serialPort: this.settings.serialPort }, this.logger, {
      connected: (controller) => this.attach(controller),
      disconnected: () => undefined,
    });
    this.coordinator.start();
    const every = Math.min(60_000, Math.max(1_000, Math.min(this.settings.availabilityPing, this.settings.endDeviceTimeout, this.settings.routerTimeout) / 2));
    this.sweepTimer = setInterval(() => void this.checkAvailability().catch((err) => this.logger.warn({ err: (err as Error).message }, 'zigbee availability check failed')), every);
    this.sweepTimer.unref();
  }

  async stop(_force: boolean): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const coordinator = this.coordinator;
    this.coordinator = undefined;
    await coordinator?.stop();
    this.devices.clear();
    this.byIeee.clear();
  }

  /** The coordinator's state for GET /api/v3/zigbee/coordinator. */
  coordinatorState(): Runtime.CoordinatorState {
    return this.coordinator?.state ?? { state: 'not configured' };
  }

  /** Devices seen joining or interviewed since start, newest last. */
  joinedDevices(): JoinedDevice[] {
    return [...this.joined.values()];
  }

  routes(): DriverRoute[] {
    return zigbeeRoutes({
      settings: this.settings,
      coordinator: () => this.coordinatorState(),
      joined: () => this.joinedDevices(),
      permitJoin: (seconds, via) => this.permitJoin(seconds, via),
      profileOf: (model) => this.profileOfModel(model),
    });
  }

  /** The profile the service would generate for a vendor model or Zigbee modelID (loads that model's definition only). */
  async profileOfModel(model: string): Promise<ReturnType<typeof generateProfile> | undefined> {
    const rt = await this.runtime();
    const definition = await rt.resolveDefinition(model);
    return definition ? generateProfile(definition, rt.exposesOf(definition)) : undefined;
  }

  async permitJoin(seconds: number, via?: string): Promise<{ seconds: number; via?: string }> {
    const controller = this.controllerOrThrow('permit join');
    let router: Models.Device | undefined;
    if (via) {
      const ieee = via.startsWith('0x') ? via.toLowerCase() : ieeeOfName(this.devices, via);
      router = ieee ? controller.getDeviceByIeeeAddr(ieee) : undefined;
      if (!router) throw new GatewayError(ErrorKind.EntityNotFound, `field via: no joined device ${JSON.stringify(via)}`);
      if (router.type !== 'Router') throw new GatewayError(ErrorKind.ContractInvalid, `field via: ${via} is a ${router.type}, not a router`);
    }
    await controller.permitJoin(seconds, router);
    this.logger.info({ seconds, via: router?.ieeeAddr }, seconds > 0 ? 'zigbee permit join open' : 'zigbee permit join closed');
    return { seconds, ...(router ? { via: router.ieeeAddr } : {}) };
  }

  /**
   * Interviewed devices of a known model: those in herdsman's database (also
   * from before a restart) and those interviewed since start. The SDK skips
   * the ones metadata has.
   */
  async discover(): Promise<DiscoveredDevice[]> {
    const found = new Map<string, JoinedDevice>();
    for (const j of this.joined.values()) if (j.interview === 'successful' && j.model) found.set(j.ieeeAddress, j);
    const controller = this.coordinator?.controller;
    if (controller) {
      for (const zdevice of controller.getDevicesIterator((d) => d.type !== 'Coordinator' && d.interviewState === 'SUCCESSFUL')) {
        if (found.has(zdevice.ieeeAddr)) continue;
        const definition = await this.definitionOf(zdevice);
        if (!definition) continue;
        const { profile } = generateProfile(definition, this.rt!.exposesOf(definition, zdevice));
        const at = new Date(zdevice.lastSeen ?? Date.now()).toISOString();
        found.set(zdevice.ieeeAddr, { ieeeAddress: zdevice.ieeeAddr, interview: 'successful', modelID: zdevice.modelID, model: definition.model, vendor: definition.vendor, profileName: profile.name, at });
      }
    }
    return [...found.values()].map((j) => this.discovered(j));
  }

  private discovered(j: JoinedDevice): DiscoveredDevice & { profileName: string } {
    return {
      name: j.ieeeAddress,
      description: `${j.vendor} ${j.model}`,
      labels: ['zigbee', j.vendor!, j.model!],
      protocols: { zigbee: { IEEEAddress: j.ieeeAddress, Model: j.model!, Vendor: j.vendor!, ModelID: j.modelID ?? '' } },
      profileName: j.profileName!,
    };
  }

  async validateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    this.check(device, profile);
  }

  async addDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    const entry = this.check(device, profile);
    const before = this.devices.get(device.name);
    if (before && before.ieee !== entry.ieee) this.byIeee.delete(before.ieee);
    this.devices.set(device.name, entry);
    this.byIeee.set(entry.ieee, device.name);
  }

  async updateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    await this.addDevice(device, profile);
  }

  async removeDevice(device: Device): Promise<void> {
    const entry = this.devices.get(device.name);
    if (!entry) return;
    this.devices.delete(device.name);
    if (this.byIeee.get(entry.ieee) === device.name) this.byIeee.delete(entry.ieee);
    this.availability.delete(device.name);
    // Reads waiting for this device's answers end now (they then fail as removed).
    for (const key of [...this.waiters.keys()]) if (key.startsWith(`${entry.ieee}|`)) this.dropWaiters(entry.ieee, [key.slice(entry.ieee.length + 1)]);
  }

  /** Devices report on their own (attribute reports): the scheduler never polls them. */
  monitorsAutoEvent(_device: Device, _profile: DeviceProfile, _autoEvent: AutoEvent): boolean {
    return true;
  }

  async read(device: Device, profile: DeviceProfile, requests: CommandRequest[]): Promise<ReadResult[]> {
    if (requests.length === 0) return [];
    const points = requests.map((r) => pointOf(device.name, r.resource, r.attributes));
    const { entry, zdevice, definition } = await this.target(device, profile);
    const state = this.stateOf(entry.ieee);
    const asked = new Set<string>();
    const answers: Array<Promise<void>> = [];
    try {
      for (const [i, point] of points.entries()) {
        if ((point.access & 4) === 0 || asked.has(point.property)) continue;
        asked.add(point.property);
        const where = `device "${device.name}" resource "${requests[i].resource.name}"`;
        // The answer comes back as a message (through fromZigbee), often after convertGet resolves.
        const answer = this.nextValue(entry.ieee, point.property);
        answers.push(answer);
        await this.call(where, () => this.rt!.convertGet({ definition, device: zdevice, property: point.property, endpointName: point.endpoint, state, where }));
        this.stillThere(device);
      }
      // A converter whose answer carries another property would wait in vain: bounded, then what is known is answered.
      await withTimeout(Promise.all(answers), this.settings.readTimeout, 'zigbee read answers').catch(() => undefined);
    } finally {
      this.dropWaiters(entry.ieee, asked);
    }
    this.stillThere(device);
    return points.map((point, i) => {
      const value = toResourceValue(point, requests[i].valueType, state[point.property]);
      if (value === undefined) {
        throw new GatewayError(ErrorKind.Communication, `device "${device.name}" resource "${requests[i].resource.name}": no value for "${point.property}" yet (the device has not reported it${(point.access & 4) === 0 ? ' and it cannot be asked' : ''})`);
      }
      return { value };
    });
  }

  async write(device: Device, profile: DeviceProfile, requests: WriteRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const points = requests.map((r) => pointOf(device.name, r.resource, r.attributes));
    points.forEach((point, i) => {
      if ((point.access & 2) === 0) throw new GatewayError(ErrorKind.NotAllowed, `device "${device.name}" resource "${requests[i].resource.name}": the converter does not set "${point.property}" (access ${point.access})`);
    });
    const { entry, zdevice, definition } = await this.target(device, profile);
    const state = this.stateOf(entry.ieee);
    for (const [i, point] of points.entries()) {
      const where = `device "${device.name}" resource "${requests[i].resource.name}"`;
      const value = toConverterValue(point, requests[i].valueType, requests[i].value);
      const changed = await this.call(where, () => this.rt!.convertSet({ definition, device: zdevice, property: point.property, endpointName: point.endpoint, state, where }, value));
      if (changed) Object.assign(state, changed);
    }
  }

  /** Checks every registered device's availability now: end devices by last seen, routers by a ping when silent. */
  async checkAvailability(now = Date.now()): Promise<void> {
    const controller = this.coordinator?.controller;
    if (!controller) return;
    for (const [name, entry] of [...this.devices]) {
      const zdevice = controller.getDeviceByIeeeAddr(entry.ieee);
      if (!zdevice) continue;
      const silentFor = now - (zdevice.lastSeen ?? 0);
      if (zdevice.type === 'Router') {
        if (silentFor < this.settings.availabilityPing) continue;
        try {
          await zdevice.ping();
          this.setAvailability(name, 'UP', 'answered a ping');
        } catch (err) {
          if (silentFor >= this.settings.routerTimeout) this.setAvailability(name, 'DOWN', `no answer to a ping (${(err as Error).message})`);
        }
      } else if (silentFor >= this.settings.endDeviceTimeout) {
        this.setAvailability(name, 'DOWN', `not seen for ${Math.round(silentFor / 1000)} s`);
      }
    }
  }

  /** The operating state availability last gave a device (undefined: not judged yet). */
  availabilityOf(deviceName: string): OperatingState | undefined {
    return this.availability.get(deviceName);
  }

  private setAvailability(name: string, state: OperatingState, reason: string): void {
    if (this.availability.get(name) === state) return;
    this.availability.set(name, state);
    this.logger.info({ device: name, state, reason }, 'zigbee device availability');
    this.context?.setOperatingState?.(name, state, reason);
  }

  // --- herdsman events ---------------------------------------------------

  private attach(controller: Runtime.Coordinator['controller'] & object): void {
    controller.on('deviceJoined', ({ device }) => {
      this.counters.joined++;
      this.joined.set(device.ieeeAddr, { ieeeAddress: device.ieeeAddr, interview: 'joined', at: new Date().toISOString() });
      this.logger.info({ ieeeAddress: device.ieeeAddr }, 'zigbee device joined');
    });
    controller.on('deviceInterview', (event) => void this.onInterview(event));
    controller.on('deviceLeave', ({ ieeeAddr }) => {
      this.logger.info({ ieeeAddress: ieeeAddr }, 'zigbee device left the network');
      const name = this.byIeee.get(ieeeAddr);
      if (name) this.setAvailability(name, 'DOWN', 'left the network');
    });
    controller.on('lastSeenChanged', ({ device }) => {
      const name = this.byIeee.get(device.ieeeAddr);
      if (name) this.setAvailability(name, 'UP', 'seen');
    });
    controller.on('message', (message) => void this.onMessage(message));
  }

  private async onInterview(event: Events.DeviceInterviewPayload): Promise<void> {
    const { device: zdevice, status } = event;
    const ieee = zdevice.ieeeAddr;
    const seen = this.joined.get(ieee);
    const record: JoinedDevice = { ...seen, ieeeAddress: ieee, interview: status, modelID: zdevice.modelID, at: new Date().toISOString() };
    this.joined.set(ieee, record);
    if (status !== 'successful') {
      (status === 'failed' ? this.logger.warn : this.logger.info).call(this.logger, { ieeeAddress: ieee }, `zigbee interview ${status}`);
      return;
    }
    this.counters.interviewed++;
    const definition = await this.definitionOf(zdevice);
    if (!definition) {
      this.logger.warn({ ieeeAddress: ieee, modelID: zdevice.modelID, manufacturer: zdevice.manufacturerName }, 'zigbee device interviewed, but zigbee-herdsman-converters does not know its model: not registered');
      return;
    }
    // Configure (binds, reporting) may wait on a sleepy device for long: it runs alongside registration.
    void this.configure(zdevice, definition);
    const { profile } = generateProfile(definition, this.rt!.exposesOf(definition, zdevice));
    Object.assign(record, { model: definition.model, vendor: definition.vendor, profileName: profile.name });
    this.logger.info({ ieeeAddress: ieee, model: definition.model, vendor: definition.vendor, profile: profile.name }, 'zigbee interview successful');
    const provision = this.context?.provision;
    if (!provision) return;
    try {
      await provision.call(this.context, { profile, device: this.discovered(record) });
      this.counters.provisioned++;
    } catch (err) {
      this.logger.warn({ ieeeAddress: ieee, profile: profile.name, err: (err as Error).message }, 'zigbee device not registered in metadata');
    }
  }

  /**
   * What Zigbee2MQTT does after an interview: the definition's configure
   * (binds to the coordinator, reporting intervals, reads of divisors and
   * multipliers the converters need). A failure is logged; the device is
   * registered anyway (it may report with its defaults).
   */
  private async configure(zdevice: Models.Device, definition: Definition): Promise<void> {
    const coordinator = this.coordinator?.controller?.getDevicesByType('Coordinator')[0]?.endpoints[0];
    if (!definition.configure || !coordinator) return;
    try {
      await definition.configure(zdevice, coordinator, definition);
      this.logger.info({ ieeeAddress: zdevice.ieeeAddr, model: definition.model }, 'zigbee device configured (binds, reporting)');
    } catch (err) {
      this.logger.warn({ ieeeAddress: zdevice.ieeeAddr, model: definition.model, err: (err as Error).message }, 'zigbee device configure failed; it may not report until configured again');
    }
  }

  private async onMessage(message: Events.MessagePayload): Promise<void> {
    this.counters.messages++;
    const ieee = message.device.ieeeAddr;
    const name = this.byIeee.get(ieee);
    if (!name) return;
    const entry = this.devices.get(name)!;
    const definition = await this.definitionOf(message.device);
    if (!definition) return;
    const state = this.stateOf(ieee);
    let values: Record<string, unknown>;
    try {
      const converted = await this.rt!.fromZigbee(definition, message, state);
      if (!converted.matched) {
        this.counters.unknown++;
        this.logger.debug({ device: name, cluster: message.cluster, type: message.type }, 'zigbee message no converter handles (counted)');
        return;
      }
      values = converted.values;
    } catch (err) {
      this.counters.convertErrors++;
      this.logger.warn({ device: name, cluster: message.cluster, type: message.type, err: (err as Error).message }, 'zigbee converter failed on a message');
      return;
    }
    if (Object.keys(values).length === 0) {
      // A converter took the message but found nothing it knows in it (an attribute it does not convert).
      this.counters.unknown++;
      this.logger.debug({ device: name, cluster: message.cluster, type: message.type }, 'zigbee message with no attribute the converters know (counted)');
      return;
    }
    values.linkquality = message.linkquality;
    Object.assign(state, values);
    this.dropWaiters(ieee, Object.keys(values));
    for (const [property, raw] of Object.entries(values)) {
      // Link quality rides along every message: kept for reads, not an event of its own each time.
      if (property === 'linkquality') continue;
      const targets = entry.byProperty.get(property);
      if (!targets) {
        this.counters.unknown++;
        this.logger.debug({ device: name, property }, 'zigbee property the profile has no resource for (counted)');
        continue;
      }
      for (const target of targets) {
        const value = toResourceValue(target.point, target.valueType, raw);
        if (value === undefined) {
          this.counters.unknown++;
          continue;
        }
        this.counters.readings++;
        this.context?.pushValues({ deviceName: name, sourceName: target.resourceName, values: [{ resourceName: target.resourceName, value: value as RawValue }] });
      }
    }
  }

  // --- helpers -------------------------------------------------------------

  private runtime(): Promise<RuntimeModule> {
    this.runtimeOnce ??= (async () => {
      const started = Date.now();
      const rt = await import('./runtime');
      rt.routeLibraryLogs(this.logger);
      this.rt = rt;
      this.logger.info({ ms: Date.now() - started }, 'zigbee-herdsman and converters loaded');
      return rt;
    })();
    this.runtimeOnce.catch(() => (this.runtimeOnce = undefined));
    return this.runtimeOnce;
  }

  private async definitionOf(zdevice: Models.Device): Promise<Definition | undefined> {
    const key = `${zdevice.ieeeAddr}|${zdevice.modelID}`;
    if (!this.definitions.has(key)) this.definitions.set(key, (await this.rt!.definitionOfDevice(zdevice)) ?? null);
    return this.definitions.get(key) ?? undefined;
  }

  /** Resolves when a message next gives `property` of the device. */
  private nextValue(ieee: string, property: string): Promise<void> {
    const key = `${ieee}|${property}`;
    return new Promise<void>((resolve) => {
      const list = this.waiters.get(key) ?? [];
      list.push(resolve);
      this.waiters.set(key, list);
    });
  }

  private dropWaiters(ieee: string, properties: Iterable<string>): void {
    for (const property of properties) {
      const key = `${ieee}|${property}`;
      for (const wake of this.waiters.get(key) ?? []) wake();
      this.waiters.delete(key);
    }
  }

  private stateOf(ieee: string): Record<string, unknown> {
    let state = this.states.get(ieee);
    if (!state) this.states.set(ieee, (state = {}));
    return state;
  }

  private controllerOrThrow(what: string) {
    const controller = this.coordinator?.controller;
    if (!controller) {
      const state = this.coordinatorState();
      const detail = state.state === 'down' ? `down: ${state.reason}` : state.state;
      throw new GatewayError(ErrorKind.ServiceUnavailable, `${what}: the zigbee coordinator is ${detail}`);
    }
    return controller;
  }

  private async target(device: Device, profile: DeviceProfile) {
    const entry = this.devices.get(device.name);
    if (!entry) {
      this.check(device, profile);
      throw new GatewayError(ErrorKind.EntityNotFound, `device "${device.name}" is not a device of the zigbee driver (never added, or removed)`);
    }
    const controller = this.controllerOrThrow(`device "${device.name}"`);
    const zdevice = controller.getDeviceByIeeeAddr(entry.ieee);
    if (!zdevice) throw new GatewayError(ErrorKind.Communication, `device "${device.name}": ${entry.ieee} has not joined this coordinator's network`);
    const definition = await this.definitionOf(zdevice);
    if (!definition) throw new GatewayError(ErrorKind.Communication, `device "${device.name}": zigbee-herdsman-converters does not know model ${JSON.stringify(zdevice.modelID)}`);
    return { entry, zdevice, definition };
  }

  private stillThere(device: Device): void {
    if (!this.devices.has(device.name)) throw new GatewayError(ErrorKind.EntityNotFound, `device "${device.name}" was removed while it was read`);
  }

  /** Runs a converter call, its failures as GatewayErrors: a timeout is a Timeout, the rest a CommunicationError naming the resource. */
  private async call<T>(where: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      const message = (err as Error).message ?? String(err);
      // herdsman says `<cluster>.<command>(<payload>, <options with "timeout":10000>) failed (<reason>)`: the reason decides.
      const reason = /\bfailed \((.*)\)\s*$/s.exec(message)?.[1] ?? message;
      const kind = /timeout|timed out/i.test(reason) ? ErrorKind.Timeout : ErrorKind.Communication;
      throw new GatewayError(kind, `${where}: ${reason.slice(0, 500)}`, { cause: err });
    }
  }

  private check(device: Device, profile?: DeviceProfile): Entry {
    const ieee = ieeeOf(device);
    const byProperty: Entry['byProperty'] = new Map();
    for (const resource of profile?.deviceResources ?? []) {
      const point = pointOf(device.name, resource);
      const list = byProperty.get(point.property) ?? [];
      list.push({ resourceName: resource.name, point, valueType: resource.properties.valueType });
      byProperty.set(point.property, list);
    }
    return { device, ieee, byProperty };
  }
}

function ieeeOfName(devices: Map<string, Entry>, name: string): string | undefined {
  return devices.get(name)?.ieee;
}
