/**
 * DTDL v2 models of what the gateway reports to an Azure IoT Hub twin, so
 * IoT Central and Azure Digital Twins can read it (IoT Plug and Play):
 *
 * - one Interface per device profile (`<modelId path>:<profile>;<version>`):
 *   each deviceResource a Property (writable when readWrite has W; the twin
 *   transform reports every resource as a property), each deviceCommand a
 *   Command (its request an Object of its resources: the direct method
 *   `<component>*<command>` writes them; an empty payload reads them);
 * - the gateway's Interface (`modelId`, announced at CONNECT): one Component
 *   per gateway device the sink handles, named as in the twin, of its
 *   profile's Interface.
 *
 * No Telemetry: what the sink sends as telemetry is EdgeX event JSON, not
 * the Plug and Play telemetry object the model would promise (twin-model.ts).
 *
 * DTDL names are letters, digits and `_`, start with a letter, end with a
 * letter or digit, at most 64 characters; DTMI path segments the same. A
 * resource or command whose name is not a DTDL name, or whose value has no
 * DTDL schema (Binary, Object), is left out and listed in `omitted`.
 */
import { canWrite, DeviceProfile, ValueType } from '@gw/contracts';

export const DTMI = /^dtmi:[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?(?::[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?)*;[1-9][0-9]{0,8}$/;
const NAME = /^[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?$/;
const CONTEXT = 'dtmi:dtdl:context;2';
/** DTDL v2: an Interface's @id is at most 128 characters (other DTMIs 2048). */
export const MAX_INTERFACE_ID = 128;

export function isDtdlName(name: string): boolean {
  return name.length <= 64 && NAME.test(name);
}

type Schema = string | { '@type': 'Array'; elementSchema: string };
type Json = Record<string, unknown>;

const SCALAR: Partial<Record<ValueType, string>> = {
  Bool: 'boolean',
  String: 'string',
  Uint8: 'integer',
  Uint16: 'integer',
  Int8: 'integer',
  Int16: 'integer',
  Int32: 'integer',
  Uint32: 'long',
  Int64: 'long',
  // DTDL's long is signed 64-bit: values above 2^63 - 1 would overflow it; a double holds the whole range (not every digit).
  Uint64: 'double',
  Float32: 'float',
  Float64: 'double',
};

function schemaOf(valueType: ValueType): Schema | undefined {
  if (valueType.endsWith('Array')) {
    const element = SCALAR[valueType.slice(0, -'Array'.length) as ValueType];
    return element ? { '@type': 'Array', elementSchema: element } : undefined;
  }
  return SCALAR[valueType];
}

/** A DTDL name (or DTMI path segment) from any name: other characters become `_`, a leading digit gets a letter in front. */
export function dtdlNameOf(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  const start = /^[A-Za-z]/.test(cleaned) ? cleaned : `p${cleaned}`;
  return start.slice(0, 64).replace(/_+$/, '');
}

/** The Interface id of a profile, under the gateway's model id: `dtmi:com:example:gw;1` + `Demo-Sensor` → `dtmi:com:example:gw:Demo_Sensor;1`. */
export function profileInterfaceId(modelId: string, profileName: string): string {
  const [path, version] = modelId.split(';');
  return `${path}:${dtdlNameOf(profileName)};${version}`;
}

export interface ProfileInterface {
  model: Json;
  /** What the model could not describe, and why. */
  omitted: string[];
}

export function profileInterface(profile: DeviceProfile, id: string): ProfileInterface {
  const omitted: string[] = [];
  const contents: Json[] = [];
  const resources = new Map(profile.deviceResources.map((r) => [r.name, r]));
  for (const resource of profile.deviceResources) {
    const schema = schemaOf(resource.properties.valueType);
    if (!isDtdlName(resource.name)) omitted.push(`resource ${resource.name}: not a DTDL name`);
    else if (!schema) omitted.push(`resource ${resource.name}: ${resource.properties.valueType} has no DTDL schema`);
    else {
      contents.push({
        '@type': 'Property',
        name: resource.name,
        schema,
        writable: canWrite(resource.properties.readWrite),
        ...(resource.description ? { description: resource.description.slice(0, 512) } : {}),
      });
    }
  }
  const names = new Set(contents.map((c) => c.name));
  for (const command of profile.deviceCommands ?? []) {
    if (!isDtdlName(command.name) || names.has(command.name)) {
      omitted.push(`command ${command.name}: ${names.has(command.name) ? 'has the name of a resource' : 'not a DTDL name'}`);
      continue;
    }
    const fields = command.resourceOperations.flatMap((op) => {
      const schema = resources.get(op.deviceResource) && schemaOf(resources.get(op.deviceResource)!.properties.valueType);
      return schema && isDtdlName(op.deviceResource) ? [{ name: op.deviceResource, schema }] : [];
    });
    contents.push({
      '@type': 'Command',
      name: command.name,
      ...(canWrite(command.readWrite) && fields.length > 0 ? { request: { name: 'values', schema: { '@type': 'Object', fields } } } : {}),
    });
  }
  return {
    model: { '@context': CONTEXT, '@id': id, '@type': 'Interface', displayName: profile.name.slice(0, 64), contents },
    omitted,
  };
}

export interface ModelComponent {
  /** The twin's component name (a DTDL name). */
  component: string;
  device: string;
  profile: string;
}

/** The gateway's Interface and the Interfaces of the profiles its components use: one DTDL document (a JSON array). */
export function gatewayModel(modelId: string, components: ModelComponent[], profiles: DeviceProfile[]): { models: Json[]; omitted: string[] } {
  const omitted: string[] = [];
  const byName = new Map(profiles.map((p) => [p.name, p]));
  const used = new Map<string, Json>();
  const contents: Json[] = [];
  for (const { component, device, profile } of components) {
    const found = byName.get(profile);
    if (!found) {
      omitted.push(`device ${device}: profile ${profile} not found`);
      continue;
    }
    const id = profileInterfaceId(modelId, profile);
    if (id.length > MAX_INTERFACE_ID) {
      omitted.push(`device ${device}: the interface id of profile ${profile} (${id}) is longer than ${MAX_INTERFACE_ID} characters: shorten modelId or the profile name`);
      continue;
    }
    if (!used.has(profile)) {
      const built = profileInterface(found, id);
      used.set(profile, built.model);
      omitted.push(...built.omitted.map((o) => `profile ${profile}: ${o}`));
    }
    contents.push({ '@type': 'Component', name: component, schema: id, displayName: device.slice(0, 64) });
  }
  const gateway = { '@context': CONTEXT, '@id': modelId, '@type': 'Interface', displayName: 'Gateway', contents };
  return { models: [gateway, ...used.values()], omitted };
}
