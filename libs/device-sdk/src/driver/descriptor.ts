/**
 * How a driver describes itself to the programs that host it. One descriptor
 * per driver folder (libs/drivers/<name>/src/descriptor.ts), one registry
 * listing them (libs/drivers/registry.ts); the device-service app and the
 * one-process gateway loop over the registry and name no driver themselves.
 */
import type { z } from 'zod';
import type { ProtocolDriver } from './protocol-driver';

export interface DriverDescriptor<Settings extends z.ZodRawShape = z.ZodRawShape> {
  /** What GW_DEVICE_SERVICE_DRIVER and GW_DEVICE_SERVICES call it: `modbus`. */
  name: string;
  /** The EdgeX service name it registers under by default: `device-modbus`. */
  serviceName: string;
  /** Its EdgeX port: 59901 for device-modbus. */
  defaultPort: number;
  /**
   * The EdgeX protocol keys its devices' endpoint parsing reads (the keys of
   * `device.protocols`): `['modbus-tcp', 'modbus-rtu']`. The KubeEdge export
   * names a device's mapper (protocolName) by the driver listing its key, and
   * the mapper mode refuses a key its driver does not list.
   */
  edgexProtocols: readonly string[];
  /** The one-process gateway hosts it unless GW_DEVICE_SERVICES says otherwise (true when it idles without hardware). */
  hostedByDefault: boolean;
  /**
   * Driver-wide settings, each read from `GW_<NAME>_<KEY>` (GW_MODBUS_SCAN) and
   * validated at boot with the rest of the configuration. Field helpers: this entry's
   * `int`, `bool`, `text`, `duration`, `field`, ... Keep the schema's module free of
   * the protocol library: it is loaded by every host, enabled or not.
   */
  settings: z.ZodObject<Settings>;
  /**
   * Makes a driver from validated settings, loading the protocol library here
   * and only here (`await import('./my-driver')`), so a host that never
   * enables this driver never loads it.
   */
  create(settings: z.output<z.ZodObject<Settings>>): Promise<ProtocolDriver>;
}

/** Declares a descriptor with its settings' types checked against `create`. */
export function defineDriver<Settings extends z.ZodRawShape>(descriptor: DriverDescriptor<Settings>): DriverDescriptor {
  return descriptor as unknown as DriverDescriptor;
}
