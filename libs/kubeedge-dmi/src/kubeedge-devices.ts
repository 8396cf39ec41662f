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
  EDGEX_PROTOCOL_KEY,
  edgexName,
  KubeEdgeRef,
  kubeedgeTagOf,
  MappedDevice,
  profileFromModel,
  refId,
  refOf,
  withVisitors,
} from './mapping';
import type { SettledDesired } from './settled-desired';
import type { TwinReporter } from './twin-reporter';

export type MapperMetadata = Pick<
  MetadataClient,
  'device' | 'profile' | 'addDevice' | 'patchDevice' | 'deleteDevice' | 'addProfile' | 'updateProfile' | 'deleteProfile' | 'devicesOfService'
>;

/** The device service's command path (REST, bus and autoEvents share it). */
export interface MapperCommands {
  get(deviceName: string, commandName: string): Promise<Event | undefined>;
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
  /** The device's state (core-metadata's operatingState), and the one edgecore last took. */
  state?: string;
  stateSent?: string;
  /** Whether a state report (with its retries) is under way; aborting stateWake cuts its backoff short. */
  stateLoop?: boolean;
  stateWake?: AbortController;
}

export interface KubeEdgeDevicesOptions {
  serviceName: string;
  /** The EdgeX protocol keys the driver reads (DriverDescriptor.edgexProtocols): a device's key must be one. */
  edgexProtocols: readonly string[];
  /**
   * Backoff of a desired write: `attempts` while a new device is not yet
   * known to the device service (its metadata event is on the way); while the
   * device does not answer, until the value is superseded, waiting up to
   * `unreachableMaxMs`.
   */
  writeRetry: { initialMs: number; maxMs: number; attempts: number; unreachableMaxMs: number };
  /** Backoff of state reports and of edgecore's calls applied while core-metadata is unreachable. */
  retry: { initialMs: number; maxMs: number };
}

const STATE: Record<OperatingState, string> = { UP: 'online', DOWN: 'offline', UNKNOWN: 'unknown' };

export class KubeEdgeDevices implements MapperHandlers {
  private readonly models = new Map<string, DeviceModel>();
  private readonly devices = new Map<string, Known>();
  /** EdgeX device name -> KubeEdge id. */
  private readonly byEdgexName = new Map<string, string>();
  /** Per KubeEdge id: changes of that device or model run one at a time (a GET then POST must not race another). */
  private readonly serial = new Map<string, Promise<unknown>>();
  /** edgecore's calls taken while core-metadata was unreachable, applied with backoff (latest per object). */
  private readonly pending = new Map<string, () => Promise<unknown>>();
  private pendingLoop: Promise<void> | undefined;
  private closed = false;
  private readonly closing = new AbortController();

  constructor(
    private readonly options: KubeEdgeDevicesOptions,
    private readonly metadata: MapperMetadata,
    private readonly commands: MapperCommands,
    private readonly reporter: TwinReporter,
    private readonly reportState: (ref: KubeEdgeRef, state: string) => Promise<void>,
    private readonly settled: SettledDesired,
    private readonly logger: MapperLogger,
    private readonly clock: Clock,
  ) {}

  /** Stops; desired writes under way finish first (a write cut off could leave the device and the store disagreeing). */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    for (const known of this.devices.values()) known.stateWake?.abort();
    this.reporter.close();
    await Promise.all([...this.devices.values()].map((known) => known.writes));
    await this.pendingLoop;
    await this.settled.flushed();
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
    // A new edgecore knows no device state (its answer holds only the spec): every device's goes again, core-metadata reachable or not.
    for (const known of this.devices.values()) {
      known.stateSent = undefined;
      this.sendState(known);
    }
    const refused = (what: string) => (err: unknown) => {
      if (isUnreachable(err)) throw err;
      this.logger.error({ err: (err as Error).message }, `edgecore's ${what} could not be applied`);
    };
    for (const model of response.modelList ?? []) {
      await this.applyModel(model).then(() => undefined, refused(`device model ${model.namespace}/${model.name}`));
    }
    const wanted = new Set<string>();
    for (const device of response.deviceList ?? []) {
      wanted.add(`${device.namespace || DEFAULT_NAMESPACE}/${device.name}`);
      await this.applyDevice(device).then(() => undefined, refused(`device ${device.namespace}/${device.name}`));
    }
    for (const device of await this.metadata.devicesOfService(this.options.serviceName)) {
      const tag = kubeedgeTagOf(device);
      if (!tag || wanted.has(refId(tag))) continue;
      this.logger.info({ device: refId(tag) }, 'edgecore no longer has this device: removing it');
      await this.removeDevice(tag).catch(refused(`removal of device ${refId(tag)}`));
    }
    this.settled.retain(wanted);
  }

  /**
   * edgecore's RegisterDevice/UpdateDevice/CreateDeviceModel/UpdateDeviceModel:
   * applied now; while core-metadata is unreachable, taken and applied with
   * backoff (edgecore does not call again), the latest call per object.
   */
  private async accept<T>(key: string, apply: () => Promise<T>, accepted: T): Promise<T> {
    this.pending.delete(key);
    try {
      return await apply();
    } catch (err) {
      if (!isUnreachable(err) || this.closed) throw err;
      this.logger.warn({ call: key, err: (err as Error).message }, 'core-metadata is unreachable: the call is taken and applied once it answers');
      this.pending.set(key, apply);
      this.pendingLoop ??= this.applyPending().finally(() => (this.pendingLoop = undefined));
      return accepted;
    }
  }

  private async applyPending(): Promise<void> {
    for (let attempt = 1; this.pending.size > 0 && !this.closed; attempt++) {
      await delay(backoffDelay(attempt, this.options.retry.initialMs, this.options.retry.maxMs), this.clock, this.closing.signal);
      for (const [key, apply] of [...this.pending]) {
        if (this.closed) return;
        if (this.pending.get(key) !== apply) continue;
        try {
          await apply();
          if (this.pending.get(key) === apply) this.pending.delete(key);
          this.logger.info({ call: key }, 'a call of edgecore taken while core-metadata was unreachable is applied');
        } catch (err) {
          if (isUnreachable(err)) break;
          if (this.pending.get(key) === apply) this.pending.delete(key);
          this.logger.error({ call: key, err: (err as Error).message }, 'a call of edgecore taken while core-metadata was unreachable could not be applied');
        }
      }
    }
  }

  /** Runs `work` after the previous change of the same object. */
  private inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.serial.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.serial.set(key, tail);
    void tail.then(() => {
      if (this.serial.get(key) === tail) this.serial.delete(key);
    });
    return next;
  }

  async createDeviceModel(model: DeviceModel): Promise<KubeEdgeRef> {
    const ref = refOf(model, 'device model');
    profileFromModel(model);
    return this.accept(`model ${refId(ref)}`, () => this.applyModel(model), ref);
  }

  private applyModel(model: DeviceModel): Promise<KubeEdgeRef> {
    const ref = refOf(model, 'device model');
    return this.inTurn(`model ${refId(ref)}`, () => this.putModel(model, ref));
  }

  private async putModel(model: DeviceModel, ref: KubeEdgeRef): Promise<KubeEdgeRef> {
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
    this.pending.delete(`model ${refId(ref)}`);
    await this.inTurn(`model ${refId(ref)}`, async () => {
      const name = edgexName(ref);
      try {
        const existing = await this.metadata.profile(name);
        // Only a profile made from a KubeEdge model is the model's: a user's profile of that name stays.
        if (!existing.labels?.includes('kubeedge')) {
          throw new GatewayError(ErrorKind.StatusConflict, `profile ${name} in core-metadata was not made from a KubeEdge device model; it is left alone`);
        }
        await this.metadata.deleteProfile(name);
        this.logger.info({ model: refId(ref), profile: name }, 'device model removed with its profile');
      } catch (err) {
        if (!GatewayError.is(err, ErrorKind.EntityNotFound)) throw err;
      }
    });
  }

  async registerDevice(dmi: Device): Promise<KubeEdgeRef> {
    const ref = refOf(dmi, 'device');
    // Checked now, so a bad device is refused to edgecore rather than taken.
    deviceFromDmi(dmi, this.options.serviceName, this.options.edgexProtocols);
    return this.accept(`device ${refId(ref)}`, () => this.applyDevice(dmi), ref);
  }

  private applyDevice(dmi: Device): Promise<KubeEdgeRef> {
    const ref = refOf(dmi, 'device');
    return this.inTurn(`device ${refId(ref)}`, () => this.putKnown(dmi, ref));
  }

  private async putKnown(dmi: Device, ref: KubeEdgeRef): Promise<KubeEdgeRef> {
    const id = refId(ref);
    const mapped = deviceFromDmi(dmi, this.options.serviceName, this.options.edgexProtocols);
    for (const problem of mapped.problems) this.logger.warn({ device: id }, `configData value left out: ${problem}`);
    await this.addVisitors(mapped);
    const inMetadata = await this.putDevice(mapped.device);
    const previous = this.devices.get(id);
    const known: Known = {
      ref,
      dmi,
      mapped,
      reported: previous?.reported ?? new Map(),
      observedDesired: previous?.observedDesired ?? new Map(),
      writes: previous?.writes ?? Promise.resolve(),
      state: previous?.state,
      stateSent: previous?.stateSent,
    };
    previous?.stateWake?.abort();
    this.devices.set(id, known);
    this.byEdgexName.set(mapped.device.name, id);
    if (!previous) {
      this.logger.info({ device: id, edgexName: mapped.device.name, profile: mapped.device.profileName }, 'KubeEdge device added');
      // Metadata's event of the new device may have come before the device was known here: its state is core-metadata's.
      this.deviceChanged(inMetadata);
    } else {
      this.sendState(known);
    }
    this.applyDesired(known);
    return ref;
  }

  async updateDevice(dmi: Device): Promise<void> {
    await this.registerDevice(dmi);
  }

  async removeDevice(ref: KubeEdgeRef): Promise<void> {
    const id = refId(ref);
    this.pending.delete(`device ${id}`);
    await this.inTurn(`device ${id}`, () => this.dropKnown(ref));
  }

  private async dropKnown(ref: KubeEdgeRef): Promise<void> {
    const id = refId(ref);
    const known = this.devices.get(id);
    this.devices.delete(id);
    known?.stateWake?.abort();
    this.reporter.forget(id);
    this.settled.forget(id);
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
    // The protocol as edgecore sent it: protocolName the mapper's, the EdgeX key in configData.edgexProtocol.
    const [key, configData] = Object.entries(known.mapped.device.protocols)[0] ?? ['', {}];
    const protocol = { protocolName: known.dmi.spec?.protocol?.protocolName ?? '', configData: encodeConfigData({ [EDGEX_PROTOCOL_KEY]: key, ...configData }) };
    return {
      ...known.dmi,
      spec: { ...known.dmi.spec, protocol },
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
      // Properties with a desired value are reported too (with observedDesired): their reported value must be the device's.
      if (!known.mapped.reported.includes(reading.resourceName) && !(reading.resourceName in known.mapped.desired)) continue;
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
    known.state = STATE[device.operatingState ?? 'UNKNOWN'];
    this.sendState(known);
  }

  /**
   * Reports the device's state until edgecore has taken it (its rate limit,
   * a restart: retried with backoff), the latest one when it changes
   * meanwhile. Only for a device whose state goes to the cloud
   * (status.reportToCloud, from spec.stateReport), as KubeEdge's mappers.
   */
  private sendState(known: Known): void {
    if (known.stateLoop) {
      known.stateWake?.abort();
      return;
    }
    if (!known.mapped.reportsState) return;
    const id = refId(known.ref);
    const current = () => !this.closed && this.devices.get(id) === known;
    known.stateLoop = true;
    void (async () => {
      for (let attempt = 1; current() && known.state !== undefined && known.state !== known.stateSent; attempt++) {
        const state = known.state;
        try {
          await this.reportState(known.ref, state);
          known.stateSent = state;
          attempt = 0;
        } catch (err) {
          const wait = backoffDelay(attempt, this.options.retry.initialMs, this.options.retry.maxMs);
          this.logger[attempt === 1 ? 'warn' : 'debug']({ device: id, state, attempt, retryInMs: wait, err: (err as Error).message }, 'device state not reported to edgecore; trying again');
          known.stateWake = new AbortController();
          await delay(wait, this.clock, known.stateWake.signal);
        }
      }
    })().finally(() => {
      known.stateLoop = false;
      known.stateWake = undefined;
    });
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
      known.mapped.twinCycleMs,
    );
  }

  private statusRequest(known: Known): ReportDeviceStatusRequest {
    // A twin goes with the value read from the device: one without (never read yet) would blank the cloud's reported value.
    const names = new Set([...known.mapped.reported, ...known.observedDesired.keys()].filter((name) => known.reported.has(name)));
    return {
      deviceName: known.ref.name,
      deviceNamespace: known.ref.namespace,
      reportedDevice: { twins: this.twinsOf(known, [...names]) },
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

  /** Adds or updates the device in core-metadata; answers it as core-metadata now holds it (its operatingState). */
  private async putDevice(device: EdgeXDevice): Promise<EdgeXDevice> {
    let existing: EdgeXDevice | undefined;
    try {
      existing = await this.metadata.device(device.name);
    } catch (err) {
      if (!GatewayError.is(err, ErrorKind.EntityNotFound)) throw err;
    }
    if (!existing) {
      await this.metadata.addDevice(device);
      return device;
    }
    if (existing.serviceName !== this.options.serviceName || !kubeedgeTagOf(existing)) {
      throw new GatewayError(ErrorKind.DuplicateName, `device ${device.name} already exists in core-metadata (service ${existing.serviceName}) and was not made by this mapper`);
    }
    // An operator's adminState stands; the rest follows the KubeEdge device.
    const { adminState: _a, operatingState: _o, ...rest } = device;
    await this.metadata.patchDevice(rest);
    return { ...device, operatingState: existing.operatingState };
  }

  /**
   * Applies each desired value not yet applied, in the background, one device
   * write at a time. Applied means: the same value (and desired timestamp)
   * was settled before, here or in an earlier run (the store under
   * GW_DATA_DIR), or the device already holds it (read first, numbers
   * compared as numbers); else it is written. ReadOnly properties are not
   * written (as KubeEdge's mappers).
   */
  private applyDesired(known: Known): void {
    const id = refId(known.ref);
    const current = () => !this.closed && this.devices.get(id) === known;
    known.writes = known.writes
      .then(async () => {
        for (const [property, value] of Object.entries(known.mapped.desired)) {
          if (!current()) return;
          const timestamp = known.dmi.spec?.properties?.find((p) => p.name === property)?.desired?.metadata?.timestamp || undefined;
          const settled = this.settled.get(id, property) ?? (known.observedDesired.has(property) ? { value: known.observedDesired.get(property)!.value, timestamp: known.observedDesired.get(property)!.metadata?.timestamp } : undefined);
          if (settled && settled.value === value && (timestamp === undefined || settled.timestamp === timestamp)) {
            if (!known.observedDesired.has(property)) this.observe(known, property, value, timestamp);
            continue;
          }
          const access = this.accessOf(known, property);
          if (access === 'readonly') continue;
          const held = access === 'writeonly' ? undefined : await this.attempt(known, property, value, 'read', () => this.commands.get(known.mapped.device.name, property));
          if (!current()) return;
          const already = held?.ok ? held.result?.readings.find((r) => r.resourceName === property) : undefined;
          if (already && sameValue(twinValue(already), value)) {
            this.logger.info({ device: id, property, value }, 'desired value already held by the device');
          } else if (!(await this.attempt(known, property, value, 'write', () => this.commands.set(known.mapped.device.name, property, { [property]: value }))).ok) {
            continue;
          } else {
            this.logger.info({ device: id, property, value }, 'desired value written');
          }
          this.observe(known, property, value, timestamp);
          this.settled.set(id, property, timestamp === undefined ? { value } : { value, timestamp });
          this.touch(known);
        }
      })
      .catch((err: unknown) => this.logger.error({ device: id, err: (err as Error).message }, 'desired values could not be applied'));
  }

  private observe(known: Known, property: string, value: string, timestamp: string | undefined): void {
    known.observedDesired.set(property, { value, metadata: { timestamp: timestamp ?? String(this.clock.now()), type: this.typeOf(known, property) } });
  }

  /**
   * One read or write of a desired value, retried: a few times while the
   * device is new to the device service (its metadata event is on the way);
   * while the device does not answer, until the value is superseded (a newer
   * desired value, the device removed) or the mapper closes.
   */
  private async attempt<T>(known: Known, property: string, value: string, what: 'read' | 'write', work: () => Promise<T>): Promise<{ ok: true; result: T } | { ok: false }> {
    const { initialMs, maxMs, attempts, unreachableMaxMs } = this.options.writeRetry;
    const id = refId(known.ref);
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, result: await work() };
      } catch (err) {
        if (this.closed || this.devices.get(id) !== known) return { ok: false };
        const notYet = GatewayError.is(err, ErrorKind.EntityNotFound) || GatewayError.is(err, ErrorKind.ServiceLocked) || GatewayError.is(err, ErrorKind.ServiceUnavailable);
        const unreachable = GatewayError.is(err, ErrorKind.Communication) || GatewayError.is(err, ErrorKind.Timeout);
        if (!unreachable && (!notYet || attempt >= attempts)) {
          // A read that fails for good (the driver cannot read it) leaves the write to decide.
          if (what === 'read') return { ok: false };
          this.logger.error({ device: id, property, value, err: (err as Error).message }, 'desired value could not be written');
          return { ok: false };
        }
        const wait = backoffDelay(attempt, initialMs, unreachable ? unreachableMaxMs : maxMs);
        if (unreachable && attempt === 1) {
          this.logger.warn({ device: id, property, value, retryInMs: wait, err: (err as Error).message }, `the device does not answer: the desired value's ${what} is tried again until it succeeds or is superseded`);
        }
        await delay(wait, this.clock, this.closing.signal);
      }
    }
  }

  /** The property's accessMode in its device model, lower case (`readwrite` when unset). */
  private accessOf(known: Known, property: string): string {
    const model = this.models.get(`${known.ref.namespace}/${known.dmi.spec?.deviceModelReference}`);
    return (model?.spec?.properties?.find((p) => p.name === property)?.accessMode || 'readwrite').toLowerCase();
  }
}

/** Whether a value read from the device is the desired one: numbers as numbers (42.5 and 4.25e+01), booleans in any case. */
export function sameValue(held: string, desired: string): boolean {
  if (held === desired) return true;
  const a = Number(held);
  const b = Number(desired);
  if (held.trim() !== '' && desired.trim() !== '' && Number.isFinite(a) && Number.isFinite(b)) return a === b;
  return held.toLowerCase() === desired.toLowerCase() && ['true', 'false'].includes(desired.toLowerCase());
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
