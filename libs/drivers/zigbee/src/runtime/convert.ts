/**
 * Values through zigbee-herdsman-converters, as Zigbee2MQTT runs them: a
 * herdsman message → the definition's fromZigbee converters for its cluster
 * and type → properties (`{temperature: 21.54}`); a property to set or get →
 * the toZigbee converter whose key names it, on the endpoint the definition
 * maps the property's endpoint name to → ZCL commands sent by herdsman.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { Events, Models } from 'zigbee-herdsman';
import type { Definition, Tz } from 'zigbee-herdsman-converters';
import type { Fz } from 'zigbee-herdsman-converters/dist/lib/types';

export type KeyValue = Record<string, unknown>;

const noop = () => undefined;

/** Properties a message carries, per fromZigbee; `matched` false when no converter handles its cluster and type. */
export async function fromZigbee(definition: Definition, message: Events.MessagePayload, state: KeyValue): Promise<{ values: KeyValue; matched: boolean }> {
  const converters = definition.fromZigbee.filter((c) => {
    const types = Array.isArray(c.type) ? c.type : [c.type];
    return c.cluster === message.cluster && types.includes(message.type);
  });
  const values: KeyValue = {};
  const meta: Fz.Meta = { state, device: message.device, deviceExposesChanged: noop };
  for (const converter of converters) {
    const out = await converter.convert(definition, message as unknown as Fz.Message<string>, noop, {}, meta);
    if (out && typeof out === 'object') Object.assign(values, out);
  }
  return { values, matched: converters.length > 0 };
}

/** `property` without its endpoint suffix (`state_l1` → `state` for endpoint l1). */
export function keyOf(property: string, endpointName: string | undefined): string {
  return endpointName && property.endsWith(`_${endpointName}`) ? property.slice(0, -(endpointName.length + 1)) : property;
}

function targetEndpoint(definition: Definition, device: Models.Device, endpointName: string | undefined, where: string): Models.Endpoint {
  const map = (definition.endpoint?.(device) ?? {}) as Record<string, number>;
  const id = endpointName ? map[endpointName] : map.default;
  if (endpointName && id === undefined) throw new GatewayError(ErrorKind.ContractInvalid, `${where}: attribute endpoint "${endpointName}" is not an endpoint of model ${definition.model} (${Object.keys(map).join(', ') || 'none'})`);
  const endpoint = id !== undefined ? device.getEndpoint(id) : device.endpoints[0];
  if (!endpoint) throw new GatewayError(ErrorKind.Communication, `${where}: the device has no endpoint ${id ?? ''} (interview incomplete?)`);
  return endpoint;
}

function converterFor(definition: Definition, key: string, endpointName: string | undefined, want: 'convertSet' | 'convertGet'): Tz.Converter | undefined {
  return definition.toZigbee.find((c) => c.key?.includes(key) && (!c.endpoints || !endpointName || c.endpoints.includes(endpointName)) && c[want]);
}

export interface ToZigbeeRequest {
  definition: Definition;
  device: Models.Device;
  property: string;
  endpointName?: string;
  state: KeyValue;
  where: string;
}

/** Sends a value through the property's convertSet; the state the converter says the device now has. */
export async function convertSet(request: ToZigbeeRequest, value: unknown): Promise<KeyValue | undefined> {
  const { definition, device, property, endpointName, state, where } = request;
  const key = keyOf(property, endpointName);
  const converter = converterFor(definition, key, endpointName, 'convertSet');
  if (!converter) throw new GatewayError(ErrorKind.NotAllowed, `${where}: model ${definition.model} has no converter that sets "${key}"`);
  const endpoint = targetEndpoint(definition, device, endpointName, where);
  const meta: Tz.Meta = { message: { [property]: value }, device, mapped: definition, options: {}, state, endpoint_name: endpointName, publish: noop, deviceExposesChanged: noop };
  const result = await converter.convertSet!(endpoint, key, value, meta);
  return result && typeof result === 'object' ? (result.state as KeyValue | undefined) : undefined;
}

/** Asks the device for the property through its convertGet (the answer comes back as a message, through fromZigbee). */
export async function convertGet(request: ToZigbeeRequest): Promise<boolean> {
  const { definition, device, property, endpointName, state, where } = request;
  const key = keyOf(property, endpointName);
  const converter = converterFor(definition, key, endpointName, 'convertGet');
  if (!converter) return false;
  const endpoint = targetEndpoint(definition, device, endpointName, where);
  const meta: Tz.Meta = { message: { [property]: '' }, device, mapped: definition, options: {}, state, endpoint_name: endpointName, publish: noop, deviceExposesChanged: noop };
  await converter.convertGet!(endpoint, key, meta);
  return true;
}
