/**
 * The drivers this program can run, by the name GW_DEVICE_SERVICE_DRIVER
 * gives. Each entry loads its module only when chosen, so a host without
 * Bluetooth never loads noble, nor a Modbus-only box node-opcua.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { ProtocolDriver } from '@gw/device-sdk';
import type { DriverSettings } from './driver-settings';

export const DRIVER_NAMES = ['virtual', 'modbus'] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

const LOADERS: Record<DriverName, (settings: Partial<DriverSettings>) => Promise<ProtocolDriver>> = {
  virtual: async () => new (await import('@gw/drivers/virtual')).VirtualDriver(),
  modbus: async (s) => {
    const modbus = await import('@gw/drivers/modbus');
    let targets: ReturnType<typeof modbus.parseScanTargets> = [];
    try {
      targets = s.modbusScan ? modbus.parseScanTargets(s.modbusScan) : [];
    } catch (err) {
      throw new GatewayError(ErrorKind.Config, `invalid configuration: GW_DEVICE_SERVICE_MODBUS_SCAN (or GW_MODBUS_SCAN): ${(err as Error).message}`, { cause: err });
    }
    return new modbus.ModbusDriver({
      maxRegisterGap: s.modbusMaxRegisterGap,
      maxBitGap: s.modbusMaxBitGap,
      maxRegisters: s.modbusMaxRegisters,
      alwaysMultiple: s.modbusAlwaysMultipleWrites,
      unitBackoffMs: s.modbusUnitBackoff,
      unitBackoffMaxMs: s.modbusUnitBackoffMax,
      discovery: { targets, probeTimeoutMs: s.modbusProbeTimeout },
    });
  },
};

/** Loads the driver `name`; a bad driver setting is a Config error naming its variable. */
export async function loadDriver(name: string, settings: Partial<DriverSettings> = {}): Promise<ProtocolDriver> {
  const load = LOADERS[name as DriverName];
  if (!load) {
    throw new GatewayError(ErrorKind.Config, `GW_DEVICE_SERVICE_DRIVER: no driver named "${name}" (known: ${DRIVER_NAMES.join(', ')})`);
  }
  try {
    return await load(settings);
  } catch (err) {
    if (GatewayError.is(err, ErrorKind.Config)) throw err;
    throw new GatewayError(ErrorKind.Config, `driver "${name}" could not be loaded: ${(err as Error).message}`, { cause: err });
  }
}
