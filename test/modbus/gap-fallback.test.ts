/**
 * Devices that refuse a read spanning unmapped registers (exception 2),
 * although each mapped range reads fine: the driver stops bridging gaps for
 * such a device instead of failing every poll. The peer is modbus-serial's
 * ServerTCP with a sparse register map, as many meters have.
 */
import { ServerTCP } from 'modbus-serial';
import { Device, ErrorKind } from '@gw/contracts';
import { HR, newDriver, profile, reqs, resource } from './driver-fixtures';
import { freePort } from './pymodbus';

const MAPPED = new Map([
  [0, 100],
  [1, 101],
  [10, 110],
  [11, 111],
]);

it('reads a sparse register map once the device refused a read across its gap, and keeps doing so', async () => {
  const requests: Array<[number, number]> = [];
  const port = await freePort();
  const read = (addr: number, length: number): number[] => {
    requests.push([addr, length]);
    const values = Array.from({ length }, (_, i) => MAPPED.get(addr + i));
    if (values.some((v) => v === undefined)) throw Object.assign(new Error('unmapped'), { modbusErrorCode: 2 });
    return values as number[];
  };
  // ServerTCP serves one-register reads through getHoldingRegister, longer ones through getMultipleHoldingRegisters.
  const server = new ServerTCP(
    { getMultipleHoldingRegisters: read, getHoldingRegister: (addr: number) => read(addr, 1)[0] },
    { host: '127.0.0.1', port, unitID: 1 },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('initialized', () => resolve());
    server.once('serverError', reject);
  });
  const driver = await newDriver({ maxRegisterGap: 10 });
  const r = [resource('a', 'Uint16', { primaryTable: HR, startingAddress: 0 }), resource('b', 'Uint16', { primaryTable: HR, startingAddress: 10 })];
  const p = profile(r);
  const device = { name: 'Sparse-Meter', profileName: 'P', protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: port, UnitID: 1, Timeout: '2s' } } } as unknown as Device;
  try {
    await driver.addDevice(device, p);
    expect((await driver.read(device, p, reqs(r))).map((x) => x.value)).toEqual([100, 110]);
    expect(requests).toEqual([
      [0, 11], // bridged: refused
      [0, 1],
      [10, 1],
    ]);
    requests.length = 0;
    expect((await driver.read(device, p, reqs(r))).map((x) => x.value)).toEqual([100, 110]);
    expect(requests).toEqual([
      [0, 1],
      [10, 1],
    ]);
    // A read that is refused on its own is still an error.
    const beyond = [resource('c', 'Uint16', { primaryTable: HR, startingAddress: 5 })];
    await expect(driver.read(device, profile(beyond), reqs(beyond))).rejects.toMatchObject({ kind: ErrorKind.ContractInvalid });
  } finally {
    await driver.stop(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
