import { z } from 'zod';
import { bool, int, positiveDuration, text } from '@gw/service-kit';

/**
 * Driver-wide settings, read with the rest of a device service's
 * configuration (GW_DEVICE_SERVICE_MODBUS_SCAN, else GW_MODBUS_SCAN) and
 * shared with the one-process gateway, which hosts the same drivers.
 * Per-device addressing stays in the device files; these tune a whole driver.
 */
export const driverSettingsFields = () => ({
  /**
   * Endpoints whose unit ids discovery probes, separated by spaces or `;`,
   * e.g. `tcp://10.0.0.5:502?units=1-10 rtu:///dev/ttyUSB0?baud=19200&units=1-32`.
   */
  modbusScan: text().optional(),
  /** How long discovery waits for one unit's answer. */
  modbusProbeTimeout: positiveDuration().default('300ms'),
  /** Largest run of unwanted registers read to join two ranges into one request. */
  modbusMaxRegisterGap: int(0, 124).default(10),
  /** Largest run of unwanted coils or inputs read to join two ranges. */
  modbusMaxBitGap: int(0, 1999).default(64),
  /** Registers per read request; some devices accept fewer than the protocol's 125. */
  modbusMaxRegisters: int(1, 125).default(125),
  /** Write with FC15/FC16 even for one coil or register (devices without FC5/FC6). */
  modbusAlwaysMultipleWrites: bool().default(false),
  /** First back-off of a unit after a timeout; doubles while it keeps timing out. */
  modbusUnitBackoff: positiveDuration().default('5s'),
  /** Longest back-off of a unit. */
  modbusUnitBackoffMax: positiveDuration().default('60s'),
});

export type DriverSettings = z.output<z.ZodObject<ReturnType<typeof driverSettingsFields>>>;
