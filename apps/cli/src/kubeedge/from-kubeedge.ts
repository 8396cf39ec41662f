/**
 * KubeEdge v1beta1 DeviceModel and Device objects as EdgeX profiles and
 * devices: the reverse of to-kubeedge.ts. Model properties become resources
 * as the KubeEdge mapper mode reads them (@gw/kubeedge-dmi profileFromModel),
 * visitors the resources' attributes, methods deviceCommands,
 * collectCycle/reportCycle autoEvents; the annotations of an export give back
 * the EdgeX names, descriptions and labels.
 */
import { canRead, canWrite, Device, DeviceCommand, DeviceProfile, ErrorKind, GatewayError, ReadWrite } from '@gw/contracts';
import { edgexName, edgexProtocolOf, profileFromModel, withVisitors } from '@gw/kubeedge-dmi';
import { ANNOTATION, DeviceCrd, DeviceModelCrd, EDGEX_PROTOCOL, KUBEEDGE_API_VERSION, ObjectMeta } from './crd-types';

export interface ImportOptions {
  /** serviceName of every device (else each Device's edgexfoundry.org/service annotation). */
  serviceName?: string;
  /** The drivers and the EdgeX protocol keys each reads (@gw/drivers DRIVERS): a protocolName that names one is read as the mapper mode reads it. */
  drivers?: ReadonlyArray<{ name: string; edgexProtocols: readonly string[] }>;
}

export interface EdgeXImport {
  profiles: DeviceProfile[];
  devices: Device[];
  notes: string[];
}

/** `documents`: the parsed YAML documents; each one is named `<source>#<n>` in messages. */
export function importKubeEdge(documents: unknown[], source: string, options: ImportOptions = {}): EdgeXImport {
  const notes: string[] = [];
  const models: Array<{ crd: DeviceModelCrd; where: string }> = [];
  const devices: Array<{ crd: DeviceCrd; where: string }> = [];
  documents.forEach((doc, i) => {
    const where = `${source}#${i + 1}`;
    if (doc === null || doc === undefined) return;
    const object = doc as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
    if (typeof object !== 'object' || Array.isArray(object)) throw invalid(where, 'expected a Kubernetes object (apiVersion, kind, metadata, spec)');
    if (object.kind !== 'DeviceModel' && object.kind !== 'Device') {
      notes.push(`${where}: ${String(object.kind)} ignored (only DeviceModel and Device are imported)`);
      return;
    }
    if (object.apiVersion !== KUBEEDGE_API_VERSION) throw invalid(where, `apiVersion: expected ${KUBEEDGE_API_VERSION}, got ${JSON.stringify(object.apiVersion)}`);
    if (typeof object.metadata?.name !== 'string' || object.metadata.name === '') throw invalid(where, 'metadata.name: required');
    if (object.kind === 'DeviceModel') models.push({ crd: doc as DeviceModelCrd, where });
    else devices.push({ crd: doc as DeviceCrd, where });
  });

  const profileNames = new Map(models.map(({ crd }) => [refKey(crd.metadata), edgexNameOf(crd.metadata)]));
  let profiles = models.map(({ crd, where }) => {
    try {
      return profileOf(crd, devices.find((d) => d.crd.spec?.deviceModelRef?.name === crd.metadata.name && sameNamespace(d.crd.metadata, crd.metadata))?.crd);
    } catch (err) {
      throw invalid(where, (err as Error).message);
    }
  });
  const imported = devices.map(({ crd, where }) => {
    const modelRef = crd.spec?.deviceModelRef?.name;
    if (!modelRef) throw invalid(where, 'spec.deviceModelRef.name: required');
    const modelKey = refKey({ name: modelRef, namespace: crd.metadata.namespace });
    const profileName = profileNames.get(modelKey) ?? edgexName({ namespace: crd.metadata.namespace || 'default', name: modelRef });
    const device = deviceOf(crd, profileName, options, where, notes);
    const visitors = Object.fromEntries(
      (crd.spec.properties ?? []).filter((p) => p.visitors?.configData && Object.keys(p.visitors.configData).length).map((p) => [p.name, p.visitors!.configData!]),
    );
    profiles = profiles.map((profile) => {
      if (profile.name !== profileName) return profile;
      const merged = withVisitors(profile, visitors);
      if (merged.conflicts.length) notes.push(`${where}: visitors of ${merged.conflicts.join(', ')} differ from another device's; EdgeX keeps one set per profile (the first)`);
      return merged.profile;
    });
    return device;
  });
  return { profiles, devices: imported, notes: [...new Set(notes)] };
}

function invalid(where: string, message: string): GatewayError {
  return new GatewayError(ErrorKind.ContractInvalid, `${where}: ${message}`);
}

const refKey = (meta: { name: string; namespace?: string }) => `${meta.namespace || 'default'}/${meta.name}`;
const sameNamespace = (a: ObjectMeta, b: ObjectMeta) => (a.namespace || 'default') === (b.namespace || 'default');

/** The EdgeX name an object had (its annotation), else the mapper mode's name for it (`name`, or `namespace~name` outside `default`). */
function edgexNameOf(meta: ObjectMeta): string {
  return meta.annotations?.[ANNOTATION.name] ?? edgexName({ namespace: meta.namespace || 'default', name: meta.name });
}

function labelsOf(meta: ObjectMeta, fallback: string[]): string[] {
  const text = meta.annotations?.[ANNOTATION.labels];
  if (text === undefined) return fallback;
  try {
    const labels = JSON.parse(text) as unknown;
    if (Array.isArray(labels) && labels.every((l) => typeof l === 'string')) return labels;
  } catch {
    // not JSON: below
  }
  throw new Error(`metadata.annotations.${ANNOTATION.labels}: expected a JSON list of texts, got ${JSON.stringify(text)}`);
}

function profileOf(model: DeviceModelCrd, firstDevice: DeviceCrd | undefined): DeviceProfile {
  const base = profileFromModel({ name: model.metadata.name, namespace: model.metadata.namespace, spec: { properties: model.spec?.properties ?? [] } });
  const annotations = model.metadata.annotations ?? {};
  // Keys in the order EdgeX's own files write them, for a readable --dry-run.
  const profile: DeviceProfile = {
    name: edgexNameOf(model.metadata),
    description: annotations[ANNOTATION.description] ?? base.description,
    ...(annotations[ANNOTATION.manufacturer] ? { manufacturer: annotations[ANNOTATION.manufacturer] } : {}),
    ...(annotations[ANNOTATION.model] ? { model: annotations[ANNOTATION.model] } : {}),
    labels: labelsOf(model.metadata, base.labels ?? []),
    deviceResources: base.deviceResources.map(({ name, description, isHidden, properties }) => ({ name, ...(description ? { description } : {}), isHidden, properties })),
    deviceCommands: [],
  };
  profile.deviceCommands = (firstDevice?.spec?.methods ?? []).map((method) => commandOf(method, profile));
  return profile;
}

/** A method's access: readable if all its resources are, writable if all are (as the mapper mode makes its commands). */
export function commandAccess(resources: ReadWrite[]): ReadWrite {
  const read = resources.every(canRead);
  const write = resources.every(canWrite);
  return read && write ? 'RW' : write ? 'W' : 'R';
}

/** A method as a deviceCommand: readable if all its resources are, writable if all are. */
function commandOf(method: { name: string; propertyNames?: string[] }, profile: DeviceProfile): DeviceCommand {
  const resources = (method.propertyNames ?? []).map((name) => {
    const resource = profile.deviceResources.find((r) => r.name === name);
    if (!resource) throw new Error(`method ${method.name}: property ${name} is not in the model`);
    return resource;
  });
  const readWrite = commandAccess(resources.map((r) => r.properties.readWrite));
  return { name: method.name, isHidden: false, readWrite, resourceOperations: resources.map((r) => ({ deviceResource: r.name })) };
}

function deviceOf(crd: DeviceCrd, profileName: string, options: ImportOptions, where: string, notes: string[]): Device {
  const meta = crd.metadata;
  const serviceName = options.serviceName ?? meta.annotations?.[ANNOTATION.service];
  if (!serviceName) throw invalid(where, `no device service: give --service NAME (or the ${ANNOTATION.service} annotation)`);
  const protocol = crd.spec.protocol;
  const properties = crd.spec.properties ?? [];
  const wanted = properties.filter((p) => p.desired?.value);
  if (wanted.length) notes.push(`${where}: desired values of ${wanted.map((p) => p.name).join(', ')} are not written (the KubeEdge mapper mode applies them)`);
  let labels: string[];
  try {
    labels = labelsOf(meta, ['kubeedge']);
  } catch (err) {
    throw invalid(where, (err as Error).message);
  }
  return {
    name: edgexNameOf(meta),
    description: meta.annotations?.[ANNOTATION.description] ?? `KubeEdge device ${meta.namespace || 'default'}/${meta.name}`,
    adminState: 'UNLOCKED',
    operatingState: 'UP',
    labels,
    serviceName,
    profileName,
    protocols: protocolsOf(protocol, where, options.drivers ?? []),
    autoEvents: autoEventsOf(properties, crd.spec.methods ?? []),
  };
}

/**
 * The EdgeX protocols of a Device: protocolName names the mapper (the
 * driver); the EdgeX protocol key travels in configData.edgexProtocol (as gw
 * export kubeedge writes it). For a driver's protocolName the key is read as
 * the mapper mode reads it (@gw/kubeedge-dmi edgexProtocolOf: else the
 * protocolName when the driver reads that key, else the driver's only key);
 * for another protocolName it is edgexProtocol, else the protocolName.
 */
function protocolsOf(protocol: DeviceCrd['spec']['protocol'], where: string, drivers: NonNullable<ImportOptions['drivers']>): Device['protocols'] {
  if (!protocol?.protocolName) return {};
  const { [EDGEX_PROTOCOL]: given, ...configData } = protocol.configData ?? {};
  const driver = drivers.find((d) => d.name === protocol.protocolName);
  if (driver) return { [edgexProtocolOf(given, protocol.protocolName, driver.edgexProtocols, where)]: configData };
  if (given !== undefined && (typeof given !== 'string' || given === '')) throw invalid(where, `spec.protocol.configData.${EDGEX_PROTOCOL}: expected an EdgeX protocol name, got ${JSON.stringify(given)}`);
  return { [(given as string | undefined) ?? protocol.protocolName]: configData };
}

/**
 * collectCycle (else reportCycle) as autoEvents: a method whose properties
 * all have the same cycle is read as one autoEvent (as an export of an
 * autoEvent on a deviceCommand writes it), the other properties one each.
 */
function autoEventsOf(properties: NonNullable<DeviceCrd['spec']['properties']>, methods: NonNullable<DeviceCrd['spec']['methods']>): NonNullable<Device['autoEvents']> {
  const cycles = new Map<string, number>();
  for (const p of properties) {
    const ms = Number(p.collectCycle) || Number(p.reportCycle) || 0;
    if (ms > 0) cycles.set(p.name, ms);
  }
  const events: NonNullable<Device['autoEvents']> = [];
  for (const method of methods) {
    const names = method.propertyNames ?? [];
    const ms = cycles.get(names[0] ?? '');
    if (ms === undefined || !names.every((n) => cycles.get(n) === ms)) continue;
    events.push({ sourceName: method.name, interval: durationText(ms), onChange: false });
    for (const n of names) cycles.delete(n);
  }
  for (const [name, ms] of cycles) events.push({ sourceName: name, interval: durationText(ms), onChange: false });
  return events;
}

/** 1000 → `1s`, 90000 → `90s`, 1500 → `1500ms`, 3600000 → `1h`. */
export function durationText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
