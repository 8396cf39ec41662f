/**
 * Each driver's edgexProtocols (the keys the KubeEdge export and the mapper
 * mode go by) are the keys its own endpoint parsing reads: a device under a
 * listed key is accepted, the same properties under the driver's name or
 * another spelling are not.
 */
import type { Device } from '@gw/contracts';
import { parseBleAddress } from './ble/src/attributes';
import { parseEndpoint as modbusEndpoint } from './modbus/src/attributes';
import { parseEndpoint as opcuaEndpoint } from './opcua/src/endpoint';
import { DRIVERS } from './registry';
import { ieeeOf } from './zigbee/src/attributes';

const PROPERTIES: Record<string, Record<string, unknown>> = {
  'modbus-tcp': { Address: '10.0.0.5', Port: '502', UnitID: '1' },
  'modbus-rtu': { Address: '/dev/ttyUSB0', BaudRate: '19200', DataBits: '8', StopBits: '1', Parity: 'N', UnitID: '1' },
  opcua: { Endpoint: 'opc.tcp://plc:4840' },
  BLE: { MAC: 'AA:BB:CC:DD:EE:FF' },
  ble: { MAC: 'AA:BB:CC:DD:EE:FF' },
  zigbee: { IEEEAddress: '0x00158d00012345ab' },
};

/** Whether the driver named `driver` reads a device whose only protocol is `key`. */
const PARSERS: Record<string, (device: Device) => unknown> = {
  modbus: modbusEndpoint,
  opcua: (d) => opcuaEndpoint(d),
  ble: (d) => parseBleAddress(d.name, d.protocols),
  zigbee: ieeeOf,
};

const device = (key: string, properties: Record<string, unknown>): Device => ({ name: 'd', profileName: 'p', protocols: { [key]: properties } }) as unknown as Device;
const reads = (driver: string, key: string, properties: Record<string, unknown>) => {
  try {
    PARSERS[driver](device(key, properties));
    return true;
  } catch {
    return false;
  }
};

describe("drivers' edgexProtocols", () => {
  it('every driver lists at least one key, and no key belongs to two drivers', () => {
    const keys = DRIVERS.flatMap((d) => d.edgexProtocols);
    expect(DRIVERS.every((d) => d.edgexProtocols.length > 0)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    expect(Object.fromEntries(DRIVERS.map((d) => [d.name, d.edgexProtocols]))).toEqual({
      virtual: ['other'],
      modbus: ['modbus-tcp', 'modbus-rtu'],
      opcua: ['opcua'],
      ble: ['BLE', 'ble'],
      zigbee: ['zigbee'],
    });
  });

  for (const driver of DRIVERS.filter((d) => PARSERS[d.name])) {
    it(`${driver.name} reads a device under each key it lists, and not under its own name or another spelling`, () => {
      for (const key of driver.edgexProtocols) expect({ key, read: reads(driver.name, key, PROPERTIES[key]) }).toEqual({ key, read: true });
      const properties = PROPERTIES[driver.edgexProtocols[0]];
      for (const key of [`${driver.name}-x`, 'other', ...(driver.edgexProtocols.includes(driver.name) ? [] : [driver.name])]) {
        expect({ key, read: reads(driver.name, key, properties) }).toEqual({ key, read: false });
      }
    });
  }
});
