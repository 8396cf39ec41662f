/**
 * The Modbus ProtocolDriver: EdgeX device-modbus devices and profiles, reads
 * coalesced per unit and table (planner.ts), values decoded and encoded by
 * codec.ts, requests run on one shared connection per endpoint
 * (connection.ts). A unit that times out is backed off: during its back-off
 * its reads and writes fail fast (ServiceUnavailable) and never occupy the
 * line, so the other units on the same connection keep their schedule.
 */
import { backoffDelay, Device, DeviceProfile, DeviceResource, ErrorKind, GatewayError } from '@gw/contracts';
import type { CommandRequest, DiscoveredDevice, DriverContext, DriverRoute, ProtocolDriver, ReadResult, WriteRequest } from '@gw/device-sdk/driver';
import type ModbusRTU from 'modbus-serial';
import { ModbusEndpoint, ModbusPoint, ModbusRtuEndpoint, parseEndpoint, parseModbusPoint } from './attributes';
import { decodePoint, encodePoint } from './codec';
import { ConnectionOptions, ConnectionPool, ModbusConnection } from './connection';
import { ScanTarget, scanTargets } from './discovery';
import { planReads, PlanOptions, planWrite, ReadRequest, split, WriteOptions } from './planner';
import { ModbusConnectionReport, modbusRoutes } from './routes';

export interface ModbusDriverOptions extends PlanOptions, WriteOptions {
  connection?: ConnectionOptions;
  /** First back-off of a unit after a timeout (default 5 s); doubles while it keeps timing out, ±20% jitter. */
  unitBackoffMs?: number;
  /** Longest unit back-off (default 60 s). */
  unitBackoffMaxMs?: number;
  /** What discover() probes; per-probe timeout default 300 ms. */
  discovery?: { targets: ScanTarget[]; probeTimeoutMs?: number };
}

interface UnitState {
  timeouts: number;
  until: number;
}

interface DeviceEntry {
  endpoint: ModbusEndpoint;
}

export class ModbusDriver implements ProtocolDriver {
  private readonly pool: ConnectionPool;
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly units = new Map<string, UnitState>();
  /** Devices that refused a read bridging a gap: their reads join touching ranges only. */
  private readonly unbridged = new Set<string>();
  /** Parsed points per resource object (a changed profile brings new objects). */
  private readonly points = new WeakMap<DeviceResource, { device: string; attributes: unknown; point: ModbusPoint }>();
  private context?: DriverContext;

  constructor(private readonly options: ModbusDriverOptions = {}) {
    this.pool = new ConnectionPool(options.connection);
  }

  async initialize(context: DriverContext): Promise<void> {
    this.context = context;
  }

  async start(): Promise<void> {}

  async stop(_force: boolean): Promise<void> {
    await this.pool.closeAll();
  }

  async validateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    this.check(device, profile);
  }

  async addDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    const endpoint = this.check(device, profile);
    this.devices.set(device.name, { endpoint });
    this.context?.logger.debug({ device: device.name, endpoint: endpoint.key, unit: endpoint.unitId }, 'modbus device added');
  }

  async updateDevice(device: Device, profile?: DeviceProfile): Promise<void> {
    const before = this.devices.get(device.name);
    await this.addDevice(device, profile);
    const after = this.devices.get(device.name)!.endpoint;
    if (!before) return;
    if (before.endpoint.key !== after.key) await this.releaseIfUnused(before.endpoint.key);
    // New line settings on the same port (check() made sure no other device still uses the old ones): reopen it.
    else if (lineSettings(this.pool.existing(after.key)?.endpoint ?? after) !== lineSettings(after)) await this.pool.release(after.key);
  }

  async removeDevice(device: Device): Promise<void> {
    const before = this.devices.get(device.name);
    this.devices.delete(device.name);
    this.unbridged.delete(device.name);
    if (before) await this.releaseIfUnused(before.endpoint.key);
  }

  /** Probes the configured scan targets (discovery.ts), skipping units that already have a device. */
  async discover(): Promise<DiscoveredDevice[]> {
    const targets = this.options.discovery?.targets ?? [];
    if (targets.length === 0) {
      this.context?.logger.info({}, 'modbus discovery: no scan targets configured');
      return [];
    }
    const taken = new Set([...this.devices.values()].map(({ endpoint }) => `${endpoint.key}#${endpoint.unitId}`));
    try {
      return await scanTargets(this.pool, targets, {
        probeTimeoutMs: this.options.discovery?.probeTimeoutMs,
        logger: this.context?.logger,
        skip: (endpoint, unit) => taken.has(`${endpoint.key}#${unit}`),
      });
    } finally {
      for (const key of new Set(targets.map((t) => t.endpoint.key))) await this.releaseIfUnused(key);
    }
  }

  /** GET /api/v3/modbus/connections. */
  routes(): DriverRoute[] {
    return modbusRoutes({ connections: () => this.connectionReport() });
  }

  /** Each endpoint with a device or a connection: its state, units and devices, units backed off. */
  connectionReport(now = Date.now()): ModbusConnectionReport[] {
    const units = new Map<string, Map<number, string[]>>();
    for (const [name, { endpoint }] of this.devices) {
      const byUnit = units.get(endpoint.key) ?? new Map<number, string[]>();
      units.set(endpoint.key, byUnit.set(endpoint.unitId, [...(byUnit.get(endpoint.unitId) ?? []), name]));
    }
    const keys = new Set([...units.keys(), ...this.pool.all().map((c) => c.key)]);
    return [...keys].sort().map((key) => {
      const status = this.pool.existing(key)?.status(now) ?? { endpoint: key, state: 'not connected' as const, connects: 0, failedConnects: 0, queued: 0 };
      const backedOffUnits = [...this.units]
        .filter(([unitKey, state]) => unitKey.startsWith(`${key}#`) && state.until > now)
        .map(([unitKey, state]) => ({ unitId: Number(unitKey.slice(key.length + 1)), timeouts: state.timeouts, retryInMs: state.until - now }))
        .sort((a, b) => a.unitId - b.unitId);
      return {
        ...status,
        units: [...(units.get(key) ?? new Map<number, string[]>())]
          .sort(([a], [b]) => a - b)
          .map(([unitId, devices]) => ({ unitId, devices: devices.sort() })),
        backedOffUnits,
      };
    });
  }

  /** The connection pool (tests and metrics look at it). */
  get connections(): ConnectionPool {
    return this.pool;
  }

  async read(device: Device, _profile: DeviceProfile, requests: CommandRequest[]): Promise<ReadResult[]> {
    if (requests.length === 0) return [];
    const endpoint = this.endpointOf(device, _profile);
    const items = requests.map((r) => ({ unitId: endpoint.unitId, point: this.pointOf(device, r) }));
    const connection = this.pool.get(endpoint);
    const results = new Array<ReadResult>(requests.length);
    const noGaps = this.unbridged.has(device.name);
    for (const request of planReads(items, noGaps ? { ...this.options, maxRegisterGap: 0, maxBitGap: 0 } : this.options)) {
      let data: Array<number | boolean>;
      try {
        data = await this.guarded(device, endpoint, connection, describe(request), (client) => readTable(client, request));
      } catch (err) {
        // Many devices refuse a read that spans unmapped addresses (exception 2) although
        // every resource reads on its own: stop bridging gaps for this device and read again.
        if (noGaps || !bridgesGap(request) || !isIllegalAddress(err)) throw err;
        this.unbridged.add(device.name);
        this.context?.logger.warn(
          { device: device.name, request: describe(request), err: (err as Error).message },
          'modbus device refuses reads across unmapped addresses: reading its ranges without gaps from now on',
        );
        return this.read(device, _profile, requests);
      }
      for (const part of split(request, data)) results[part.index] = { value: decodePoint(part.point, part.data) };
    }
    return results;
  }

  async write(device: Device, _profile: DeviceProfile, requests: WriteRequest[]): Promise<void> {
    const endpoint = this.endpointOf(device, _profile);
    const connection = this.pool.get(endpoint);
    for (const request of requests) {
      const point = this.pointOf(device, request);
      const plan = planWrite(point, this.options);
      // Encode before touching the line so a bad value costs no request (RMW encodes inside).
      const data = plan.readModifyWrite ? undefined : encodePoint(point, request.value);
      const what = `${point.table} ${plan.address}${point.bit !== undefined ? `.${point.bit}` : ''} (FC${plan.functionCode})`;
      await this.guarded(device, endpoint, connection, what, async (client) => {
        switch (plan.functionCode) {
          case 5:
            await client.writeCoil(plan.address, (data as boolean[])[0]);
            return;
          case 15:
            await client.writeCoils(plan.address, data as boolean[]);
            return;
          case 6:
          case 16: {
            let words = data as number[] | undefined;
            if (plan.readModifyWrite) {
              // Read and write back inside one queued task: no request of ours comes in between.
              const current = await client.readHoldingRegisters(plan.address, 1);
              words = encodePoint(point, request.value, current.data[0]) as number[];
            }
            if (plan.functionCode === 6) await client.writeRegister(plan.address, words![0]);
            else await client.writeRegisters(plan.address, words!);
          }
        }
      });
    }
  }

  /**
   * Runs one request for the device's unit, honouring and updating the
   * unit's back-off. The back-off is checked when the request's turn comes on
   * the line, so requests queued behind the one that timed out fail at once.
   */
  private async guarded<T>(
    device: Device,
    endpoint: ModbusEndpoint,
    connection: ModbusConnection,
    what: string,
    run: (client: ModbusRTU) => Promise<T>,
  ): Promise<T> {
    const unitKey = `${endpoint.key}#${endpoint.unitId}`;
    const refuse = (): GatewayError | undefined => {
      const state = this.units.get(unitKey);
      const now = Date.now();
      if (!state || now >= state.until) return undefined;
      return new GatewayError(
        ErrorKind.ServiceUnavailable,
        `device "${device.name}" unit ${endpoint.unitId} ${what} on ${endpoint.key}: unit backed off for ${state.until - now} ms after ${state.timeouts} timeout(s)`,
      );
    };
    try {
      const value = await connection.request({ unitId: endpoint.unitId, timeoutMs: endpoint.timeoutMs, label: { deviceName: device.name, what }, run, refuse });
      this.units.delete(unitKey);
      return value;
    } catch (err) {
      if (GatewayError.is(err, ErrorKind.Timeout)) {
        const timeouts = (this.units.get(unitKey)?.timeouts ?? 0) + 1;
        const backoff = backoffDelay(timeouts, this.options.unitBackoffMs ?? 5_000, this.options.unitBackoffMaxMs ?? 60_000);
        this.units.set(unitKey, { timeouts, until: Date.now() + backoff });
        this.context?.logger.warn({ device: device.name, endpoint: endpoint.key, unit: endpoint.unitId, backoffMs: backoff }, 'modbus unit timed out; backing off');
      }
      throw err;
    }
  }

  private check(device: Device, profile?: DeviceProfile): ModbusEndpoint {
    const endpoint = parseEndpoint(device);
    if (endpoint.protocol === 'modbus-rtu') this.checkLineSettings(device.name, endpoint);
    for (const resource of profile?.deviceResources ?? []) {
      const point = this.pointOf(device, { resource, attributes: resource.attributes ?? {} });
      planReads([{ unitId: endpoint.unitId, point }], this.options); // throws, naming the resource, if it cannot fit one request
    }
    return endpoint;
  }

  /** Units on one serial line share one port: its settings cannot differ per device. */
  private checkLineSettings(deviceName: string, endpoint: ModbusRtuEndpoint): void {
    const line = lineSettings;
    for (const [name, other] of this.devices) {
      if (name === deviceName || other.endpoint.key !== endpoint.key || other.endpoint.protocol !== 'modbus-rtu') continue;
      if (line(other.endpoint) !== line(endpoint)) {
        throw new GatewayError(
          ErrorKind.ContractInvalid,
          `device "${deviceName}": ${endpoint.path} is already open at ${line(other.endpoint)} for device "${name}"; ` +
            `units on one serial line must use the same BaudRate, DataBits, Parity and StopBits (got ${line(endpoint)})`,
        );
      }
    }
  }

  /**
   * The endpoint of a device the driver holds. One it does not hold (never
   * added, refused, or removed while the SDK's read was on its way) is not
   * served: its request would open a connection that nothing releases.
   */
  private endpointOf(device: Device, profile: DeviceProfile): ModbusEndpoint {
    const entry = this.devices.get(device.name);
    if (entry) return entry.endpoint;
    this.check(device, profile); // a refused device: say why
    throw new GatewayError(ErrorKind.EntityNotFound, `device "${device.name}" is not a device of the modbus driver (never added, or removed)`);
  }

  private pointOf(device: Device, request: Pick<CommandRequest, 'resource' | 'attributes'>): ModbusPoint {
    const { resource } = request;
    const attributes = request.attributes ?? resource.attributes;
    const cached = this.points.get(resource);
    if (cached && cached.device === device.name && cached.attributes === attributes) return cached.point;
    const point = parseModbusPoint(device.name, resource.name, resource.properties.valueType, attributes);
    this.points.set(resource, { device: device.name, attributes, point });
    return point;
  }

  private async releaseIfUnused(key: string): Promise<void> {
    for (const entry of this.devices.values()) if (entry.endpoint.key === key) return;
    await this.pool.release(key);
  }
}

/** Whether the request reads addresses no point asked for. */
function bridgesGap(request: ReadRequest): boolean {
  let covered = 0;
  let end = request.start;
  for (const { point, offset } of [...request.points].sort((a, b) => a.offset - b.offset)) {
    const from = request.start + offset;
    const to = from + point.count;
    covered += Math.max(0, to - Math.max(from, end));
    end = Math.max(end, to);
  }
  return covered < request.count;
}

function isIllegalAddress(err: unknown): boolean {
  return GatewayError.is(err, ErrorKind.ContractInvalid) && (err as { cause?: { modbusCode?: number } }).cause?.modbusCode === 2;
}

/** What must match for units to share a line: `19200 8E1`; empty for TCP. */
function lineSettings(e: ModbusEndpoint): string {
  return e.protocol === 'modbus-rtu' ? `${e.baudRate} ${e.dataBits}${e.parity}${e.stopBits}` : '';
}

function describe(request: ReadRequest): string {
  return `${request.table} ${request.start}+${request.count} (FC${request.functionCode})`;
}

async function readTable(client: ModbusRTU, request: ReadRequest): Promise<Array<number | boolean>> {
  switch (request.table) {
    case 'COILS':
      return (await client.readCoils(request.start, request.count)).data;
    case 'DISCRETE_INPUTS':
      return (await client.readDiscreteInputs(request.start, request.count)).data;
    case 'HOLDING_REGISTERS':
      return (await client.readHoldingRegisters(request.start, request.count)).data;
    case 'INPUT_REGISTERS':
      return (await client.readInputRegisters(request.start, request.count)).data;
  }
}
