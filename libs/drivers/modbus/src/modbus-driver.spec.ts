import { Device, ErrorKind } from '@gw/contracts';
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
});
