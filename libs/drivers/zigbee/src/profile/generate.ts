/**
 * A converter definition's `exposes` (zigbee-herdsman-converters, what
 * Zigbee2MQTT shows) as an EdgeX device profile: one deviceResource per
 * exposed property. Pure and free of the converters library (it sees exposes
 * as plain data), so the mapping is tested without loading anything.
 *
 * Mapping: numeric → Int64 when its bounds (and step) are whole numbers, else
 * Float64; binary → Bool (value_on/value_off kept as attributes); enum and
 * text → String; composite and list → Object; light, switch, lock, climate,
 * cover and fan group features → their features, flattened. readWrite from the
 * access flags (STATE 1 or GET 4 → R, SET 2 → W); units, minimum, maximum.
 */
import type { DeviceProfile, DeviceResource, ReadWrite, ValueType } from '@gw/contracts';
import { nameProblem } from '@gw/contracts';

/** The expose fields the mapping reads (zigbee-herdsman-converters' Expose classes, as plain data). */
export interface ExposeLike {
  type: string;
  name?: string;
  property?: string;
  label?: string;
  description?: string;
  access?: number;
  endpoint?: string;
  unit?: string;
  value_min?: number;
  value_max?: number;
  value_step?: number;
  value_on?: unknown;
  value_off?: unknown;
  values?: unknown[];
  features?: ExposeLike[];
}

export interface DefinitionLike {
  model: string;
  vendor: string;
  description: string;
  zigbeeModel?: string[];
}

/** Access flags of an expose (zigbee-herdsman-converters' `access`). */
export const ACCESS = { STATE: 1, SET: 2, GET: 4 } as const;

/** Attributes of a generated resource: what the driver needs to route values. */
export interface ZigbeeAttributes {
  /** The converter's property (key of fromZigbee's output, of convertSet/convertGet's input). */
  property: string;
  /** The converter endpoint name (`l1`, `left`) for multi-endpoint devices. */
  endpoint?: string;
  /** The expose type: numeric, binary, enum, text, composite, list. */
  exposeType: string;
  /** Access flags as the converter declares them (1 state, 2 set, 4 get). */
  access: number;
  /** Binary: what the converter reports/takes for true and false. */
  valueOn?: unknown;
  valueOff?: unknown;
}

const GROUP_TYPES = new Set(['light', 'switch', 'lock', 'climate', 'cover', 'fan']);

/** The exposes a definition gives, flattened to the properties a device has. */
export function flattenExposes(exposes: readonly ExposeLike[]): ExposeLike[] {
  const out: ExposeLike[] = [];
  for (const expose of exposes) {
    if (GROUP_TYPES.has(expose.type) && expose.features) out.push(...flattenExposes(expose.features));
    else if (expose.property) out.push(expose);
  }
  return out;
}

function valueTypeOf(expose: ExposeLike): ValueType {
  switch (expose.type) {
    case 'numeric': {
      const whole = (v: number | undefined) => v === undefined || Number.isInteger(v);
      const bounded = expose.value_min !== undefined && expose.value_max !== undefined;
      return bounded && whole(expose.value_min) && whole(expose.value_max) && whole(expose.value_step) ? 'Int64' : 'Float64';
    }
    case 'binary':
      return 'Bool';
    case 'enum':
    case 'text':
      return 'String';
    default:
      return 'Object'; // composite, list and anything newer
  }
}

function readWriteOf(access: number): ReadWrite | undefined {
  const readable = (access & (ACCESS.STATE | ACCESS.GET)) !== 0;
  const writable = (access & ACCESS.SET) !== 0;
  if (readable && writable) return 'RW';
  if (readable) return 'R';
  if (writable) return 'W';
  return undefined;
}

/** A resource name from a property (converter properties are snake_case ASCII; anything else is refused by the profile check). */
function resourceName(expose: ExposeLike): string {
  return expose.property!;
}

export function resourceOf(expose: ExposeLike): DeviceResource | undefined {
  const access = expose.access ?? ACCESS.STATE;
  const readWrite = readWriteOf(access);
  if (!readWrite || !expose.property) return undefined;
  const valueType = valueTypeOf(expose);
  const attributes: ZigbeeAttributes = { property: expose.property, exposeType: expose.type, access };
  if (expose.endpoint) attributes.endpoint = expose.endpoint;
  if (expose.type === 'binary') {
    attributes.valueOn = expose.value_on;
    attributes.valueOff = expose.value_off;
  }
  const properties: DeviceResource['properties'] = { valueType, readWrite };
  if (expose.unit) properties.units = expose.unit;
  if (expose.type === 'numeric') {
    if (expose.value_min !== undefined) properties.minimum = expose.value_min;
    if (expose.value_max !== undefined) properties.maximum = expose.value_max;
  }
  const description = expose.description ?? expose.label;
  return {
    name: resourceName(expose),
    ...(description ? { description } : {}),
    isHidden: false,
    properties,
    attributes: attributes as unknown as Record<string, unknown>,
  };
}

/** The profile's name for a definition: `zigbee-<vendor>-<model>`, made a valid EdgeX name. */
export function profileNameOf(definition: Pick<DefinitionLike, 'vendor' | 'model'>): string {
  const clean = (s: string) => s.trim().replace(/[\s/#+?&%\p{Cc}]+/gu, '_');
  return `zigbee-${clean(definition.vendor)}-${clean(definition.model)}`.slice(0, 255);
}

/** The resources every ZigBee device has besides its exposes: link quality of its last message. */
const LINK_QUALITY: DeviceResource = {
  name: 'linkquality',
  description: 'Link quality (LQI) of the last message received from the device',
  isHidden: false,
  properties: { valueType: 'Int64', readWrite: 'R', minimum: 0, maximum: 255 },
  attributes: { property: 'linkquality', exposeType: 'numeric', access: ACCESS.STATE },
};

export interface GeneratedProfile {
  profile: DeviceProfile;
  /** Exposes left out, with why (no property, no access, a name EdgeX refuses, a duplicate). */
  skipped: Array<{ property: string; reason: string }>;
}

export function generateProfile(definition: DefinitionLike, exposes: readonly ExposeLike[]): GeneratedProfile {
  const resources: DeviceResource[] = [];
  const skipped: GeneratedProfile['skipped'] = [];
  const seen = new Set<string>();
  for (const expose of flattenExposes(exposes)) {
    const property = expose.property!;
    const resource = resourceOf(expose);
    if (!resource) {
      skipped.push({ property, reason: 'no access flag' });
      continue;
    }
    const problem = nameProblem(resource.name);
    if (problem) {
      skipped.push({ property, reason: `not a valid resource name: ${problem}` });
      continue;
    }
    if (seen.has(resource.name)) {
      skipped.push({ property, reason: 'exposed twice' });
      continue;
    }
    seen.add(resource.name);
    resources.push(resource);
  }
  if (!seen.has(LINK_QUALITY.name)) resources.push(LINK_QUALITY);
  const labels = ['zigbee', definition.vendor, definition.model, ...(definition.zigbeeModel ?? [])];
  return {
    profile: {
      apiVersion: 'v3',
      name: profileNameOf(definition),
      description: definition.description,
      manufacturer: definition.vendor,
      model: definition.model,
      labels: [...new Set(labels)],
      deviceResources: resources,
      deviceCommands: [],
    },
    skipped,
  };
}
