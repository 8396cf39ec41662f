/**
 * The driver conformance suite on the Modbus driver (libs/drivers/modbus)
 * against a real Modbus TCP peer: Debian's pymodbus (test/modbus/pymodbus_server.py),
 * whose unit 1 holds known values (input register 0 = 0x1234, holding
 * registers 10-11 = Int32 -123456789, discrete input 1 = on).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Device, parseDeviceProfile, validateDevice } from '@gw/contracts';
import { ModbusDriver, parseScanTargets } from '@gw/drivers/modbus';
import { freePort, startPymodbus, stopProcess } from '../modbus/pymodbus';
import { driverConformance } from './driver-conformance';

let port = 0;
let dir = '';
let server: ChildProcess | undefined;

// Writable resources sit where pymodbus_server.py preloads nothing (holding registers 60-72, coil 30).
const PROFILE = `
name: Modbus-Conformance
deviceResources:
  - { name: Id, properties: { valueType: Uint16, readWrite: R }, attributes: { primaryTable: INPUT_REGISTERS, startingAddress: 0 } }
  - { name: Total, properties: { valueType: Int32, readWrite: R }, attributes: { primaryTable: HOLDING_REGISTERS, startingAddress: 10 } }
  - { name: Running, properties: { valueType: Bool, readWrite: R }, attributes: { primaryTable: DISCRETE_INPUTS, startingAddress: 1 } }
  - { name: Setpoint, properties: { valueType: Int16, readWrite: RW }, attributes: { primaryTable: HOLDING_REGISTERS, startingAddress: 60 } }
  - { name: Flow, properties: { valueType: Float32, readWrite: RW }, attributes: { primaryTable: HOLDING_REGISTERS, startingAddress: 61, isWordSwap: true } }
  - { name: Tag, properties: { valueType: String, readWrite: RW }, attributes: { primaryTable: HOLDING_REGISTERS, startingAddress: 63, stringRegisterSize: 3 } }
  - { name: Energy, properties: { valueType: Uint64, readWrite: RW }, attributes: { primaryTable: HOLDING_REGISTERS, startingAddress: 68 } }
  - { name: Pump, properties: { valueType: Bool, readWrite: RW }, attributes: { primaryTable: COILS, startingAddress: 30 } }
`;

// IdleTimeout longer than any test: only stop() may close the connection (the suite checks that it does).
const device = (name: string, properties: Record<string, unknown> = {}): Device =>
  validateDevice({
    name,
    profileName: 'Modbus-Conformance',
    serviceName: 'device-modbus',
    protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: String(port), UnitID: '1', Timeout: '2s', IdleTimeout: '60s', ...properties } },
  });

driverConformance('modbus (pymodbus peer)', {
  setUp: async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'modbus-conformance-'));
    server = await startPymodbus({ tcpPort: port }, join(dir, 'requests.log'));
  },
  tearDown: async () => {
    await stopProcess(server);
    rmSync(dir, { recursive: true, force: true });
  },
  newDriver: () =>
    new ModbusDriver({
      connection: { reconnectMinMs: 50, reconnectMaxMs: 200 },
      // Units 1 and 2 answer; 3 is silent.
      discovery: { targets: parseScanTargets(`tcp://127.0.0.1:${port}?units=1-3`), probeTimeoutMs: 300 },
    }),
  profile: () => parseDeviceProfile(PROFILE),
  device,
  updated: (d) => device(d.name, { Timeout: '3s' }),
  readable: { Id: 0x1234, Total: -123456789, Running: true },
  writable: {
    Setpoint: [-1234, 4321],
    Flow: [2.5, -0.75],
    Tag: ['pump', 'valve'],
    Energy: [0x0102030405060708n, 42n],
    Pump: [false, true],
  },
  invalid: [
    { what: 'Port 0', device: (name) => device(name, { Port: '0' }), field: 'Port' },
    { what: 'a UnitID past 255', device: (name) => device(name, { UnitID: '300' }), field: 'UnitID' },
    {
      what: 'an unknown primaryTable',
      device,
      profile: () => parseDeviceProfile(PROFILE.replace('primaryTable: COILS', 'primaryTable: COIL_REGISTERS')),
      field: 'primaryTable',
    },
  ],
  badAttribute: {
    resource: parseDeviceProfile(`
name: Bad
deviceResources:
  - { name: Broken, properties: { valueType: Int16, readWrite: R }, attributes: { primaryTable: HOLDING_REGISTERS, startingAddress: "12.x" } }
`).deviceResources[0],
    attribute: 'startingAddress',
    value: 5,
  },
  discovery: { names: () => [1, 2].map((unit) => `modbus-127.0.0.1-${port}-${unit}`) },
});
