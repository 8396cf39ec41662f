/**
 * What a program hosting drivers does with a descriptor: find it by name,
 * read its GW_<DRIVER>_* settings, make the driver. The hosts pass the
 * registry in (device-sdk never imports a driver).
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import { envNames, loadSettings } from '@gw/service-kit/config';
import type { DriverDescriptor } from './driver/descriptor';
import type { ProtocolDriver } from './driver/protocol-driver';

type Env = Record<string, string | undefined>;

/** The descriptor called `name`; a Config error naming `variable` and the known drivers otherwise. */
export function findDriver(drivers: readonly DriverDescriptor[], name: string, variable: string): DriverDescriptor {
  const found = drivers.find((driver) => driver.name === name.trim().toLowerCase());
  if (!found) {
    throw new GatewayError(ErrorKind.Config, `invalid configuration: ${variable}: no driver named "${name}" (known: ${drivers.map((d) => d.name).join(', ')})`);
  }
  return found;
}

/** The variable of a hosted device service's port: `GW_DEVICE_MODBUS_PORT` for device-modbus. */
export function servicePortVariable(descriptor: Pick<DriverDescriptor, 'serviceName'>): string {
  return envNames('port', descriptor.serviceName)[0];
}

/**
 * Validated settings of one driver, from GW_<DRIVER>_<KEY> only. Its secret()
 * fields stay marked on the object, so /config hides them wherever it is nested.
 */
export function loadDriverSettings(descriptor: DriverDescriptor, env: Env = process.env): DriverSettings {
  return loadSettings(descriptor.settings, env, descriptor.name) as DriverSettings;
}

export type DriverSettings = Record<string, unknown>;

/** Makes the driver, loading its protocol library; a library that cannot load is a Config error naming the driver. */
export async function createDriver(descriptor: DriverDescriptor, settings: DriverSettings): Promise<ProtocolDriver> {
  try {
    return await descriptor.create(settings as never);
  } catch (err) {
    if (GatewayError.is(err, ErrorKind.Config)) throw err;
    throw new GatewayError(ErrorKind.Config, `driver "${descriptor.name}" could not be loaded: ${(err as Error).message}`, { cause: err });
  }
}
