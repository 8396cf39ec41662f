/**
 * device-modbus as the hosts see it: name, EdgeX service name and port, its
 * GW_MODBUS_* settings, and a create() that loads modbus-serial only when
 * the driver is made. This module must stay free of modbus-serial.
 */
import { z } from 'zod';
import { bool, defineDriver, int, positiveDuration } from '@gw/device-sdk/driver';
import { parseScanTargets, ScanTarget } from './discovery';

/** `GW_MODBUS_SCAN`: parsed at boot, so a typo stops the service with the entry at fault. */
const scanTargets = () =>
  z.unknown().transform((value, ctx): ScanTarget[] => {
    if (value === undefined) return [];
    try {
      return parseScanTargets(String(value));
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
      return z.NEVER;
    }
  });

export const modbusDriver = defineDriver({
  name: 'modbus',
  serviceName: 'device-modbus',
  defaultPort: 59901,
  // parseEndpoint (attributes.ts) reads these two.
  edgexProtocols: ['modbus-tcp', 'modbus-rtu'],
  // Idles without hardware until a Modbus device is added.
  hostedByDefault: true,
  settings: z.object({
    /**
     * Endpoints whose unit ids discovery probes, separated by spaces or `;`,
     * e.g. `tcp://10.0.0.5:502?units=1-10 rtu:///dev/ttyUSB0?baud=19200&units=1-32`.
     */
    scan: scanTargets(),
    /** How long discovery waits for one unit's answer. */
    probeTimeout: positiveDuration().default('300ms'),
    /** Largest run of unwanted registers read to join two ranges into one request. */
    maxRegisterGap: int(0, 124).default(10),
    /** Largest run of unwanted coils or inputs read to join two ranges. */
    maxBitGap: int(0, 1999).default(64),
    /** Registers per read request; some devices accept fewer than the protocol's 125. */
    maxRegisters: int(1, 125).default(125),
    /** Write with FC15/FC16 even for one coil or register (devices without FC5/FC6). */
    alwaysMultipleWrites: bool().default(false),
    /** First back-off of a unit after a timeout; doubles while it keeps timing out. */
    unitBackoff: positiveDuration().default('5s'),
    /** Longest back-off of a unit. */
    unitBackoffMax: positiveDuration().default('60s'),
  }),
  async create(settings) {
    const { ModbusDriver } = await import('./modbus-driver');
    return new ModbusDriver({
      maxRegisterGap: settings.maxRegisterGap,
      maxBitGap: settings.maxBitGap,
      maxRegisters: settings.maxRegisters,
      alwaysMultiple: settings.alwaysMultipleWrites,
      unitBackoffMs: settings.unitBackoff,
      unitBackoffMaxMs: settings.unitBackoffMax,
      discovery: { targets: settings.scan, probeTimeoutMs: settings.probeTimeout },
    });
  },
});
