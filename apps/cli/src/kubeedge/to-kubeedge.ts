/**
 * An EdgeX profile and its devices as KubeEdge v1beta1 objects: one
 * DeviceModel, one Device per device. What KubeEdge has no field for is left
 * out and told in `notes` (README "KubeEdge device CRDs": the lossy parts).
 */
import { Device, DeviceProfile, DeviceResource, ErrorKind, GatewayError, parseDuration, ValueType } from '@gw/contracts';
import { commandAccess } from './from-kubeedge';
import { ANNOTATION, DeviceCrd, DeviceModelCrd, DeviceProperty, EDGEX_PROTOCOL, KUBEEDGE_API_VERSION, KubeEdgeType, ModelProperty, ObjectMeta } from './crd-types';
import { uniqueKubernetesNames } from './names';

export interface ExportOptions {
  /** Kubernetes namespace of every object (default `default`). */
  namespace?: string;
  /** spec.nodeName of every Device: the edge node that runs its mapper. */
  nodeName?: string;
  /** protocolName of every Device (the mapper KubeEdge hands it to); default: the driver whose edgexProtocols list the device's protocol key. */
  protocolName?: string;
  /** The drivers and the EdgeX protocol keys each reads (@gw/drivers DRIVERS). */
  drivers: ReadonlyArray<{ name: string; edgexProtocols: readonly string[] }>;
}


export interface KubeEdgeExport {
  objects: Array<DeviceModelCrd | DeviceCrd>;
  /** What did not fit KubeEdge's fields, one line each. */
  notes: string[];
}

const TYPE: Record<string, KubeEdgeType> = {
  Int8: 'INT', Int16: 'INT', Int32: 'INT', Int64: 'INT', Uint8: 'INT', Uint16: 'INT', Uint32: 'INT', Uint64: 'INT',
  Float32: 'FLOAT', Float64: 'DOUBLE', String: 'STRING', Bool: 'BOOLEAN', Binary: 'BYTES',
};
/** The EdgeX types a KubeEdge type comes back as (gw import kubeedge): the others are narrowed or widened. */
const EXACT: ReadonlySet<ValueType> = new Set<ValueType>(['Int64', 'Float32', 'Float64', 'String', 'Bool', 'Binary']);
const DROPPED_PROPERTIES = ['defaultValue', 'mask', 'shift', 'scale', 'offset', 'base', 'assertion', 'mediaType', 'optional'] as const;

export function exportKubeEdge(profile: DeviceProfile, devices: Device[], options: ExportOptions): KubeEdgeExport {
  const notes: string[] = [];
  const namespace = options.namespace ?? 'default';
  const modelName = uniqueKubernetesNames([profile.name], 'profile').get(profile.name)!;
  const deviceNames = uniqueKubernetesNames(
    devices.map((d) => d.name),
    'device',
  );
  const mappers = new Map(devices.map((d) => [d.name, mapperOf(d, options)]));
  const protocolNames = [...new Set([...mappers.values()].filter((m): m is string => m !== undefined))];
  if (devices.length === 0 && options.protocolName) protocolNames.push(options.protocolName);
  if (protocolNames.length > 1) notes.push(`the devices go to different mappers (${protocolNames.join(', ')}): DeviceModel.spec.protocol left out`);

  const model: DeviceModelCrd = {
    apiVersion: KUBEEDGE_API_VERSION,
    kind: 'DeviceModel',
    metadata: meta(modelName, profile.name, namespace, {
      [ANNOTATION.description]: profile.description,
      [ANNOTATION.labels]: profile.labels?.length ? JSON.stringify(profile.labels) : undefined,
      [ANNOTATION.manufacturer]: profile.manufacturer,
      [ANNOTATION.model]: profile.model,
    }),
    spec: {
      ...(protocolNames.length === 1 ? { protocol: protocolNames[0] } : {}),
      properties: profile.deviceResources.map((r) => modelProperty(r, notes)),
    },
  };
  for (const command of profile.deviceCommands) {
    if (command.isHidden || (command.tags && Object.keys(command.tags).length)) notes.push(`${command.name}: a command's isHidden and tags have no KubeEdge field; left out`);
  }
  for (const command of profile.deviceCommands) {
    if (command.resourceOperations.some((op) => op.mappings && Object.keys(op.mappings).length)) notes.push(`${command.name}: resourceOperations' mappings have no KubeEdge field; left out`);
    if (command.resourceOperations.some((op) => op.defaultValue !== undefined && op.defaultValue !== '')) notes.push(`${command.name}: resourceOperations' defaultValue has no KubeEdge field; left out`);
    const rw = commandAccess(command.resourceOperations.map((op) => profile.deviceResources.find((r) => r.name === op.deviceResource)?.properties.readWrite ?? 'RW'));
    if (rw !== command.readWrite) notes.push(`${command.name}: a method has no readWrite; the command comes back ${rw} (its resources' access), not ${command.readWrite}`);
  }
  if (devices.length === 0) {
    if (profile.deviceCommands.length) notes.push('deviceCommands travel as the methods of each Device: with no device of this profile they are left out');
    if (profile.deviceResources.some((r) => r.attributes && Object.keys(r.attributes).length)) notes.push("resource attributes travel as each Device's visitors: with no device of this profile they are left out");
  }
  const cycles = (device: Device) => cyclesOf(device, profile, notes);
  return {
    objects: [model, ...devices.map((device) => deviceObject(device, profile, modelName, deviceNames.get(device.name)!, namespace, options.nodeName, mappers.get(device.name), cycles(device), notes))],
    notes: [...new Set(notes)],
  };
}

/** The mapper a device goes to: --protocol, else the driver reading its (first) EdgeX protocol key; undefined for a device without protocols. */
function mapperOf(device: Device, options: ExportOptions): string | undefined {
  const key = Object.keys(device.protocols ?? {})[0];
  if (key === undefined) return options.protocolName;
  if (options.protocolName) return options.protocolName;
  const driver = options.drivers.find((d) => d.edgexProtocols.includes(key));
  if (!driver) {
    const known = options.drivers.map((d) => `${d.name} (${d.edgexProtocols.join(', ')})`).join('; ');
    throw new GatewayError(ErrorKind.ContractInvalid, `device ${device.name}: no driver reads protocol "${key}" (${known}); give --protocol NAME to name its mapper`);
  }
  return driver.name;
}

function meta(name: string, edgexName: string, namespace: string, extra: Record<string, string | undefined>): ObjectMeta {
  const annotations = Object.fromEntries(
    Object.entries({ ...(name === edgexName ? {} : { [ANNOTATION.name]: edgexName }), ...extra }).filter(([, v]) => v !== undefined && v !== ''),
  ) as Record<string, string>;
  return { name, namespace, ...(Object.keys(annotations).length ? { annotations } : {}) };
}

function modelProperty(resource: DeviceResource, notes: string[]): ModelProperty {
  const { valueType, readWrite, minimum, maximum, units } = resource.properties;
  const type = TYPE[valueType] ?? 'STRING';
  if (!EXACT.has(valueType)) notes.push(`${resource.name}: valueType ${valueType} is ${type} in KubeEdge (imported back as ${type === 'INT' ? 'Int64' : 'String'})`);
  if (readWrite === 'W') notes.push(`${resource.name}: write-only has no KubeEdge accessMode; exported as ReadWrite`);
  const dropped = DROPPED_PROPERTIES.filter((key) => resource.properties[key] !== undefined);
  if (resource.isHidden) notes.push(`${resource.name}: isHidden has no KubeEdge field; imported back visible`);
  if (resource.tags && Object.keys(resource.tags).length) notes.push(`${resource.name}: tags have no KubeEdge field; left out`);
  if (dropped.length) notes.push(`${resource.name}: ${dropped.join(', ')} ha${dropped.length > 1 ? 've' : 's'} no field in a KubeEdge DeviceModel; left out`);
  return {
    name: resource.name,
    ...(resource.description ? { description: resource.description } : {}),
    type,
    accessMode: readWrite === 'R' ? 'ReadOnly' : 'ReadWrite',
    ...(minimum !== undefined ? { minimum: String(minimum) } : {}),
    ...(maximum !== undefined ? { maximum: String(maximum) } : {}),
    ...(units !== undefined && units !== '' ? { unit: String(units) } : {}),
  };
}

/**
 * Each resource's polling period in whole ms (collectCycle is an int64 of ms
 * in KubeEdge's CRD and mapper-framework) from the device's autoEvents: a
 * command's covers each of its resources; the shortest wins.
 */
export function cyclesOf(device: Device, profile: DeviceProfile, notes: string[]): Map<string, number> {
  const cycles = new Map<string, number>();
  for (const autoEvent of device.autoEvents ?? []) {
    const command = profile.deviceCommands.find((c) => c.name === autoEvent.sourceName);
    const resources = command ? command.resourceOperations.map((op) => op.deviceResource) : [autoEvent.sourceName];
    const exact = parseDuration(autoEvent.interval);
    const ms = Math.max(1, Math.round(exact));
    if (ms !== exact) notes.push(`${device.name}: autoEvent ${autoEvent.sourceName} every ${autoEvent.interval} is ${ms} ms (KubeEdge cycles are whole milliseconds)`);
    for (const name of resources) {
      const before = cycles.get(name);
      if (before !== undefined && before !== ms) notes.push(`${device.name}: ${name} is in autoEvents of ${before} and ${ms} ms; KubeEdge keeps one cycle per property (the shortest)`);
      cycles.set(name, Math.min(ms, before ?? Infinity));
    }
  }
  return cycles;
}

function deviceObject(
  device: Device,
  profile: DeviceProfile,
  modelName: string,
  name: string,
  namespace: string,
  nodeName: string | undefined,
  mapper: string | undefined,
  cycles: Map<string, number>,
  notes: string[],
): DeviceCrd {
  const [protocol, ...others] = Object.entries(device.protocols ?? {});
  if (others.length) notes.push(`${device.name}: KubeEdge takes one protocol; ${others.map(([p]) => p).join(', ')} left out (kept ${protocol[0]})`);
  if (device.autoEvents?.some((a) => a.onChange)) notes.push(`${device.name}: autoEvents' onChange has no KubeEdge field; left out`);
  if (device.autoEvents?.some((a) => a.retention)) notes.push(`${device.name}: autoEvents' retention has no KubeEdge field; left out`);
  const extras = (['tags', 'properties', 'location', 'parent'] as const).filter((key) => device[key] !== undefined && !(typeof device[key] === 'object' && Object.keys(device[key] as object).length === 0));
  if (extras.length) notes.push(`${device.name}: ${extras.join(', ')} ha${extras.length > 1 ? 've' : 's'} no KubeEdge field; left out`);
  if (device.adminState === 'LOCKED') notes.push(`${device.name}: LOCKED has no KubeEdge field; imported back UNLOCKED`);
  if (device.operatingState === 'DOWN') notes.push(`${device.name}: operatingState DOWN is the mapper's to report; imported back UP`);
  const properties: DeviceProperty[] = profile.deviceResources.map((resource) => {
    const cycle = cycles.get(resource.name);
    const attributes = resource.attributes ?? {};
    return {
      name: resource.name,
      ...(Object.keys(attributes).length ? { visitors: { ...(mapper ? { protocolName: mapper } : {}), configData: attributes } } : {}),
      ...(cycle !== undefined ? { collectCycle: cycle, reportCycle: cycle } : {}),
      reportToCloud: true,
      // No desired: a writable property is wanted at no value until someone sets one (an empty value would be a write of '').
    };
  });
  const methods = profile.deviceCommands.map((c) => ({ name: c.name, propertyNames: c.resourceOperations.map((op) => op.deviceResource) }));
  return {
    apiVersion: KUBEEDGE_API_VERSION,
    kind: 'Device',
    metadata: meta(name, device.name, namespace, {
      [ANNOTATION.description]: device.description,
      [ANNOTATION.labels]: device.labels?.length ? JSON.stringify(device.labels) : undefined,
      [ANNOTATION.service]: device.serviceName,
    }),
    spec: {
      deviceModelRef: { name: modelName },
      ...(nodeName ? { nodeName } : {}),
      ...(protocol && mapper ? { protocol: { protocolName: mapper, configData: { [EDGEX_PROTOCOL]: protocol[0], ...protocol[1] } } } : {}),
      properties,
      ...(methods.length ? { methods } : {}),
    },
  };
}
