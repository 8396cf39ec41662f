/**
 * A ProtocolDriver whose "devices" are a map of values, with knobs a test
 * turns: fail the next N reads, hold reads until released, refuse devices,
 * offer devices to discovery, make a device report values on its own. It
 * records every call it gets.
 *
 * Like a real driver it serves only the devices it holds (added and not
 * removed), validates `protocols.fake.Address` and the one attribute it
 * knows (`address`, a non-empty string), and checks a device again when a
 * held read resumes, so a device removed mid-read fails the read.
 */
import { Device, DeviceProfile, DeviceResource, ErrorKind, GatewayError } from '@gw/contracts';
import type {
  CommandRequest,
  DiscoveredDevice,
  DriverContext,
  ProtocolDriver,
  RawValue,
  ReadResult,
  WriteRequest,
} from '@gw/device-sdk';

/** The attributes a fake resource may carry. */
const ATTRIBUTES = ['address'];

export class FakeDriver implements ProtocolDriver {
  context?: DriverContext;
  readonly values = new Map<string, RawValue>();
  /** Per resource name: what every device holds there until written (a device's power-on values). */
  readonly defaults = new Map<string, RawValue>();
  readonly reads: Array<{ device: string; resources: string[] }> = [];
  readonly writes: Array<{ device: string; values: Record<string, RawValue> }> = [];
  readonly lifecycle: string[] = [];
  /** The devices the driver holds, by name. */
  readonly devices = new Map<string, Device>();
  discovered: DiscoveredDevice[] = [];
  /** discover() waits until its signal aborts or releaseDiscovery() is called. */
  holdDiscovery = false;
  releaseDiscovery?: () => void;
  /** The signal the last discover() was given. */
  discoverySignal?: AbortSignal;
  /** The profile scan (EdgeX 4): a draft of one Float64 resource per option `resources`; unset, the driver cannot scan. */
  scanProfile?: (device: Device, options: Record<string, unknown>, signal: AbortSignal) => Promise<Omit<DeviceProfile, 'name'>> = async (_device, options) => ({
    deviceResources: (Array.isArray(options.resources) ? options.resources : ['Level']).map((name) => ({
      name: String(name),
      isHidden: false,
      properties: { valueType: 'Float64', readWrite: 'R' },
    })),
    deviceCommands: [],
  });
  /** Per device: the next this many reads reject with a CommunicationError. */
  readonly failures = new Map<string, number>();
  /** When set, reads wait for it before answering. */
  gate?: Promise<void>;
  started = false;

  set(device: string, resource: string, value: RawValue): void {
    this.values.set(`${device}/${resource}`, value);
  }

  readsOf(device: string): number {
    return this.reads.filter((r) => r.device === device).length;
  }

  /** The push path: `device` reports `values` on its own, as one source (default: the first resource named). */
  report(deviceName: string, values: Record<string, RawValue>, sourceName = Object.keys(values)[0]): void {
    if (!this.context) throw new Error('FakeDriver.report before initialize');
    if (!this.devices.has(deviceName)) throw new Error(`FakeDriver.report: device ${deviceName} is not added`);
    for (const [resource, value] of Object.entries(values)) this.set(deviceName, resource, value);
    this.context.pushValues({ deviceName, sourceName, values: Object.entries(values).map(([resourceName, value]) => ({ resourceName, value })) });
  }

  async initialize(context: DriverContext): Promise<void> {
    this.context = context;
    this.lifecycle.push('initialize');
  }

  async start(): Promise<void> {
    this.started = true;
    this.lifecycle.push('start');
  }

  async stop(): Promise<void> {
    this.started = false;
    this.lifecycle.push('stop');
  }

  async read(device: Device, profile: DeviceProfile, requests: CommandRequest[]): Promise<ReadResult[]> {
    this.reads.push({ device: device.name, resources: requests.map((r) => r.resource.name) });
    if (this.gate) await this.gate;
    this.held(device, profile);
    for (const r of requests) checkAttributes(device, r.resource, r.attributes);
    const failing = this.failures.get(device.name) ?? 0;
    if (failing > 0) {
      this.failures.set(device.name, failing - 1);
      throw new GatewayError(ErrorKind.Communication, `device ${device.name}: no answer (fake)`);
    }
    return requests.map((r) => {
      const value = this.values.get(`${device.name}/${r.resource.name}`) ?? this.defaults.get(r.resource.name);
      if (value === undefined) throw new GatewayError(ErrorKind.Communication, `device ${device.name}: nothing at ${r.resource.name}`);
      return { value };
    });
  }

  async write(device: Device, profile: DeviceProfile, requests: WriteRequest[]): Promise<void> {
    this.held(device, profile);
    for (const r of requests) checkAttributes(device, r.resource, r.attributes);
    const values: Record<string, RawValue> = {};
    for (const r of requests) {
      values[r.resource.name] = r.value;
      this.set(device.name, r.resource.name, r.value);
    }
    this.writes.push({ device: device.name, values });
  }

  async validateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    check(device, profile);
  }

  async addDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    this.lifecycle.push(`add:${device.name}`);
    await this.validateDevice(device, profile);
    this.devices.set(device.name, device);
  }

  async updateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    this.lifecycle.push(`update:${device.name}`);
    await this.validateDevice(device, profile);
    this.devices.set(device.name, device);
  }

  async removeDevice(device: Device): Promise<void> {
    this.lifecycle.push(`remove:${device.name}`);
    this.devices.delete(device.name);
  }

  async discover(signal?: AbortSignal): Promise<DiscoveredDevice[]> {
    this.discoverySignal = signal;
    // Held: a long search that ends only when told to stop (or released).
    if (this.holdDiscovery) {
      await new Promise<void>((resolve) => {
        this.releaseDiscovery = resolve;
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    return this.discovered;
  }

  /** Throws unless the driver holds `device`: its validation error if it is invalid, else EntityDoesNotExist. */
  private held(device: Device, profile: DeviceProfile | undefined): void {
    if (this.devices.has(device.name)) return;
    check(device, profile);
    throw new GatewayError(ErrorKind.EntityNotFound, `device ${device.name} is not added to the fake driver (never added, refused or removed)`);
  }
}

function check(device: Device, profile: DeviceProfile | undefined): void {
  const fake = device.protocols.fake;
  if (!fake || typeof fake.Address !== 'string') {
    throw new GatewayError(ErrorKind.ContractInvalid, `device ${device.name}: protocols.fake.Address is required`);
  }
  for (const resource of profile?.deviceResources ?? []) checkAttributes(device, resource, resource.attributes);
}

function checkAttributes(device: Device, resource: DeviceResource, attributes: Record<string, unknown> | undefined): void {
  const fail = (attribute: string, why: string): never => {
    throw new GatewayError(ErrorKind.ContractInvalid, `device ${device.name} resource ${resource.name}: attribute ${attribute}: ${why}`);
  };
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (!ATTRIBUTES.includes(name)) fail(name, `is not an attribute of the fake driver (${ATTRIBUTES.join(', ')})`);
    if (typeof value !== 'string' || value === '') fail(name, 'must be a non-empty string');
  }
}

/** A promise a test opens by hand: `const gate = new Gate(); driver.gate = gate.promise; ...; gate.open()`. */
export class Gate {
  open!: () => void;
  readonly promise = new Promise<void>((resolve) => (this.open = resolve));
}
