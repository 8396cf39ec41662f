import { ErrorKind, GatewayError } from '@gw/contracts';
import { parseEndpoint, parseModbusPoint, ModbusPoint } from './attributes';

const point = (valueType: string, attributes: Record<string, unknown>): ModbusPoint =>
  parseModbusPoint('D', 'R', valueType, attributes);

function refused(fn: () => unknown, text: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(GatewayError.is(caught, ErrorKind.ContractInvalid)).toBe(true);
  expect((caught as Error).message).toMatch(text);
}

describe('parseModbusPoint', () => {
  it('reads tables case-insensitively, including EdgeX DISCRETES_INPUT', () => {
    expect(point('Int16', { primaryTable: 'holding_registers', startingAddress: 1 }).table).toBe('HOLDING_REGISTERS');
    expect(point('Bool', { primaryTable: 'DISCRETES_INPUT', startingAddress: 0 }).table).toBe('DISCRETE_INPUTS');
    expect(point('Bool', { primaryTable: 'Coils', startingAddress: '7' })).toMatchObject({ table: 'COILS', address: 7, count: 1 });
  });

  it.each([
    ['Int16', 1], ['Uint16', 1], ['Int32', 2], ['Uint32', 2], ['Float32', 2],
    ['Int64', 4], ['Uint64', 4], ['Float64', 4], ['Bool', 1],
  ])('%s needs %d register(s)', (valueType, count) => {
    expect(point(valueType, { primaryTable: 'INPUT_REGISTERS', startingAddress: 3 }).count).toBe(count);
  });

  it('counts rawType registers, not valueType ones', () => {
    const p = point('Float32', { primaryTable: 'INPUT_REGISTERS', startingAddress: 3, rawType: 'Int16' });
    expect(p).toMatchObject({ valueType: 'Float32', rawType: 'Int16', count: 1 });
    expect(point('Float64', { primaryTable: 'INPUT_REGISTERS', startingAddress: 3, rawType: 'uint32' }).count).toBe(2);
  });

  it('sizes Strings by stringRegisterSize', () => {
    expect(point('String', { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0, stringRegisterSize: '5' })).toMatchObject({ count: 5, stringRegisterSize: 5 });
    refused(() => point('String', { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0 }), /attribute stringRegisterSize: is required/);
    refused(() => point('String', { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0, stringRegisterSize: 124 }), /outside 1..123/);
  });

  it('reads bit addresses as EdgeX does (floats printed with two decimals)', () => {
    const at = (startingAddress: unknown) => point('Bool', { primaryTable: 'HOLDING_REGISTERS', startingAddress });
    expect(at(10.1)).toMatchObject({ address: 10, bit: 10 }); // YAML 10.10 arrives as 10.1
    expect(at(10.01)).toMatchObject({ address: 10, bit: 1 });
    expect(at(10.15)).toMatchObject({ address: 10, bit: 15 });
    expect(at('10.10')).toMatchObject({ address: 10, bit: 10 });
    expect(at('10.1')).toMatchObject({ address: 10, bit: 1 });
    expect(at('4.0')).toMatchObject({ address: 4, bit: 0 });
    expect(at(4).bit).toBeUndefined();
    refused(() => at('10.16'), /attribute startingAddress: bit 16/);
    refused(() => at(10.2), /bit 20/);
    refused(() => at('1.2.3'), /not an address/);
    refused(() => at(-1), /not a zero-based address/);
    refused(() => at(65536), /outside 0..65535/);
    refused(() => at(undefined), /startingAddress: is required/);
  });

  it('refuses bit addresses where they make no sense', () => {
    refused(() => point('Int16', { primaryTable: 'HOLDING_REGISTERS', startingAddress: '3.1' }), /only to Bool/);
    refused(() => point('Bool', { primaryTable: 'COILS', startingAddress: '3.1' }), /register tables, not COILS/);
  });

  it('reads swaps as strconv.ParseBool does', () => {
    const p = point('Int32', { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0, isByteSwap: 'true', isWordSwap: true });
    expect(p).toMatchObject({ byteSwap: true, wordSwap: true });
    expect(point('Int32', { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0, isByteSwap: 'False' }).byteSwap).toBe(false);
    refused(() => point('Int32', { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0, isWordSwap: 'yes' }), /attribute isWordSwap: "yes" is not a boolean/);
  });

  it('names device, resource and attribute in errors', () => {
    refused(() => point('Int16', { startingAddress: 0 }), /^device "D" resource "R": attribute primaryTable: is required$/);
    refused(() => point('Int16', { primaryTable: 'REGS', startingAddress: 0 }), /attribute primaryTable: "REGS" is not one of/);
    refused(() => point('Int16', { primaryTable: 'COILS', startingAddress: 0 }), /must be Bool/);
    refused(() => point('Int8', { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0 }), /valueType Int8 is not supported/);
    refused(() => point('Int16', { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0, rawType: 'Int128' }), /attribute rawType/);
    refused(() => point('String', { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0, rawType: 'Int16', stringRegisterSize: 2 }), /rawType: applies only to numeric/);
    refused(() => point('Float64', { primaryTable: 'HOLDING_REGISTERS', startingAddress: 65533 }), /runs past address 65535/);
  });
});

describe('parseEndpoint', () => {
  it('reads EdgeX modbus-tcp properties, strings or numbers, with defaults', () => {
    expect(parseEndpoint({ name: 'D', protocols: { 'modbus-tcp': { Address: '0.0.0.0', Port: 1502, UnitID: 1, Timeout: 5, IdleTimeout: 5 } } })).toEqual({
      protocol: 'modbus-tcp', key: 'tcp://0.0.0.0:1502', host: '0.0.0.0', port: 1502, unitId: 1, timeoutMs: 5000, idleTimeoutMs: 5000,
    });
    const e = parseEndpoint({ name: 'D', protocols: { 'modbus-tcp': { Address: 'plc1', UnitID: '0', Timeout: '1.5', IdleTimeout: '500ms' } } });
    expect(e).toMatchObject({ key: 'tcp://plc1:502', port: 502, unitId: 0, timeoutMs: 1500, idleTimeoutMs: 500 });
    expect(parseEndpoint({ name: 'D', protocols: { 'modbus-tcp': { Address: '::1', Port: '503' } } }).key).toBe('tcp://[::1]:503');
  });

  it('reads EdgeX modbus-rtu properties', () => {
    const e = parseEndpoint({
      name: 'D',
      protocols: { 'modbus-rtu': { Address: '/dev/ttyUSB0', UnitID: '17', BaudRate: '9600', DataBits: 8, StopBits: '2', Parity: 'n', Timeout: 5, IdleTimeout: 5 } },
    });
    expect(e).toEqual({
      protocol: 'modbus-rtu', key: 'rtu:///dev/ttyUSB0', path: '/dev/ttyUSB0', baudRate: 9600, dataBits: 8, stopBits: 2,
      parity: 'N', unitId: 17, timeoutMs: 5000, idleTimeoutMs: 5000,
    });
    expect(parseEndpoint({ name: 'D', protocols: { 'modbus-rtu': { Address: '/dev/ttyS1' } } })).toMatchObject({ baudRate: 19200, dataBits: 8, stopBits: 1, parity: 'E', unitId: 1 });
  });

  it.each([
    [{ 'modbus-tcp': { Address: 'h', UnitID: 256 } }, /property UnitID: 256 is outside 0..255/],
    [{ 'modbus-tcp': { Address: 'h', Port: 'http' } }, /property Port: "http" is not a whole number/],
    [{ 'modbus-tcp': { Port: 502 } }, /property Address: is required/],
    [{ 'modbus-tcp': { Address: 'h', Timeout: 'soon' } }, /property Timeout/],
    [{ 'modbus-tcp': { Address: 'h', Timeout: 0 } }, /property Timeout: 0 must be more than 0/],
    [{ 'modbus-tcp': { Address: 'h', Timeout: '0s' } }, /property Timeout: "0s" must be more than 0/],
    [{ 'modbus-rtu': { Address: '/dev/x', UnitID: 0 } }, /UnitID: 0 is outside 1..247/],
    [{ 'modbus-rtu': { Address: '/dev/x', UnitID: 248 } }, /outside 1..247/],
    [{ 'modbus-rtu': { Address: '/dev/x', DataBits: 9 } }, /DataBits: 9 is outside 5..8/],
    [{ 'modbus-rtu': { Address: '/dev/x', StopBits: 3 } }, /StopBits/],
    [{ 'modbus-rtu': { Address: '/dev/x', Parity: 'M' } }, /Parity/],
    [{ 'modbus-rtu': { Address: '/dev/x' }, 'modbus-tcp': { Address: 'h' } }, /not both/],
    [{ other: {} }, /modbus-tcp or modbus-rtu is required/],
  ])('refuses %j', (protocols, text) => {
    refused(() => parseEndpoint({ name: 'D', protocols: protocols as Record<string, Record<string, unknown>> }), text);
  });

  it('names the device and protocol', () => {
    refused(() => parseEndpoint({ name: 'Pump', protocols: { 'modbus-tcp': { Address: 'h', Port: 0 } } }), /^device "Pump": protocol modbus-tcp property Port: 0 is outside 1..65535$/);
  });
});
