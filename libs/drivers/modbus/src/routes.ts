/**
 * REST route of device-modbus (served as /api/v3/modbus/... with the API key
 * and the EdgeX envelope), read-only:
 *   GET connections   each endpoint (tcp://host:port or rtu://<serial path>): connected,
 *                     connecting, backing off or not connected; its units and their
 *                     devices; the last connect failure or lost line; units backed off
 *                     after timeouts (their requests fail fast until retryInMs has passed)
 */
import { z } from 'zod';
import { driverRoute, DriverRoute } from '@gw/device-sdk/driver';
import type { ConnectionStatus } from './connection';

export interface ModbusConnectionReport extends ConnectionStatus {
  /** Each unit with a device on this endpoint, by unit id. */
  units: Array<{ unitId: number; devices: string[] }>;
  backedOffUnits: Array<{ unitId: number; timeouts: number; retryInMs: number }>;
}

export function modbusRoutes(deps: { connections(): ModbusConnectionReport[] }): DriverRoute[] {
  return [
    driverRoute({
      method: 'GET',
      path: 'connections',
      answer: { json: z.object({ connections: z.array(z.record(z.string(), z.unknown())) }).strict(), errors: [400] },
      handle: async () => ({ json: { connections: deps.connections() } }),
    }),
  ];
}
