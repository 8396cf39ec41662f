/**
 * device-zigbee (driver "zigbee") as a service (test/support/device-service-host.ts):
 * the SDK serves the driver's routes as it serves every other, API key
 * included, with a real core-metadata on temp SQLite and the in-process bus.
 */
import { MetadataClient } from '@gw/clients';
import type { ProtocolDriver } from '@gw/device-sdk/driver';
import { DeviceServiceHost, startDeviceServiceHost } from '../support/device-service-host';

export const API_KEY = 'zigbee-test-key';

/** The SDK's metadata client, noting the profiles it adds (device-zigbee adds one per model). */
export class CountingMetadataClient extends MetadataClient {
  readonly profilesAdded: string[] = [];
  override async addProfile(profile: Parameters<MetadataClient['addProfile']>[0]): Promise<string> {
    this.profilesAdded.push(profile.name);
    return super.addProfile(profile);
  }
}

export type ZigbeeHost = DeviceServiceHost<CountingMetadataClient>;

export function startDeviceZigbee(driver: ProtocolDriver): Promise<ZigbeeHost> {
  return startDeviceServiceHost({
    serviceName: 'device-zigbee',
    driverName: 'zigbee',
    driver,
    apiKey: API_KEY,
    metadataClient: (baseUrl) => new CountingMetadataClient({ baseUrl }),
  });
}
