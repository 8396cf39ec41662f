/**
 * An EdgeX profile and its devices as KubeEdge v1beta1 objects: one
 * DeviceModel, one Device per device. What KubeEdge has no field for is left
 * out and told in `notes` (README "KubeEdge device CRDs": the lossy parts).
 */
import { canWrite, Device, DeviceProfile, DeviceResource, parseDuration, ValueType } from '@gw/contracts';
import { kubeedgeType } from '@gw/kubeedge-dmi';
import { ANNOTATION, DeviceCrd, DeviceModelCrd, DeviceProperty, KUBEEDGE_API_VERSION, KubeEdgeType, ModelProperty, ObjectMeta } from './crd-types';
import { uniqueKubernetesNames } from './names';

export interface ExportOptions {
  /** Kubernetes namespace of every object (default `default`). */
  namespace?: string;
  /** spec.nodeName of every Device: the edge node that runs its mapper. */
  nodeName?: string;
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

export function exportKubeEdge(profile: DeviceProfile, devices: Device[], options: ExportOptions = {}): KubeEdgeExport {
  const notes: string[] = [];
  const namespace = options.namespace ?? 'default';
  const modelName = uniqueKubernetesNames([profile.name], 'profile').get(profile.name)!;
  const deviceNames = uniqueKubernetesNames(
    devices.map((d) => d.name),
    'device',
  );
  const protocolNames = [...new Set(devices.flatMap((d) => Object.keys(d.protocols ?? {}).slice(0, 1)))];

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
  if (profile.deviceCommands.length && devices.length === 0) notes.push('deviceCommands travel as the methods of each Device: with no device of this profile they are left out');
  const cycles = (device: Device) => cyclesOf(device, profile);
  return {
    objects: [model, ...devices.map((device) => deviceObject(device, profile, modelName, deviceNames.get(device.name)!, namespace, options.nodeName, cycles(device), notes))],
    notes: [...new Set(notes)],
  };
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

/** Each resource's polling period in ms from the device's autoEvents (a command's covers each of its resources; the shortest wins). */
function cyclesOf(device: Device, profile: DeviceProfile): Map<string, number> {
  const cycles = new Map<string, number>();
  for (const autoEvent of device.autoEvents ?? []) {
    const command = profile.deviceCommands.find((c) => c.name === autoEvent.sourceName);
    const resources = command ? command.resourceOperations.map((op) => op.deviceResource) : [autoEvent.sourceName];
    const ms = parseDuration(autoEvent.interval);
    for (const name of resources) cycles.set(name, Math.min(ms, cycles.get(name) ?? Infinity));
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
  const properties: DeviceProperty[] = profile.deviceResources.map((resource) => {
    const cycle = cycles.get(resource.name);
    const attributes = resource.attributes ?? {};
    return {
      name: resource.name,
      ...(Object.keys(attributes).length ? { visitors: { ...(protocol ? { protocolName: protocol[0] } : {}), configData: attributes } } : {}),
      ...(cycle !== undefined ? { collectCycle: cycle, reportCycle: cycle } : {}),
      reportToCloud: true,
      // The twin of a writable property: desired state comes from the cloud; no value is wanted until someone sets one.
      ...(canWrite(resource.properties.readWrite) ? { desired: { value: '', metadata: { type: kubeedgeType(resource.properties.valueType) } } } : {}),
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
      ...(protocol ? { protocol: { protocolName: protocol[0], configData: protocol[1] } } : {}),
      properties,
      ...(methods.length ? { methods } : {}),
    },
  };
}
