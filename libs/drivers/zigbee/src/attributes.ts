/**
 * What the driver reads of a device and its profile, checked once with errors
 * naming device, resource and field: the device's `zigbee: { IEEEAddress }`
 * protocol, and each resource's `property` (the converter's property name),
 * optional `endpoint` (the converter's endpoint name) and, for Bool
 * resources, `valueOn`/`valueOff` (what the converter takes and gives).
 */
import { Device, DeviceResource, ErrorKind, GatewayError } from '@gw/contracts';

export const PROTOCOL = 'zigbee';
const IEEE = /^0x[0-9a-f]{16}$/i;

/** The device's IEEE address, lower case (`0x00158d00012345ab`). */
export function ieeeOf(device: Device): string {
  const protocol = device.protocols?.[PROTOCOL];
  if (!protocol) throw new GatewayError(ErrorKind.ContractInvalid, `device "${device.name}": protocols.zigbee is missing (zigbee: { IEEEAddress: "0x00158d00012345ab" })`);
  const value = protocol.IEEEAddress ?? protocol.ieeeAddress;
  if (typeof value !== 'string' || !IEEE.test(value.trim())) {
    throw new GatewayError(ErrorKind.ContractInvalid, `device "${device.name}": protocols.zigbee.IEEEAddress must be 0x and 16 hex digits (got ${JSON.stringify(value)?.slice(0, 40)})`);
  }
  return value.trim().toLowerCase();
}

export interface ZigbeePoint {
  property: string;
  endpoint?: string;
  valueOn?: unknown;
  valueOff?: unknown;
  /** Access flags (1 state, 2 set, 4 get); 5 when absent (reported, and may be asked). */
  access: number;
}

/** A resource's attributes as the driver uses them. */
export function pointOf(deviceName: string, resource: DeviceResource, attributes: Record<string, unknown> | undefined = resource.attributes): ZigbeePoint {
  const where = `device "${deviceName}" resource "${resource.name}"`;
  const a = attributes ?? {};
  const property = a.property ?? resource.name;
  if (typeof property !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(property)) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${where}: attribute property must be a converter property name such as "temperature" (got ${JSON.stringify(property)?.slice(0, 60)})`);
  }
  if (a.endpoint !== undefined && (typeof a.endpoint !== 'string' || a.endpoint === '')) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${where}: attribute endpoint must be an endpoint name such as "l1"`);
  }
  const access = a.access === undefined ? 5 : a.access;
  if (typeof access !== 'number' || !Number.isInteger(access) || access < 0 || access > 7) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${where}: attribute access must be 0-7 (1 state, 2 set, 4 get)`);
  }
  return { property, endpoint: a.endpoint as string | undefined, valueOn: a.valueOn, valueOff: a.valueOff, access };
}
