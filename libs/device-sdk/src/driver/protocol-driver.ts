/**
 * The contract between the device-service SDK and a protocol driver. The SDK
 * owns scheduling, transforms, mappings, assertions, admin/operating state,
 * onChange filtering and publishing; a driver only talks to its devices.
 * (EdgeX's ProtocolDriver, reshaped for async TypeScript.)
 */
import { AutoEvent, Device, DeviceProfile, DeviceResource, OperatingState, ProvisionWatcher, ValueType } from '@gw/contracts';
import type { DriverRoute } from './routes';
import type { SecretReader } from '@gw/service-kit/config';

/** A value as the driver reads or writes it, before (read) or after (write) the SDK's transforms. */
export type RawValue = boolean | number | bigint | string | Uint8Array | unknown[] | Record<string, unknown>;

/** One resource to read or write, with what the driver needs to address it. */
export interface CommandRequest {
  resource: DeviceResource;
  /** The resource's `attributes` (driver-specific addressing, e.g. modbus primaryTable/startingAddress). */
  attributes: Record<string, unknown>;
  valueType: ValueType;
}

export interface ReadResult {
  /** Same order as the requests. */
  value: RawValue;
  /** Device time of the value in ns since the epoch, when the device supplies one. */
  origin?: number;
}

export interface WriteRequest extends CommandRequest {
  /** Already reverse-transformed and range-checked by the SDK. */
  value: RawValue;
}

/** A device found by discovery; matched against provision watchers by its protocol properties. */
export interface DiscoveredDevice {
  name: string;
  description?: string;
  labels?: string[];
  protocols: Device['protocols'];
  properties?: Record<string, unknown>;
}

/** Values a device reports on its own (OPC UA monitoring, BLE notify, ZigBee reports). */
export interface AsyncValues {
  deviceName: string;
  sourceName: string;
  values: Array<{ resourceName: string; value: RawValue; origin?: number }>;
}

/** What the SDK offers a driver. */
export interface DriverContext {
  serviceName: string;
  logger: {
    debug(obj: object, msg?: string): void;
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
  };
  /** Push path: the SDK transforms, filters and publishes these like polled values. */
  pushValues(values: AsyncValues): void;
  /** The service's own secrets (POST /api/v3/secret): pass as SecretSources.store so `${secret:NAME/KEY}` resolves. */
  secrets?: SecretReader;
  /**
   * Registers what the driver found on its own (a ZigBee device that joined and
   * was interviewed): `profile` is added to core-metadata when it has none of
   * that name, then the device under this service (one that exists is fine).
   * Absent when the host cannot register.
   */
  provision?(entry: { profile: DeviceProfile; device: DiscoveredDevice & { profileName: string } }): Promise<void>;
  /** Records an operating state the protocol observed (ZigBee availability) in core-metadata; failures are logged by the SDK. */
  setOperatingState?(deviceName: string, state: OperatingState, reason: string): void;
}

export interface ProtocolDriver {
  /** Called once before anything else; driver-wide settings come from its own config. */
  initialize(context: DriverContext): Promise<void>;
  start(): Promise<void>;
  stop(force: boolean): Promise<void>;

  /**
   * Reads several resources of one device in one go (the SDK groups what is due
   * together so drivers such as Modbus can coalesce). Rejects with a
   * GatewayError whose kind says what went wrong (Timeout, Communication,
   * ContractInvalid for a bad attribute naming device, resource and attribute).
   */
  read(device: Device, profile: DeviceProfile, requests: CommandRequest[]): Promise<ReadResult[]>;
  write(device: Device, profile: DeviceProfile, requests: WriteRequest[]): Promise<void>;

  /** Validates a device's protocol properties (and the attributes its profile uses) before it is accepted. */
  validateDevice(device: Device, profile?: DeviceProfile): Promise<void>;
  addDevice(device: Device, profile?: DeviceProfile): Promise<void>;
  updateDevice(device: Device, profile?: DeviceProfile): Promise<void>;
  removeDevice(device: Device): Promise<void>;

  /**
   * Optional capability: the driver watches this autoEvent itself and reports
   * what it sees through DriverContext.pushValues (OPC UA monitored items, BLE
   * notifications, ZigBee attribute reports), so the SDK's scheduler does not
   * poll it; the push path still applies transforms, mappings and the onChange
   * filter. Asked whenever the device's schedule is built (device added,
   * updated, profile changed, unlocked). The answer must depend only on its
   * arguments, never on connection state: the driver then keeps watching
   * through reconnects, as addDevice/updateDevice gave it the device and its
   * autoEvents. Absent or false: the scheduler polls the autoEvent with read().
   */
  monitorsAutoEvent?(device: Device, profile: DeviceProfile, autoEvent: AutoEvent): boolean;

  /**
   * Optional: finds devices on the configured networks. `signal` aborts when
   * the discovery is stopped (DELETE /discovery) or the service stops: end the
   * search early if it takes long (what is returned then is discarded).
   */
  discover?(signal?: AbortSignal): Promise<DiscoveredDevice[]>;
  /**
   * Optional (EdgeX 4's profile scan): reads what `device` offers and drafts a
   * profile for it (the SDK names it, adds it to core-metadata and moves the
   * device to it). `options` are the request's, driver-specific; `signal`
   * aborts on DELETE /profilescan/device/name/{name} or at stop.
   */
  scanProfile?(device: Device, options: Record<string, unknown>, signal: AbortSignal): Promise<Omit<DeviceProfile, 'name'>>;
  /** Optional: a watcher changed (drivers rarely care). */
  provisionWatcherChanged?(watcher: ProvisionWatcher): void;
  /** Optional: REST routes of this driver, served under /api/v3/<driver name>/ (see ./routes). Called once, after initialize. */
  routes?(): DriverRoute[];
}
