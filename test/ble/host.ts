/**
 * device-ble as a service (test/support/device-service-host.ts): the SDK,
 * REST and API key with a real core-metadata on temp SQLite and the
 * in-process bus, around a given BLE driver.
 */
import type { ProtocolDriver } from '@gw/device-sdk/driver';
import { DeviceServiceHost, startDeviceServiceHost } from '../support/device-service-host';

export const API_KEY = 'ble-test-key';

export type BleHost = DeviceServiceHost;

export function startDeviceBle(driver: ProtocolDriver): Promise<BleHost> {
  return startDeviceServiceHost({ serviceName: 'device-ble', driverName: 'ble', driver, apiKey: API_KEY });
}
