/**
 * Simulated devices, like EdgeX's device-virtual: every value type, random
 * values within the resource's limits, sequences and constants chosen by
 * attributes (see README.md), and writable resources that hold what was
 * written (or their defaultValue) until written again. No I/O at all, so it
 * is also the driver the SDK's own tests run against.
 */
import { Device, DeviceProfile, DeviceResource, ErrorKind, FieldIssue, GatewayError, ValidationError } from '@gw/contracts';
import type { CommandRequest, DriverContext, ProtocolDriver, RawValue, ReadResult, WriteRequest } from '@gw/device-sdk/driver';
import { RandomSource } from './seeded-random';
import { compileSimulation, initialValue } from './simulation-attributes';
import { Cursor, newCursor, Simulation } from './simulations';

export interface VirtualDriverOptions {
  /** Uniform numbers in [0, 1); pass `seededRandom(seed)` for repeatable values. Default Math.random. */
  random?: RandomSource;
}

/** What one device remembers: written values and where its sequences are. */
interface DeviceState {
  written: Map<string, RawValue>;
  cursors: Map<string, Cursor>;
}

interface Plan {
  attributes: Record<string, unknown> | undefined;
  simulation: Simulation;
}

export class VirtualDriver implements ProtocolDriver {
  private readonly random: RandomSource;
  private readonly devices = new Map<string, DeviceState>();
  /** Compiled per resource object: a changed profile brings new objects, hence new plans. */
  private readonly plans = new WeakMap<DeviceResource, Plan>();
  private context?: DriverContext;

  constructor(options: VirtualDriverOptions = {}) {
    this.random = options.random ?? Math.random;
  }

  async initialize(context: DriverContext): Promise<void> {
    this.context = context;
  }

  async start(): Promise<void> {}

  async stop(_force?: boolean): Promise<void> {}

  async read(device: Device, profile: DeviceProfile, requests: CommandRequest[]): Promise<ReadResult[]> {
    const state = this.heldState(device, profile);
    const results = new Array<ReadResult>(requests.length);
    for (let i = 0; i < requests.length; i++) {
      const { resource, attributes } = requests[i];
      const written = state.written.get(resource.name);
      if (written !== undefined) {
        results[i] = { value: written };
        continue;
      }
      let cursor = state.cursors.get(resource.name);
      if (!cursor) state.cursors.set(resource.name, (cursor = newCursor()));
      results[i] = { value: this.planOf(device, resource, attributes).simulation.next(cursor, this.random) };
    }
    return results;
  }

  async write(device: Device, profile: DeviceProfile, requests: WriteRequest[]): Promise<void> {
    const state = this.heldState(device, profile);
    // Attributes it cannot use are refused on write as on read, before anything is written.
    for (const { resource, attributes } of requests) this.planOf(device, resource, attributes);
    for (const request of requests) state.written.set(request.resource.name, request.value);
  }

  async validateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    if (profile) this.check(device, profile);
  }

  async addDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    if (profile) this.check(device, profile);
    this.stateOf(device, profile);
    this.context?.logger.debug({ device: device.name, profile: profile?.name }, 'virtual device added');
  }

  /** Written values survive; resources new to the profile get their defaultValue. */
  async updateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    if (profile) this.check(device, profile);
    const state = this.stateOf(device, profile);
    if (profile) applyDefaults(state, device, profile);
  }

  async removeDevice(device: Device): Promise<void> {
    this.devices.delete(device.name);
  }

  /** Every resource's attributes and defaultValue, all problems at once, each naming device, resource and attribute. */
  private check(device: Device, profile: DeviceProfile): void {
    const issues: FieldIssue[] = [];
    for (const resource of profile.deviceResources) {
      const at = `deviceResources[${resource.name}]`;
      const compiled = compileSimulation(resource, resource.attributes);
      for (const issue of compiled.issues ?? []) issues.push({ path: `${at}.${issue.path}`, message: issue.message });
      try {
        initialValue(resource, device.name);
      } catch (err) {
        // The issue's place already names device and resource.
        const message = (err as Error).message.replace(`device "${device.name}" resource "${resource.name}": `, '');
        issues.push({ path: `${at}.properties.defaultValue`, message });
      }
    }
    if (issues.length > 0) throw new ValidationError(issues, `device "${device.name}"`);
  }

  /**
   * The state of a device the driver holds. One it does not hold (never
   * added, refused, or removed, perhaps while a read was on its way) is not
   * brought back to life: its own validation error, or EntityDoesNotExist.
   */
  private heldState(device: Device, profile: DeviceProfile): DeviceState {
    const state = this.devices.get(device.name);
    if (state) return state;
    this.check(device, profile);
    throw new GatewayError(ErrorKind.EntityNotFound, `device "${device.name}" is not a device of the virtual driver (never added, or removed)`);
  }

  private stateOf(device: Device, profile: DeviceProfile | undefined): DeviceState {
    let state = this.devices.get(device.name);
    if (!state) {
      state = { written: new Map(), cursors: new Map() };
      this.devices.set(device.name, state);
      if (profile) applyDefaults(state, device, profile);
    }
    return state;
  }

  private planOf(device: Device, resource: DeviceResource, attributes: Record<string, unknown> | undefined): Plan {
    const cached = this.plans.get(resource);
    if (cached && cached.attributes === attributes) return cached;
    const compiled = compileSimulation(resource, attributes);
    if (!compiled.simulation) {
      const issues = compiled.issues.map((i) => ({ path: `deviceResources[${resource.name}].${i.path}`, message: i.message }));
      throw new ValidationError(issues, `device "${device.name}"`);
    }
    const plan = { attributes, simulation: compiled.simulation };
    this.plans.set(resource, plan);
    return plan;
  }
}

function applyDefaults(state: DeviceState, device: Device, profile: DeviceProfile): void {
  for (const resource of profile.deviceResources) {
    if (state.written.has(resource.name)) continue;
    const value = initialValue(resource, device.name);
    if (value !== undefined) state.written.set(resource.name, value);
  }
}
