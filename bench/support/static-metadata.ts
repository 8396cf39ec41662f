import type { Device, DeviceProfile } from '@gw/contracts';
import type { MetadataPort } from '@gw/device-sdk';

/** core-metadata as a device service sees it, answered from memory: a bench measures the driver, not REST. */
export function staticMetadata(serviceName: string, devices: Device[], profiles: Map<string, DeviceProfile>): MetadataPort {
  return {
    deviceService: async () => ({ name: serviceName, baseAddress: 'http://localhost', adminState: 'UNLOCKED' }),
    registerDeviceService: async () => undefined,
    devicesOfService: async () => devices,
    profile: async (name: string) => profiles.get(name)!,
    watchersOfService: async () => [],
    device: async (name: string) => devices.find((d) => d.name === name)!,
    addDevice: async () => '',
    patchDevice: async () => undefined,
  } as unknown as MetadataPort;
}
