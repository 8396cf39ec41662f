/**
 * The drivers this program can run, by the name GW_DEVICE_SERVICE_DRIVER
 * gives. Each entry loads its module only when chosen, so a host without
 * Bluetooth never loads noble, nor a Modbus-only box node-opcua.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { ProtocolDriver } from '@gw/device-sdk';

export const DRIVER_NAMES = ['virtual'] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

const LOADERS: Record<DriverName, () => Promise<ProtocolDriver>> = {
  virtual: async () => new (await import('@gw/drivers/virtual')).VirtualDriver(),
};

export async function loadDriver(name: string): Promise<ProtocolDriver> {
  const load = LOADERS[name as DriverName];
  if (!load) {
    throw new GatewayError(ErrorKind.Config, `GW_DEVICE_SERVICE_DRIVER: no driver named "${name}" (known: ${DRIVER_NAMES.join(', ')})`);
  }
  try {
    return await load();
  } catch (err) {
    throw new GatewayError(ErrorKind.Config, `driver "${name}" could not be loaded: ${(err as Error).message}`, { cause: err });
  }
}
