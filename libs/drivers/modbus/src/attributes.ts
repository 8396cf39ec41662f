/**
 * EdgeX device-modbus vocabulary, parsed and validated: a deviceResource's
 * `attributes` become a typed ModbusPoint, a device's `modbus-tcp` /
 * `modbus-rtu` protocol properties become a ModbusEndpoint. Pure: no I/O.
 *
 * Every error is a GatewayError(ContractInvalid) naming the device, the
 * resource and the attribute (or protocol property) at fault.
 */
import { ErrorKind, GatewayError, isDuration, parseDuration } from '@gw/contracts';

export const PRIMARY_TABLES = ['HOLDING_REGISTERS', 'INPUT_REGISTERS', 'COILS', 'DISCRETE_INPUTS'] as const;
export type PrimaryTable = (typeof PRIMARY_TABLES)[number];

/** Numeric types a run of registers can hold (also the allowed `rawType`s). */
export const REGISTER_TYPES = ['Int16', 'Uint16', 'Int32', 'Uint32', 'Int64', 'Uint64', 'Float32', 'Float64'] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];
export type ModbusValueType = RegisterType | 'Bool' | 'String';

/** Modbus limits per request (FC1/FC2: 2000 bits, FC3/FC4: 125 registers). */
export const MAX_READ_BITS = 2000;
export const MAX_READ_REGISTERS = 125;
/** FC15: 1968 coils, FC16: 123 registers. */
export const MAX_WRITE_BITS = 1968;
export const MAX_WRITE_REGISTERS = 123;

/** Registers (16-bit words) each numeric type occupies. */
export const REGISTERS_PER_TYPE: Record<RegisterType, number> = {
  Int16: 1, Uint16: 1, Int32: 2, Uint32: 2, Float32: 2, Int64: 4, Uint64: 4, Float64: 4,
};

/** One addressable value of a device: what to read, where, and how to decode it. */
export interface ModbusPoint {
  deviceName: string;
  resourceName: string;
  table: PrimaryTable;
  /** Zero-based protocol address of the first register or bit. */
  address: number;
  /** Bit 0 (least significant) .. 15 of the register at `address`; only for Bool on a register table. */
  bit?: number;
  /** The resource's valueType, what the SDK receives. */
  valueType: ModbusValueType;
  /** What the registers hold; equals valueType unless the `rawType` attribute says otherwise. */
  rawType: ModbusValueType;
  byteSwap: boolean;
  wordSwap: boolean;
  /** Registers of a String (`stringRegisterSize`), 2 ASCII characters each. */
  stringRegisterSize?: number;
  /** Registers (register tables) or bits (COILS, DISCRETE_INPUTS) this point spans. */
  count: number;
}

export function isBitTable(table: PrimaryTable): boolean {
  return table === 'COILS' || table === 'DISCRETE_INPUTS';
}

export function isRegisterType(type: string): type is RegisterType {
  return (REGISTER_TYPES as readonly string[]).includes(type);
}

// EdgeX spells the discrete-input table DISCRETES_INPUT; both are accepted.
const TABLE_ALIASES: Record<string, PrimaryTable> = {
  HOLDING_REGISTERS: 'HOLDING_REGISTERS', HOLDING_REGISTER: 'HOLDING_REGISTERS',
  INPUT_REGISTERS: 'INPUT_REGISTERS', INPUT_REGISTER: 'INPUT_REGISTERS',
  COILS: 'COILS', COIL: 'COILS',
  DISCRETE_INPUTS: 'DISCRETE_INPUTS', DISCRETES_INPUT: 'DISCRETE_INPUTS', DISCRETE_INPUT: 'DISCRETE_INPUTS',
};

/** strconv.ParseBool's spellings, as EdgeX reads isByteSwap / isWordSwap. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/**
 * Parses one deviceResource's attributes. `valueType` is the resource's
 * properties.valueType.
 */
export function parseModbusPoint(
  deviceName: string,
  resourceName: string,
  valueType: string,
  attributes: Record<string, unknown> | undefined,
): ModbusPoint {
  const where = `device "${deviceName}" resource "${resourceName}"`;
  const fail = (attribute: string, why: string): never => {
    throw new GatewayError(ErrorKind.ContractInvalid, `${where}: attribute ${attribute}: ${why}`);
  };
  const attrs = attributes ?? {};

  const tableText = attrs.primaryTable;
  if (tableText === undefined || tableText === null || tableText === '') fail('primaryTable', 'is required');
  const table = TABLE_ALIASES[String(tableText).trim().toUpperCase()];
  if (!table) fail('primaryTable', `"${String(tableText)}" is not one of ${PRIMARY_TABLES.join(', ')}`);

  if (valueType !== 'Bool' && valueType !== 'String' && !isRegisterType(valueType)) {
    throw new GatewayError(
      ErrorKind.ContractInvalid,
      `${where}: valueType ${valueType} is not supported by modbus (Bool, String, Int16..Int64, Uint16..Uint64, Float32, Float64)`,
    );
  }
  const vt = valueType as ModbusValueType;

  const { address, bit } = parseStartingAddress(attrs.startingAddress, (why) => fail('startingAddress', why));

  let rawType: ModbusValueType = vt;
  if (attrs.rawType !== undefined && attrs.rawType !== null && attrs.rawType !== '') {
    const text = String(attrs.rawType).trim();
    const found = REGISTER_TYPES.find((t) => t.toLowerCase() === text.toLowerCase());
    if (!found) fail('rawType', `"${text}" is not one of ${REGISTER_TYPES.join(', ')}`);
    if (!isRegisterType(vt)) fail('rawType', `applies only to numeric valueTypes, not ${vt}`);
    rawType = found as RegisterType;
  }

  const byteSwap = parseBool(attrs.isByteSwap, (why) => fail('isByteSwap', why));
  const wordSwap = parseBool(attrs.isWordSwap, (why) => fail('isWordSwap', why));

  let count: number;
  let stringRegisterSize: number | undefined;
  if (isBitTable(table)) {
    if (vt !== 'Bool') fail('primaryTable', `${table} holds single bits: the valueType must be Bool, not ${vt}`);
    if (bit !== undefined) fail('startingAddress', `a bit address (N.b) applies to register tables, not ${table}`);
    count = 1;
  } else if (vt === 'Bool') {
    count = 1;
  } else {
    if (bit !== undefined) fail('startingAddress', `a bit address (N.b) applies only to Bool resources, not ${vt}`);
    if (vt === 'String') {
      stringRegisterSize = parseInteger(attrs.stringRegisterSize, (why) => fail('stringRegisterSize', why));
      if (stringRegisterSize === undefined) fail('stringRegisterSize', 'is required for a String');
      if (stringRegisterSize! < 1 || stringRegisterSize! > MAX_WRITE_REGISTERS) {
        fail('stringRegisterSize', `${stringRegisterSize} is outside 1..${MAX_WRITE_REGISTERS}`);
      }
      count = stringRegisterSize!;
    } else {
      count = REGISTERS_PER_TYPE[rawType as RegisterType];
    }
  }
  if (address + count - 1 > 0xffff) {
    fail('startingAddress', `${address} + ${count} ${isBitTable(table) ? 'bits' : 'registers'} runs past address 65535`);
  }

  const point: ModbusPoint = { deviceName, resourceName, table: table!, address, valueType: vt, rawType, byteSwap, wordSwap, count };
  if (bit !== undefined) point.bit = bit;
  if (stringRegisterSize !== undefined) point.stringRegisterSize = stringRegisterSize;
  return point;
}

/**
 * startingAddress as EdgeX device-modbus (v3/v4) reads it: an integer is the
 * register/bit address; a float is printed with two decimals ("%.2f") and
 * split on "."; a string is split on "." as written. So YAML `10.10` (a float,
 * 10.1) is "10.10" → register 10 bit 10, and so is `10.1`; bit 1 as a number
 * is `10.01`, as a string "10.1" or "10.01".
 */
export function parseStartingAddress(
  value: unknown,
  fail: (why: string) => never,
): { address: number; bit?: number } {
  let text: string;
  if (value === undefined || value === null || value === '') return fail('is required');
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return fail(`${value} is not a zero-based address`);
    text = Number.isInteger(value) ? String(value) : value.toFixed(2);
  } else if (typeof value === 'bigint') {
    text = value.toString();
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return fail(`${JSON.stringify(value)} is not an address`);
  }
  const parts = text.split('.');
  if (parts.length > 2 || !/^\d+$/u.test(parts[0]) || (parts.length === 2 && !/^\d+$/u.test(parts[1]))) {
    return fail(`"${text}" is not an address (N, or N.b for bit b of register N)`);
  }
  const address = Number(parts[0]);
  if (address > 0xffff) return fail(`${address} is outside 0..65535`);
  if (parts.length === 1) return { address };
  const bit = Number(parts[1]);
  if (bit > 15) return fail(`bit ${bit} of "${text}" is outside 0..15`);
  return { address, bit };
}

function parseBool(value: unknown, fail: (why: string) => never): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string' && TRUE.has(value.trim())) return true;
  if (typeof value === 'string' && FALSE.has(value.trim())) return false;
  return fail(`${JSON.stringify(value)} is not a boolean`);
}

/** An integer given as a number or a string (decimal, or 0x hex as Go's ParseUint(s, 0, n)). */
function parseInteger(value: unknown, fail: (why: string) => never): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*(\d+|0x[0-9a-f]+)\s*$/iu.test(value)) return Number(value.trim());
  return fail(`${JSON.stringify(value)} is not a whole number`);
}

// ---------------------------------------------------------------------------
// Protocol properties

export interface ModbusTcpEndpoint {
  protocol: 'modbus-tcp';
  /** Identifies the shared connection: `tcp://host:port`. */
  key: string;
  host: string;
  port: number;
  unitId: number;
  timeoutMs: number;
  idleTimeoutMs: number;
}

export interface ModbusRtuEndpoint {
  protocol: 'modbus-rtu';
  /** Identifies the shared line: `rtu://` + serial path. */
  key: string;
  path: string;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  stopBits: 1 | 2;
  parity: 'N' | 'E' | 'O';
  unitId: number;
  timeoutMs: number;
  idleTimeoutMs: number;
}

export type ModbusEndpoint = ModbusTcpEndpoint | ModbusRtuEndpoint;

export const DEFAULT_TCP_PORT = 502;
export const DEFAULT_UNIT_ID = 1;
export const DEFAULT_TIMEOUT_S = 5;
export const DEFAULT_IDLE_TIMEOUT_S = 5;
export const DEFAULT_BAUD_RATE = 19200;

/**
 * Reads a device's `modbus-tcp` or `modbus-rtu` protocol properties (exactly
 * one of them). Values may be strings or numbers, as in EdgeX device files.
 * Timeout and IdleTimeout are seconds (EdgeX) or a duration string ("500ms").
 */
export function parseEndpoint(device: { name: string; protocols?: Record<string, Record<string, unknown>> }): ModbusEndpoint {
  const protocols = device.protocols ?? {};
  const tcp = protocols['modbus-tcp'];
  const rtu = protocols['modbus-rtu'];
  const where = `device "${device.name}"`;
  if (tcp && rtu) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${where}: protocols: give modbus-tcp or modbus-rtu, not both`);
  }
  if (!tcp && !rtu) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${where}: protocols: modbus-tcp or modbus-rtu is required`);
  }
  const protocol = tcp ? 'modbus-tcp' : 'modbus-rtu';
  const props = (tcp ?? rtu)!;
  const fail = (property: string, why: string): never => {
    throw new GatewayError(ErrorKind.ContractInvalid, `${where}: protocol ${protocol} property ${property}: ${why}`);
  };
  const int = (name: string, fallback: number | undefined, min: number, max: number): number => {
    const n = parseInteger(props[name], (why) => fail(name, why)) ?? fallback;
    if (n === undefined) return fail(name, 'is required');
    if (n < min || n > max) return fail(name, `${n} is outside ${min}..${max}`);
    return n;
  };
  const seconds = (name: string, fallback: number): number => {
    const v = props[name];
    if (v === undefined || v === null || v === '') return fallback * 1000;
    let ms: number | undefined;
    if (typeof v === 'number' && Number.isFinite(v)) ms = Math.round(v * 1000);
    else if (typeof v === 'string') {
      const t = v.trim();
      if (/^\d+(\.\d+)?$/u.test(t)) ms = Math.round(Number(t) * 1000);
      else if (isDuration(t)) ms = parseDuration(t);
    }
    if (ms === undefined) return fail(name, `${JSON.stringify(v)} is not a number of seconds or a duration`);
    // modbus-serial reads a timeout of 0 as "wait forever": one silent unit would hold the line for good.
    if (ms < 1) return fail(name, `${JSON.stringify(v)} must be more than 0`);
    return ms;
  };
  const address = props.Address;
  if (typeof address !== 'string' || address.trim() === '') fail('Address', 'is required (a host name or IP address for TCP, a serial device path for RTU)');
  const addr = (address as string).trim();

  if (protocol === 'modbus-tcp') {
    const port = int('Port', DEFAULT_TCP_PORT, 1, 65535);
    const host = addr.includes(':') && !addr.startsWith('[') ? `[${addr}]` : addr;
    return {
      protocol, key: `tcp://${host}:${port}`, host: addr, port,
      unitId: int('UnitID', DEFAULT_UNIT_ID, 0, 255),
      timeoutMs: seconds('Timeout', DEFAULT_TIMEOUT_S),
      idleTimeoutMs: seconds('IdleTimeout', DEFAULT_IDLE_TIMEOUT_S),
    };
  }
  const parityText = props.Parity === undefined || props.Parity === null || props.Parity === '' ? 'E' : String(props.Parity).trim().toUpperCase();
  const parities: Record<string, 'N' | 'E' | 'O'> = { N: 'N', NONE: 'N', E: 'E', EVEN: 'E', O: 'O', ODD: 'O' };
  const parity = parities[parityText];
  if (!parity) fail('Parity', `${JSON.stringify(props.Parity)} is not N (none), E (even) or O (odd)`);
  const stopBits = int('StopBits', 1, 1, 2) as 1 | 2;
  return {
    protocol, key: `rtu://${addr}`, path: addr,
    baudRate: int('BaudRate', DEFAULT_BAUD_RATE, 50, 4_000_000),
    dataBits: int('DataBits', 8, 5, 8) as 5 | 6 | 7 | 8,
    stopBits,
    parity: parity!,
    unitId: int('UnitID', DEFAULT_UNIT_ID, 1, 247),
    timeoutMs: seconds('Timeout', DEFAULT_TIMEOUT_S),
    idleTimeoutMs: seconds('IdleTimeout', DEFAULT_IDLE_TIMEOUT_S),
  };
}
