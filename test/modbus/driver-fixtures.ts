/** Profiles, resources and requests as the device SDK hands them to the Modbus driver, for the driver's tests. */
import { DeviceProfile, DeviceResource } from '@gw/contracts';
import type { CommandRequest, DriverContext, WriteRequest } from '@gw/device-sdk/driver';
import { ModbusDriver } from '@gw/drivers/modbus';

export const HR = 'HOLDING_REGISTERS';

export const quietContext: DriverContext = {
  serviceName: 'device-modbus',
  logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  pushValues: () => undefined,
};

export function resource(name: string, valueType: string, attributes: Record<string, unknown>): DeviceResource {
  return { name, isHidden: false, properties: { valueType, readWrite: 'RW' }, attributes } as unknown as DeviceResource;
}

export function profile(resources: DeviceResource[]): DeviceProfile {
  return { name: 'P', deviceResources: resources, deviceCommands: [] } as unknown as DeviceProfile;
}

export const reqs = (resources: DeviceResource[]): CommandRequest[] =>
  resources.map((r) => ({ resource: r, attributes: r.attributes ?? {}, valueType: r.properties.valueType }) as CommandRequest);

export const writes = (resources: DeviceResource[], values: unknown[]): WriteRequest[] =>
  reqs(resources).map((r, i) => ({ ...r, value: values[i] }) as WriteRequest);

/** A started driver with short reconnect back-offs, so tests that restart a peer stay quick. */
export async function newDriver(options: ConstructorParameters<typeof ModbusDriver>[0] = {}, context = quietContext): Promise<ModbusDriver> {
  const driver = new ModbusDriver({ connection: { reconnectMinMs: 50, reconnectMaxMs: 200 }, ...options });
  await driver.initialize(context);
  await driver.start();
  return driver;
}
