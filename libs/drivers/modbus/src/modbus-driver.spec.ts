import { Device, DeviceProfile, ErrorKind } from '@gw/contracts';
import { parseEndpoint } from './attributes';
import { ModbusDriver } from './modbus-driver';

const rtu = (name: string, props: Record<string, unknown>) =>
  ({ name, protocols: { 'modbus-rtu': { Address: '/dev/ttyUSB0', BaudRate: 19200, DataBits: 8, StopBits: 1, Parity: 'E', UnitID: 1, ...props } } }) as unknown as Device;

describe('ModbusDriver serial lines', () => {
  it('refuses a device whose line settings differ from another device on the same port, naming both', async () => {
    const driver = new ModbusDriver();
    await driver.addDevice(rtu('Meter-1', {}));
    await driver.addDevice(rtu('Meter-2', { UnitID: 2 })); // same line, same settings: fine
    await expect(driver.validateDevice(rtu('Meter-3', { UnitID: 3, BaudRate: 9600 }))).rejects.toMatchObject({
      kind: ErrorKind.ContractInvalid,
      message:
        'device "Meter-3": /dev/ttyUSB0 is already open at 19200 8E1 for device "Meter-1"; units on one serial line must use the same BaudRate, DataBits, Parity and StopBits (got 9600 8E1)',
    });
    // A device may change its own settings when it is the only one on the line.
    await driver.removeDevice(rtu('Meter-2', {}));
    await driver.updateDevice(rtu('Meter-1', { Parity: 'N' }));
    await expect(driver.validateDevice(rtu('Meter-3', { Parity: 'N' }))).resolves.toBeUndefined();
    await driver.stop(true);
  });

  it('reopens the port with the new settings when the only device on a line changes them', async () => {
    const driver = new ModbusDriver();
    await driver.addDevice(rtu('Meter-1', {}));
    const before = driver.connections.get(parseEndpoint(rtu('Meter-1', {})));
    await driver.updateDevice(rtu('Meter-1', { BaudRate: 9600 }));
    expect(driver.connections.existing('rtu:///dev/ttyUSB0')).toBeUndefined();
    expect(before).not.toBe(driver.connections.get(parseEndpoint(rtu('Meter-1', { BaudRate: 9600 }))));
    // Other changes (the unit id) keep the line open.
    const open = driver.connections.existing('rtu:///dev/ttyUSB0');
    await driver.updateDevice(rtu('Meter-1', { BaudRate: 9600, UnitID: 4 }));
    expect(driver.connections.existing('rtu:///dev/ttyUSB0')).toBe(open);
    await driver.stop(true);
  });

  it('refuses a resource that cannot fit one read request when the device is added', async () => {
    const driver = new ModbusDriver({ maxRegisters: 2 });
    const profile = {
      name: 'P',
      deviceCommands: [],
      deviceResources: [{ name: 'Energy', properties: { valueType: 'Float64', readWrite: 'R' }, attributes: { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0 } }],
    } as unknown as DeviceProfile;
    await expect(driver.validateDevice(rtu('Meter-1', {}), profile)).rejects.toThrow(/resource "Energy"/);
  });
});
