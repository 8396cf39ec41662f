/**
 * A ProtocolDriver whose "devices" are a map of values, with knobs a test
 * turns: fail the next N reads, hold reads until released, refuse devices,
 * offer devices to discovery. It records every call it gets.
 */
import { Device, DeviceProfile, ErrorKind, GatewayError } from '@gw/contracts';
import type {
  CommandRequest,
  DiscoveredDevice,
  DriverContext,
  ProtocolDriver,
  RawValue,
  ReadResult,
  WriteRequest,
} from '@gw/device-sdk';

export class FakeDriver implements ProtocolDriver {
  context?: DriverContext;
  readonly values = new Map<string, RawValue>();
  readonly reads: Array<{ device: string; resources: string[] }> = [];
  readonly writes: Array<{ device: string; values: Record<string, RawValue> }> = [];
  readonly lifecycle: string[] = [];
  discovered: DiscoveredDevice[] = [];
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

  async read(device: Device, _profile: DeviceProfile, requests: CommandRequest[]): Promise<ReadResult[]> {
    this.reads.push({ device: device.name, resources: requests.map((r) => r.resource.name) });
    if (this.gate) await this.gate;
    const failing = this.failures.get(device.name) ?? 0;
    if (failing > 0) {
      this.failures.set(device.name, failing - 1);
      throw new GatewayError(ErrorKind.Communication, `device ${device.name}: no answer (fake)`);
    }
    return requests.map((r) => {
      const value = this.values.get(`${device.name}/${r.resource.name}`);
      if (value === undefined) throw new GatewayError(ErrorKind.Communication, `device ${device.name}: nothing at ${r.resource.name}`);
      return { value };
    });
  }

  async write(device: Device, _profile: DeviceProfile, requests: WriteRequest[]): Promise<void> {
    const values: Record<string, RawValue> = {};
    for (const r of requests) {
      values[r.resource.name] = r.value;
      this.set(device.name, r.resource.name, r.value);
    }
    this.writes.push({ device: device.name, values });
  }

  async validateDevice(device: Device): Promise<void> {
    const fake = device.protocols.fake;
    if (!fake || typeof fake.Address !== 'string') {
      throw new GatewayError(ErrorKind.ContractInvalid, `device ${device.name}: protocols.fake.Address is required`);
    }
  }

  async addDevice(device: Device): Promise<void> {
    this.lifecycle.push(`add:${device.name}`);
  }

  async updateDevice(device: Device): Promise<void> {
    this.lifecycle.push(`update:${device.name}`);
  }

  async removeDevice(device: Device): Promise<void> {
    this.lifecycle.push(`remove:${device.name}`);
  }

  async discover(): Promise<DiscoveredDevice[]> {
    return this.discovered;
  }
}

/** A promise a test opens by hand: `const gate = new Gate(); driver.gate = gate.promise; ...; gate.open()`. */
export class Gate {
  open!: () => void;
  readonly promise = new Promise<void>((resolve) => (this.open = resolve));
}
