/**
 * Coalescing: the points of a device that are due together become the fewest
 * read requests per (unit, table), bridging small gaps, never above the
 * protocol limits. `split` hands each point its slice of a response. Also the
 * write planner: which function code a write needs. Pure: no I/O.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import {
  isBitTable,
  MAX_READ_BITS,
  MAX_READ_REGISTERS,
  MAX_WRITE_BITS,
  MAX_WRITE_REGISTERS,
  ModbusPoint,
  PrimaryTable,
} from './attributes';

export interface PlanOptions {
  /** Largest run of unwanted registers read to join two ranges (default 10). */
  maxRegisterGap?: number;
  /** Largest run of unwanted bits read to join two ranges (default 64). */
  maxBitGap?: number;
  /** Registers per request (default and at most 125; some devices need fewer). */
  maxRegisters?: number;
  /** Bits per request (default and at most 2000). */
  maxBits?: number;
}

export const DEFAULT_MAX_REGISTER_GAP = 10;
export const DEFAULT_MAX_BIT_GAP = 64;

export interface PlanItem<P extends ModbusPoint = ModbusPoint> {
  unitId: number;
  point: P;
}

export interface PlannedPoint<P extends ModbusPoint = ModbusPoint> {
  point: P;
  /** Position of the point's first register/bit in the request's data. */
  offset: number;
  /** Position of the item in the planner's input, so results go back in request order. */
  index: number;
}

export interface ReadRequest<P extends ModbusPoint = ModbusPoint> {
  unitId: number;
  table: PrimaryTable;
  /** Modbus function code: 1 coils, 2 discrete inputs, 3 holding registers, 4 input registers. */
  functionCode: 1 | 2 | 3 | 4;
  start: number;
  count: number;
  points: PlannedPoint<P>[];
}

const READ_FC: Record<PrimaryTable, 1 | 2 | 3 | 4> = {
  COILS: 1, DISCRETE_INPUTS: 2, HOLDING_REGISTERS: 3, INPUT_REGISTERS: 4,
};

function where(point: ModbusPoint): string {
  return `device "${point.deviceName}" resource "${point.resourceName}"`;
}

/**
 * Plans the reads for `items`. Requests come out grouped by unit, then table
 * (COILS, DISCRETE_INPUTS, HOLDING_REGISTERS, INPUT_REGISTERS), then address.
 */
export function planReads<P extends ModbusPoint>(items: readonly PlanItem<P>[], options: PlanOptions = {}): ReadRequest<P>[] {
  const maxRegisters = Math.min(options.maxRegisters ?? MAX_READ_REGISTERS, MAX_READ_REGISTERS);
  const maxBits = Math.min(options.maxBits ?? MAX_READ_BITS, MAX_READ_BITS);
  const registerGap = Math.max(0, options.maxRegisterGap ?? DEFAULT_MAX_REGISTER_GAP);
  const bitGap = Math.max(0, options.maxBitGap ?? DEFAULT_MAX_BIT_GAP);

  const groups = new Map<string, Array<{ item: PlanItem<P>; index: number }>>();
  items.forEach((item, index) => {
    const bits = isBitTable(item.point.table);
    const limit = bits ? maxBits : maxRegisters;
    if (item.point.count > limit) {
      throw new GatewayError(
        ErrorKind.ContractInvalid,
        `${where(item.point)}: needs ${item.point.count} ${bits ? 'bits' : 'registers'}, more than the ${limit} one request can read`,
      );
    }
    const key = `${item.unitId}\u0000${item.point.table}`;
    const group = groups.get(key) ?? [];
    group.push({ item, index });
    groups.set(key, group);
  });

  const tableOrder: PrimaryTable[] = ['COILS', 'DISCRETE_INPUTS', 'HOLDING_REGISTERS', 'INPUT_REGISTERS'];
  const keys = [...groups.keys()].sort((a, b) => {
    const [ua, ta] = a.split('\u0000');
    const [ub, tb] = b.split('\u0000');
    return Number(ua) - Number(ub) || tableOrder.indexOf(ta as PrimaryTable) - tableOrder.indexOf(tb as PrimaryTable);
  });

  const requests: ReadRequest<P>[] = [];
  for (const key of keys) {
    const group = groups.get(key)!.sort(
      (a, b) => a.item.point.address - b.item.point.address || b.item.point.count - a.item.point.count || a.index - b.index,
    );
    const { unitId, point: first } = group[0].item;
    const bits = isBitTable(first.table);
    const limit = bits ? maxBits : maxRegisters;
    const gap = bits ? bitGap : registerGap;
    let current: ReadRequest<P> | undefined;
    let end = 0; // exclusive
    for (const { item, index } of group) {
      const p = item.point;
      const pointEnd = p.address + p.count;
      const newEnd = Math.max(end, pointEnd);
      if (current && p.address - end <= gap && newEnd - current.start <= limit) {
        end = newEnd;
        current.count = end - current.start;
        current.points.push({ point: p, offset: p.address - current.start, index });
        continue;
      }
      current = { unitId, table: p.table, functionCode: READ_FC[p.table], start: p.address, count: p.count, points: [] };
      current.points.push({ point: p, offset: 0, index });
      end = pointEnd;
      requests.push(current);
    }
  }
  return requests;
}

export interface PointData<P extends ModbusPoint = ModbusPoint> extends PlannedPoint<P> {
  /** The point's registers (register tables) or bits (COILS, DISCRETE_INPUTS): what codec.decodePoint takes. */
  data: number[] | boolean[];
}

/**
 * Gives each point of `request` its slice of the response `data`
 * (modbus-serial's `data`: boolean[] for FC1/FC2, possibly padded to a
 * multiple of 8; number[] for FC3/FC4).
 */
export function split<P extends ModbusPoint>(request: ReadRequest<P>, data: readonly (number | boolean)[]): PointData<P>[] {
  if (data.length < request.count) {
    throw new GatewayError(
      ErrorKind.Communication,
      `unit ${request.unitId} ${request.table} ${request.start}+${request.count}: short response (${data.length} ${isBitTable(request.table) ? 'bits' : 'registers'})`,
    );
  }
  const bits = isBitTable(request.table);
  return request.points.map((planned) => {
    const slice = data.slice(planned.offset, planned.offset + planned.point.count);
    return { ...planned, data: bits ? slice.map((b) => Boolean(b)) : slice.map((w) => Number(w)) };
  });
}

// ---------------------------------------------------------------------------
// Writes

export interface WritePlan {
  table: 'COILS' | 'HOLDING_REGISTERS';
  /** 5 single coil, 15 multiple coils, 6 single register, 16 multiple registers. */
  functionCode: 5 | 6 | 15 | 16;
  address: number;
  count: number;
  /**
   * A Bool on a bit of a holding register: read the register (FC3), set or
   * clear the bit (codec.encodePoint with `current`), write it back. Not
   * atomic: another master writing the same register in between loses its change.
   */
  readModifyWrite: boolean;
}

export interface WriteOptions {
  /** Use FC15/FC16 even for one coil/register (devices that lack FC5/FC6). */
  alwaysMultiple?: boolean;
}

export function planWrite(point: ModbusPoint, options: WriteOptions = {}): WritePlan {
  if (point.table === 'INPUT_REGISTERS' || point.table === 'DISCRETE_INPUTS') {
    throw new GatewayError(ErrorKind.NotAllowed, `${where(point)}: ${point.table} are read-only in Modbus`);
  }
  const multiple = options.alwaysMultiple === true || point.count > 1;
  if (point.table === 'COILS') {
    if (point.count > MAX_WRITE_BITS) {
      throw new GatewayError(ErrorKind.ContractInvalid, `${where(point)}: ${point.count} coils exceed the ${MAX_WRITE_BITS} one write can carry`);
    }
    return { table: 'COILS', functionCode: multiple ? 15 : 5, address: point.address, count: point.count, readModifyWrite: false };
  }
  if (point.count > MAX_WRITE_REGISTERS) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${where(point)}: ${point.count} registers exceed the ${MAX_WRITE_REGISTERS} one write can carry`);
  }
  return {
    table: 'HOLDING_REGISTERS',
    functionCode: multiple ? 16 : 6,
    address: point.address,
    count: point.count,
    readModifyWrite: point.valueType === 'Bool' && point.bit !== undefined,
  };
}
