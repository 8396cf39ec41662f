/**
 * An EdgeX device profile drafted from a connected device's services: one
 * resource per readable, writable or notifying characteristic (standard
 * ones decoded by their SIG definition, others as raw bytes to map), plus
 * the RSSI and connection state. Pure: the caller connects and discovers.
 */
import type { DeviceProfileInput } from '@gw/contracts';
import { SERVICE_NAMES, standardCharacteristic } from './gatt';

export interface ServiceShape {
  uuid: string;
  characteristics: Array<{ uuid: string; properties: string[] }>;
}

/** Services a draft leaves out: the GATT server's own bookkeeping. */
const SKIPPED_SERVICES = new Set(['1801']);

export function profileDraft(services: ServiceShape[], options: { name: string; manufacturer?: string; model?: string; mac: string }): DeviceProfileInput {
  const used = new Set<string>();
  const unique = (base: string) => {
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  const deviceResources: DeviceProfileInput['deviceResources'] = [];
  for (const service of services) {
    if (SKIPPED_SERVICES.has(service.uuid)) continue;
    for (const c of service.characteristics) {
      const readable = c.properties.includes('read');
      const writable = c.properties.includes('write') || c.properties.includes('writeWithoutResponse');
      const notifies = c.properties.includes('notify') || c.properties.includes('indicate');
      if (!readable && !writable && !notifies) continue;
      const standard = standardCharacteristic(c.uuid);
      const attributes: Record<string, unknown> = { serviceUuid: service.uuid, characteristicUuid: c.uuid };
      if (notifies && !readable) attributes.notify = true;
      // EdgeX reads Binary only: bytes to write are a Uint8Array.
      const valueType = !standard ? (writable ? 'Uint8Array' : 'Binary') : standard.kind === 'text' ? 'String' : standard.kind === 'integer' ? 'Uint8' : 'Float32';
      if (!standard) attributes.encoding = 'raw';
      const properties: Record<string, unknown> = { valueType, readWrite: readable || notifies ? (writable ? 'RW' : 'R') : 'W' };
      if (standard?.units) properties.units = standard.units;
      if (valueType === 'Binary') properties.mediaType = 'application/octet-stream';
      const label = standard ? standard.name.replace(/[^A-Za-z0-9]+/gu, '') : `Characteristic_${c.uuid.slice(0, 8)}`;
      const serviceName = SERVICE_NAMES[service.uuid] ?? `service ${service.uuid}`;
      deviceResources.push({
        name: unique(label),
        description: `${standard?.name ?? `characteristic ${c.uuid}`} (${serviceName})${notifies ? ', notifies' : ''}`,
        properties: properties as never,
        attributes,
      });
    }
  }
  deviceResources.push(
    { name: unique('RSSI'), description: 'signal strength (dBm)', properties: { valueType: 'Int16', readWrite: 'R', units: 'dBm' } as never, attributes: { source: 'rssi' } },
    { name: unique('Connection'), description: 'connection state', properties: { valueType: 'String', readWrite: 'R' } as never, attributes: { source: 'connection' } },
  );
  const profile: DeviceProfileInput = {
    name: options.name,
    description: `Drafted from the services of BLE device ${options.mac}: check names, types and readWrite, map the bytes of Binary resources (rawType, startByte)`,
    labels: ['ble', 'draft'],
    deviceResources,
    deviceCommands: [],
  };
  if (options.manufacturer) profile.manufacturer = options.manufacturer;
  if (options.model) profile.model = options.model;
  return profile;
}
