/**
 * KubeEdge v1beta1 device objects, as edgecore sends them over DMI, turned
 * into EdgeX ones and back. Pure: no I/O.
 *
 * - A DeviceModel becomes a DeviceProfile: each model property a
 *   deviceResource (type INT/FLOAT/DOUBLE/STRING/BOOLEAN/BYTES as Int64,
 *   Float32, Float64, String, Bool, Binary; accessMode ReadOnly as R,
 *   ReadWrite (or none) as RW; minimum, maximum, unit kept).
 * - A Device becomes a Device of this service with that profile: its
 *   protocol's configData as protocols[key], one autoEvent per
 *   property with a collectCycle (else reportCycle; a property reported to
 *   the cloud without either: 1 s, KubeEdge's default collectCycle) in ms,
 *   at least 100 ms, and its identity in KubeEdge in properties.kubeedge.
 *   As KubeEdge's mappers (TwinData.Run), twins are reported every
 *   collectCycle; reportCycle is the pushMethod's. status.reportToCloud and
 *   status.reportCycle (edgecore copies spec.stateReport into them) are the
 *   device state's. Visitors' configData are per device
 *   in KubeEdge and per profile resource in EdgeX: they become the
 *   attributes of the profile's resources (see withVisitors).
 * - Names: KubeEdge's are namespaced, EdgeX's are not: `name` in the
 *   `default` namespace, `namespace~name` in others (`~` cannot occur in a
 *   Kubernetes name, so two objects never share an EdgeX name).
 * - Protocols: spec.protocol.protocolName names the mapper (edgecore routes
 *   devices by it: the driver's name, as `gw export kubeedge` writes it); the
 *   EdgeX protocol key is configData.edgexProtocol, else the protocolName when
 *   the driver reads it (`opcua`), else the driver's only key (virtual:
 *   `other`). A key the driver does not read is refused, naming the field.
 */
import { Device as EdgeXDevice, DeviceProfile, DeviceResource, ErrorKind, GatewayError, ReadWrite, ValueType } from '@gw/contracts';
import { decodeConfigData } from './any-value';
import type { Device, DeviceModel, ModelProperty } from './dmi-types';

export const DEFAULT_NAMESPACE = 'default';
/** KubeEdge's mapper-framework reads and reports twins every second unless told otherwise (common.DefaultCollectCycle). */
export const DEFAULT_COLLECT_CYCLE_MS = 1_000;
/** The shortest autoEvent a KubeEdge cycle becomes (a 1 ms collectCycle would keep a driver busy). */
export const MIN_CYCLE_MS = 100;

/** A KubeEdge object's identity. */
export interface KubeEdgeRef {
  namespace: string;
  name: string;
}

/** What properties.kubeedge of an EdgeX device holds. */
export interface KubeEdgeDeviceTag extends KubeEdgeRef {
  deviceModel: string;
}

/** The EdgeX name of a namespaced KubeEdge object. */
export function edgexName(ref: KubeEdgeRef): string {
  return ref.namespace === DEFAULT_NAMESPACE || ref.namespace === '' ? ref.name : `${ref.namespace}~${ref.name}`;
}

export function refOf(object: { name?: string; namespace?: string }, what: string): KubeEdgeRef {
  if (!object.name) throw new GatewayError(ErrorKind.ContractInvalid, `${what}: name is empty`);
  return { namespace: object.namespace || DEFAULT_NAMESPACE, name: object.name };
}

export const refId = (ref: KubeEdgeRef): string => `${ref.namespace}/${ref.name}`;

const VALUE_TYPE: Record<string, ValueType> = {
  int: 'Int64',
  integer: 'Int64',
  float: 'Float32',
  double: 'Float64',
  string: 'String',
  boolean: 'Bool',
  bool: 'Bool',
  bytes: 'Binary',
};

/** The profile of a device model. Throws ContractInvalid naming the model and property of a bad field. */
export function profileFromModel(model: DeviceModel): DeviceProfile {
  const ref = refOf(model, 'device model');
  const where = `device model ${refId(ref)}`;
  const properties = model.spec?.properties ?? [];
  return {
    name: edgexName(ref),
    description: `KubeEdge device model ${refId(ref)}`,
    labels: ['kubeedge'],
    deviceResources: properties.map((property, i) => resourceOf(property, `${where}: spec.properties[${i}]`)),
    deviceCommands: [],
  };
}

function resourceOf(property: ModelProperty, where: string): DeviceResource {
  if (!property.name) throw new GatewayError(ErrorKind.ContractInvalid, `${where}.name is empty`);
  const at = `${where} (${property.name})`;
  const valueType = VALUE_TYPE[(property.type ?? '').toLowerCase()];
  if (!valueType) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${at}.type: expected one of INT, FLOAT, DOUBLE, STRING, BOOLEAN, BYTES, got "${property.type ?? ''}"`);
  }
  const readWrite = accessModeOf(property.accessMode, at);
  const resource: DeviceResource = { name: property.name, isHidden: false, properties: { valueType, readWrite } };
  if (property.description) resource.description = property.description;
  if (property.unit) resource.properties.units = property.unit;
  for (const key of ['minimum', 'maximum'] as const) {
    const text = property[key];
    if (!text) continue;
    const value = Number(text);
    if (!Number.isFinite(value)) throw new GatewayError(ErrorKind.ContractInvalid, `${at}.${key}: expected a number, got "${text}"`);
    resource.properties[key] = value;
  }
  return resource;
}

function accessModeOf(accessMode: string | undefined, where: string): ReadWrite {
  switch ((accessMode ?? '').toLowerCase()) {
    case '':
    case 'readwrite':
      return 'RW';
    case 'readonly':
      return 'R';
    case 'writeonly':
      return 'W';
    default:
      throw new GatewayError(ErrorKind.ContractInvalid, `${where}.accessMode: expected ReadWrite or ReadOnly, got "${accessMode}"`);
  }
}

export interface MappedDevice {
  device: EdgeXDevice;
  /** Each property's visitor configData (its resource's attributes). */
  visitors: Record<string, Record<string, unknown>>;
  /** Each property's desired value, when one is set. */
  desired: Record<string, string>;
  /** Properties whose values go to the cloud (reportToCloud). */
  reported: string[];
  /** How often at most their twins are reported: the shortest collectCycle of those properties (KubeEdge's TwinData.Run), else 1 s. */
  twinCycleMs: number;
  /** Whether the device's state goes to edgecore (status.reportToCloud, from spec.stateReport). */
  reportsState: boolean;
  /** Values of configData the mapper could not read (left out). */
  problems: string[];
}

/** configData's key holding the device's EdgeX protocol (`modbus-tcp`): protocolName is the mapper's (`modbus`). */
export const EDGEX_PROTOCOL_KEY = 'edgexProtocol';

/**
 * The EdgeX device of a KubeEdge device, owned by `serviceName`, whose driver
 * reads the protocol keys `edgexProtocols` (DriverDescriptor.edgexProtocols).
 * Throws ContractInvalid naming the field.
 */
export function deviceFromDmi(device: Device, serviceName: string, edgexProtocols: readonly string[]): MappedDevice {
  const ref = refOf(device, 'device');
  const where = `device ${refId(ref)}`;
  const spec = device.spec ?? {};
  if (!spec.deviceModelReference) throw new GatewayError(ErrorKind.ContractInvalid, `${where}: spec.deviceModelReference is empty`);
  const problems: string[] = [];
  const { [EDGEX_PROTOCOL_KEY]: edgexProtocol, ...protocol } = decodeConfigData(spec.protocol?.configData, `${where}: spec.protocol.configData`, problems);
  const protocolKey = edgexProtocolOf(edgexProtocol, spec.protocol?.protocolName ?? '', edgexProtocols, where);
  const visitors: MappedDevice['visitors'] = {};
  const desired: MappedDevice['desired'] = {};
  const reported: string[] = [];
  const autoEvents: NonNullable<EdgeXDevice['autoEvents']> = [];
  (spec.properties ?? []).forEach((property, i) => {
    if (!property.name) throw new GatewayError(ErrorKind.ContractInvalid, `${where}: spec.properties[${i}].name is empty`);
    const config = decodeConfigData(property.visitors?.configData, `${where}: spec.properties[${i}].visitors.configData`, problems);
    if (Object.keys(config).length > 0) visitors[property.name] = config;
    if (property.desired?.value) desired[property.name] = property.desired.value;
    if (property.reportToCloud) reported.push(property.name);
    let cycle = Number(property.collectCycle) || Number(property.reportCycle) || (property.reportToCloud ? DEFAULT_COLLECT_CYCLE_MS : 0);
    if (cycle > 0 && cycle < MIN_CYCLE_MS) {
      problems.push(`spec.properties[${i}] (${property.name}): a cycle of ${cycle} ms is read every ${MIN_CYCLE_MS} ms`);
      cycle = MIN_CYCLE_MS;
    }
    if (cycle > 0) autoEvents.push({ sourceName: property.name, interval: `${cycle}ms`, onChange: false });
  });
  const cycles = (spec.properties ?? []).filter((p) => p.reportToCloud).map((p) => Number(p.collectCycle) || DEFAULT_COLLECT_CYCLE_MS);
  const twinCycleMs = Math.max(MIN_CYCLE_MS, cycles.length > 0 ? Math.min(...cycles) : DEFAULT_COLLECT_CYCLE_MS);
  const modelRef = { namespace: ref.namespace, name: spec.deviceModelReference };
  const tag: KubeEdgeDeviceTag = { ...ref, deviceModel: spec.deviceModelReference };
  return {
    device: {
      name: edgexName(ref),
      description: `KubeEdge device ${refId(ref)}`,
      adminState: 'UNLOCKED',
      operatingState: 'UP',
      serviceName,
      profileName: edgexName(modelRef),
      labels: ['kubeedge'],
      protocols: { [protocolKey]: protocol },
      autoEvents,
      properties: { kubeedge: tag },
    },
    visitors,
    desired,
    reported,
    twinCycleMs,
    reportsState: device.status?.reportToCloud === true,
    problems,
  };
}

/**
 * The EdgeX protocol key of a device: configData.edgexProtocol, else its
 * protocolName when the driver reads that key (opcua, zigbee), else the
 * driver's only key (virtual: other); one the driver does not read is refused.
 */
export function edgexProtocolOf(given: unknown, protocolName: string, edgexProtocols: readonly string[], where: string): string {
  const field = `${where}: spec.protocol.configData.${EDGEX_PROTOCOL_KEY}`;
  if (given !== undefined && (typeof given !== 'string' || given === '')) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${field}: expected an EdgeX protocol name, got ${JSON.stringify(given)}`);
  }
  const key = given ?? (edgexProtocols.includes(protocolName) ? protocolName : edgexProtocols.length === 1 ? edgexProtocols[0] : undefined);
  const known = edgexProtocols.join(', ');
  if (key === undefined) throw new GatewayError(ErrorKind.ContractInvalid, `${field}: give one of ${known} (the protocol of this device in EdgeX)`);
  if (!edgexProtocols.includes(key)) throw new GatewayError(ErrorKind.ContractInvalid, `${field}: "${key}" is not a protocol this driver reads (${known})`);
  return key;
}

/** Where an EdgeX device came from in KubeEdge, when the mapper made it. */
export function kubeedgeTagOf(device: EdgeXDevice): KubeEdgeDeviceTag | undefined {
  const tag = (device.properties as { kubeedge?: Partial<KubeEdgeDeviceTag> } | undefined)?.kubeedge;
  return tag && typeof tag.name === 'string' && typeof tag.namespace === 'string' && typeof tag.deviceModel === 'string'
    ? { namespace: tag.namespace, name: tag.name, deviceModel: tag.deviceModel }
    : undefined;
}

export interface VisitorMerge {
  profile: DeviceProfile;
  /** Whether a resource got attributes it did not have. */
  changed: boolean;
  /** Properties whose visitors differ from the attributes the profile already has (the profile's are kept). */
  conflicts: string[];
}

/**
 * The profile with a device's visitors as the attributes of resources that
 * have none yet. EdgeX keeps attributes per profile: every device of a model
 * shares them, so a device whose visitors differ from the ones already there
 * is reported in `conflicts` (and runs with the profile's).
 */
export function withVisitors(profile: DeviceProfile, visitors: Record<string, Record<string, unknown>>): VisitorMerge {
  let changed = false;
  const conflicts: string[] = [];
  const deviceResources = profile.deviceResources.map((resource) => {
    const wanted = visitors[resource.name];
    if (!wanted) return resource;
    if (!resource.attributes || Object.keys(resource.attributes).length === 0) {
      changed = true;
      return { ...resource, attributes: wanted };
    }
    if (JSON.stringify(sorted(resource.attributes)) !== JSON.stringify(sorted(wanted))) conflicts.push(resource.name);
    return resource;
  });
  return { profile: { ...profile, deviceResources }, changed, conflicts };
}

function sorted(values: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
}
