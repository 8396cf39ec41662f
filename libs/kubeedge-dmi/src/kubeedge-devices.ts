/**
 * What the mapper does with edgecore's devices and models: keeps core-metadata
 * in step (a model is a profile, a device a device of this service), writes
 * each device's desired twin values through the device service's command
 * path, and keeps the latest reported value of each twin for the reports to
 * edgecore and for GetDevice.
 */
import {
  backoffDelay,
  Clock,
  delay,
  Device as EdgeXDevice,
  DeviceProfile,
  ErrorKind,
  Event,
  GatewayError,
  isUnreachable,
  OperatingState,
} from '@gw/contracts';
import type { MetadataClient } from '@gw/clients';
import { encodeConfigData } from './any-value';
import type { Device, DeviceModel, MapperRegisterResponse, ReportDeviceStatusRequest, Twin, TwinProperty } from './dmi-types';
import type { MapperLogger } from './log';
import type { MapperHandlers } from './mapper-server';
import {
  DEFAULT_NAMESPACE,
  deviceFromDmi,
  edgexName,
  KubeEdgeRef,
  kubeedgeTagOf,
  MappedDevice,
  profileFromModel,
  refId,
  refOf,
  withVisitors,
} from './mapping';
import type { TwinReporter } from './twin-reporter';

export type MapperMetadata = Pick<
  MetadataClient,
  'device' | 'profile' | 'addDevice' | 'patchDevice' | 'deleteDevice' | 'addProfile' | 'updateProfile' | 'deleteProfile' | 'devicesOfService'
>;

/** The device service's command path (REST, bus and autoEvents share it). */
export interface MapperCommands {
  set(deviceName: string, commandName: string, params: Record<string, unknown>): Promise<void>;
}

interface Known {
  ref: KubeEdgeRef;
  dmi: Device;
  mapped: MappedDevice;
  /** Per property: the last reported value and when it was read. */
  reported: Map<string, { value: string; timestamp: number }>;
  /** Per property: the desired value last written to the device. */
  observedDesired: Map<string, TwinProperty>;
  /** Desired writes run one at a time per device. */
  writes: Promise<void>;
  state?: string;
}

export interface KubeEdgeDevicesOptions {
  serviceName: string;
  /** Backoff while a new device is not yet known to the device service (its metadata event is on the way). */
  writeRetry: { initialMs: number; maxMs: number; attempts: number };
}

const STATE: Record<OperatingState, string> = { UP: 'online', DOWN: 'offline', UNKNOWN: 'unknown' };

export class KubeEdgeDevices implements MapperHandlers {
  private readonly models = new Map<string, DeviceModel>();
  private readonly devices = new Map<string, Known>();
  /** EdgeX device name -> KubeEdge id. */
  private readonly byEdgexName = new Map<string, string>();
  private closed = false;
  private readonly closing = new AbortController();

  constructor(
    private readonly options: KubeEdgeDevicesOptions,
    private readonly metadata: MapperMetadata,
    private readonly commands: MapperCommands,
    private readonly reporter: TwinReporter,
    private readonly reportState: (ref: KubeEdgeRef, state: string) => Promise<void>,
    private readonly logger: MapperLogger,
    private readonly clock: Clock,
  ) {}

  close(): void {
    this.closed = true;
    this.closing.abort();
    this.reporter.close();
  }

  /** Names of the KubeEdge devices the mapper holds (`namespace/name`). */
  deviceIds(): string[] {
    return [...this.devices.keys()];
  }

  /**
   * edgecore's answer to MapperRegister: its models and devices become ours;
   * ours it no longer has go. One it cannot take is logged, naming it, and
   * the rest applied; core-metadata unreachable rejects (the whole answer is
   * applied again later: every step is idempotent).
   */
  async sync(response: MapperRegisterResponse): Promise<void> {
    const refused = (what: string) => (err: unknown) => {
      if (isUnreachable(err)) throw err;
      this.logger.error({ err: (err as Error).message }, `edgecore's ${what} could not be applied`);
    };
    for (const model of response.modelList ?? []) {
      await this.createDeviceModel(model).then(() => undefined, refused(`device model ${model.namespace}/${model.name}`));
    }
    const wanted = new Set<string>();
    for (const device of response.deviceList ?? []) {
      wanted.add(`${device.namespace || DEFAULT_NAMESPACE}/${device.name}`);
      await this.registerDevice(device).then(() => undefined, refused(`device ${device.namespace}/${device.name}`));
    }
    for (const device of await this.metadata.devicesOfService(this.options.serviceName)) {
      const tag = kubeedgeTagOf(device);
      if (!tag || wanted.has(refId(tag))) continue;
      this.logger.info({ device: refId(tag) }, 'edgecore no longer has this device: removing it');
      await this.removeDevice(tag).catch(refused(`removal of device ${refId(tag)}`));
    }
  }

  async createDeviceModel(model: DeviceModel): Promise<KubeEdgeRef> {
    const ref = refOf(model, 'device model');
    const profile = profileFromModel(model);
    let existing: DeviceProfile | undefined;
    try {
      existing = await this.metadata.profile(profile.name);
    } catch (err) {
      if (!GatewayError.is(err, ErrorKind.EntityNotFound)) throw err;
    }
    if (!existing) {
      await this.metadata.addProfile(profile);
      this.logger.info({ model: refId(ref), profile: profile.name }, 'device model added as a profile');
    } else {
      if (!existing.labels?.includes('kubeedge')) {
        throw new GatewayError(ErrorKind.DuplicateName, `profile ${profile.name} already exists in core-metadata and was not made from a KubeEdge device model`);
      }
      // The attributes came from devices' visitors: a model update keeps those of resources that remain.
      const attributes = new Map(existing.deviceResources.map((r) => [r.name, r.attributes]));
      const updated = { ...profile, deviceResources: profile.deviceResources.map((r) => ({ ...r, attributes: attributes.get(r.name) ?? r.attributes })) };
      if (JSON.stringify(comparable(updated)) !== JSON.stringify(comparable(existing))) {
        await this.metadata.updateProfile(updated);
        this.logger.info({ model: refId(ref), profile: profile.name }, 'profile updated from its device model');
      }
    }
    this.models.set(refId(ref), model);
    return ref;
  }

  async updateDeviceModel(model: DeviceModel): Promise<void> {
    await this.createDeviceModel(model);
  }

  async removeDeviceModel(ref: KubeEdgeRef): Promise<void> {
    this.models.delete(refId(ref));
    try {
      await this.metadata.deleteProfile(edgexName(ref));
      this.logger.info({ model: refId(ref), profile: edgexName(ref) }, 'device model removed with its profile');
    } catch (err) {
      if (!GatewayError.is(err, ErrorKind.EntityNotFound)) throw err;
    }
  }

  async registerDevice(dmi: Device): Promise<KubeEdgeRef> {
    const ref = refOf(dmi, 'device');
    const id = refId(ref);
    const mapped = deviceFromDmi(dmi, this.options.serviceName);
    for (const problem of mapped.problems) this.logger.warn({ device: id }, `configData value left out: ${problem}`);
    await this.addVisitors(mapped);
    await this.putDevice(mapped.device);
    const previous = this.devices.get(id);
    const known: Known = {
      ref,
      dmi,
      mapped,
      reported: previous?.reported ?? new Map(),
      observedDesired: previous?.observedDesired ?? new Map(),
      writes: previous?.writes ?? Promise.resolve(),
      state: previous?.state,
    };
    this.devices.set(id, known);
    this.byEdgexName.set(mapped.device.name, id);
    if (!previous) {
      this.logger.info({ device: id, edgexName: mapped.device.name, profile: mapped.device.profileName }, 'KubeEdge device added');
      // Metadata's event of the new device came before the device was known here: its first state goes now.
      this.deviceChanged(mapped.device);
    }
    this.applyDesired(known);
    return ref;
  }

  async updateDevice(dmi: Device): Promise<void> {
    await this.registerDevice(dmi);
  }

  async removeDevice(ref: KubeEdgeRef): Promise<void> {
    const id = refId(ref);
    const known = this.devices.get(id);
    this.devices.delete(id);
    this.reporter.forget(id);
    const name = known?.mapped.device.name ?? edgexName(ref);
    this.byEdgexName.delete(name);
    try {
      const existing = await this.metadata.device(name);
      if (existing.serviceName !== this.options.serviceName || !kubeedgeTagOf(existing)) {
        throw new GatewayError(ErrorKind.StatusConflict, `device ${name} in core-metadata was not made by this mapper; it is left alone`);
      }
      await this.metadata.deleteDevice(name);
      this.logger.info({ device: id, edgexName: name }, 'KubeEdge device removed');
    } catch (err) {
      if (!GatewayError.is(err, ErrorKind.EntityNotFound)) throw err;
    }
  }

  async getDevice(ref: KubeEdgeRef): Promise<Device> {
    const known = this.devices.get(refId(ref));
    if (!known) throw new GatewayError(ErrorKind.EntityNotFound, `device ${refId(ref)} is not managed by this mapper`);
    const { protocols } = known.mapped.device;
    const [protocolName, configData] = Object.entries(protocols)[0] ?? ['', {}];
    return {
      ...known.dmi,
      spec: { ...known.dmi.spec, protocol: { protocolName, configData: encodeConfigData(configData) } },
      status: { ...known.dmi.status, twins: this.twinsOf(known, (known.dmi.spec?.properties ?? []).map((p) => p.name ?? '')) },
    };
  }

  /** A device event of this service: its readings are the reported values of the device's twins. */
  eventPublished(event: Event): void {
    const id = this.byEdgexName.get(event.deviceName);
    const known = id && this.devices.get(id);
    if (!known) return;
    let changed = false;
    for (const reading of event.readings) {
      if (!known.mapped.reported.includes(reading.resourceName)) continue;
      known.reported.set(reading.resourceName, { value: twinValue(reading), timestamp: Math.round(reading.origin / 1e6) });
      changed = true;
    }
    if (changed) this.touch(known);
  }

  /** A device of this service changed in core-metadata: a new operating state goes to edgecore. */
  deviceChanged(device: EdgeXDevice): void {
    const id = this.byEdgexName.get(device.name);
    const known = id && this.devices.get(id);
    if (!known) return;
    const state = STATE[device.operatingState ?? 'UNKNOWN'];
    if (state === known.state) return;
    known.state = state;
    this.reportState(known.ref, state).catch((err: unknown) =>
      this.logger.warn({ device: id, state, err: (err as Error).message }, 'device state not reported to edgecore'),
    );
  }

  private touch(known: Known): void {
    const id = refId(known.ref);
    this.reporter.touch(
      id,
      () => {
        const current = this.devices.get(id);
        if (!current) return undefined;
        return this.statusRequest(current);
      },
      known.mapped.reportCycleMs,
    );
  }

  private statusRequest(known: Known): ReportDeviceStatusRequest {
    const names = new Set([...known.mapped.reported.filter((name) => known.reported.has(name)), ...known.observedDesired.keys()]);
    return {
      deviceName: known.ref.name,
      deviceNamespace: known.ref.namespace,
      reportedDevice: { twins: this.twinsOf(known, [...names]), reportToCloud: true },
    };
  }

  /** Twins always carry both `reported` and `observedDesired`: edgecore reads both of every twin it is sent. */
  private twinsOf(known: Known, names: string[]): Twin[] {
    return names.map((name) => {
      const reported = known.reported.get(name);
      const type = this.typeOf(known, name);
      return {
        propertyName: name,
        reported: { value: reported?.value ?? '', metadata: { type, timestamp: String(reported?.timestamp ?? this.clock.now()) } },
        observedDesired: known.observedDesired.get(name) ?? { value: '', metadata: { type } },
      };
    });
  }

  /** The property's type in its device model, lower case as mappers report it (`int`, `float`...). */
  private typeOf(known: Known, property: string): string {
    const model = this.models.get(`${known.ref.namespace}/${known.dmi.spec?.deviceModelReference}`);
    return (model?.spec?.properties?.find((p) => p.name === property)?.type || 'string').toLowerCase();
  }

  /** The device's visitors become the attributes of its profile's resources that have none yet. */
  private async addVisitors(mapped: MappedDevice): Promise<void> {
    const name = mapped.device.profileName!;
    let profile: DeviceProfile;
    try {
      profile = await this.metadata.profile(name);
    } catch (err) {
      if (GatewayError.is(err, ErrorKind.EntityNotFound)) {
        throw new GatewayError(ErrorKind.StatusConflict, `device ${mapped.device.name}: its device model (profile ${name}) has not been created`);
      }
      throw err;
    }
    if (Object.keys(mapped.visitors).length === 0) return;
    const merge = withVisitors(profile, mapped.visitors);
    if (merge.conflicts.length > 0) {
      this.logger.warn(
        { device: mapped.device.name, profile: name, properties: merge.conflicts },
        'visitors differ from those of the profile (EdgeX keeps one set per profile): the profile attributes are used',
      );
    }
    if (merge.changed) await this.metadata.updateProfile(merge.profile);
  }

  private async putDevice(device: EdgeXDevice): Promise<void> {
    let existing: EdgeXDevice | undefined;
    try {
      existing = await this.metadata.device(device.name);
    } catch (err) {
      if (!GatewayError.is(err, ErrorKind.EntityNotFound)) throw err;
    }
    if (!existing) {
      await this.metadata.addDevice(device);
      return;
    }
    if (existing.serviceName !== this.options.serviceName || !kubeedgeTagOf(existing)) {
      throw new GatewayError(ErrorKind.DuplicateName, `device ${device.name} already exists in core-metadata (service ${existing.serviceName}) and was not made by this mapper`);
    }
    // An operator's adminState stands; the rest follows the KubeEdge device.
    const { adminState: _a, operatingState: _o, ...rest } = device;
    await this.metadata.patchDevice(rest);
  }

  /** Writes each desired value that differs from the one last written, in the background, one device write at a time. */
  private applyDesired(known: Known): void {
    const id = refId(known.ref);
    known.writes = known.writes
      .then(async () => {
        for (const [property, value] of Object.entries(known.mapped.desired)) {
          if (this.closed || this.devices.get(id) !== known) return;
          if (known.observedDesired.get(property)?.value === value) continue;
          if (await this.write(known, property, value)) {
            known.observedDesired.set(property, { value, metadata: { timestamp: String(this.clock.now()), type: this.typeOf(known, property) } });
            this.touch(known);
          }
        }
      })
      .catch((err: unknown) => this.logger.error({ device: id, err: (err as Error).message }, 'desired values could not be applied'));
  }

  private async write(known: Known, property: string, value: string): Promise<boolean> {
    const { initialMs, maxMs, attempts } = this.options.writeRetry;
    const name = known.mapped.device.name;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.commands.set(name, property, { [property]: value });
        this.logger.info({ device: refId(known.ref), property, value }, 'desired value written');
        return true;
      } catch (err) {
        // Just added: the device service learns of the device (and its profile) from metadata's event a moment later.
        const notYet = GatewayError.is(err, ErrorKind.EntityNotFound) || GatewayError.is(err, ErrorKind.ServiceLocked) || GatewayError.is(err, ErrorKind.ServiceUnavailable);
        if (this.closed) return false;
        if (!notYet || attempt >= attempts) {
          this.logger.error({ device: refId(known.ref), property, value, err: (err as Error).message }, 'desired value could not be written');
          return false;
        }
        await delay(backoffDelay(attempt, initialMs, maxMs), this.clock, this.closing.signal);
      }
    }
  }
}

/**
 * A reading's value as a twin's: numbers in plain decimal (EdgeX writes floats
 * as 4.25e+01; KubeEdge's desired values are written 42.5, and a cloud
 * comparing desired with reported compares strings), binary in base64.
 */
function twinValue(reading: Event['readings'][number]): string {
  if ('value' in reading) {
    if (!reading.valueType.startsWith('Float') || reading.valueType.endsWith('Array')) return reading.value;
    const number = Number(reading.value);
    return Number.isFinite(number) ? String(number) : reading.value;
  }
  if ('binaryValue' in reading) return reading.binaryValue;
  return JSON.stringify(reading.objectValue);
}

/** What a profile made from a model says, to tell whether a model update changes it (metadata adds defaults of its own). */
function comparable(profile: DeviceProfile): unknown {
  return {
    description: profile.description,
    labels: profile.labels,
    resources: profile.deviceResources.map((r) => {
      const { valueType, readWrite, units, minimum, maximum } = r.properties;
      return [r.name, r.description, valueType, readWrite, units, minimum, maximum, r.attributes ?? {}];
    }),
  };
}
