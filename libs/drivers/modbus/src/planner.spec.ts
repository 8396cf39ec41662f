import { ErrorKind, GatewayError } from '@gw/contracts';
import { ModbusPoint, parseModbusPoint } from './attributes';
import { decodePoint } from './codec';
import { planReads, planWrite, split } from './planner';

let n = 0;
const pt = (table: string, address: number | string, valueType = 'Uint16', extra: Record<string, unknown> = {}): ModbusPoint =>
  parseModbusPoint('D', `r${n++}`, valueType, { primaryTable: table, startingAddress: address, ...extra });
const HR = 'HOLDING_REGISTERS';
const items = (...points: ModbusPoint[]) => points.map((point) => ({ unitId: 1, point }));
const shape = (reqs: ReturnType<typeof planReads>) => reqs.map((r) => [r.unitId, r.table, r.start, r.count]);

describe('planReads', () => {
  it('merges contiguous and overlapping points into one request', () => {
    const reqs = planReads(items(pt(HR, 4, 'Float32'), pt(HR, 0), pt(HR, 1, 'Int32'), pt(HR, 3), pt(HR, 0)));
    expect(shape(reqs)).toEqual([[1, HR, 0, 6]]);
    expect(reqs[0].functionCode).toBe(3);
    expect(reqs[0].points.map((p) => [p.index, p.offset])).toEqual([[1, 0], [4, 0], [2, 1], [3, 3], [0, 4]]);
  });

  it('bridges gaps up to maxRegisterGap and no further', () => {
    expect(shape(planReads(items(pt(HR, 0), pt(HR, 11))))).toEqual([[1, HR, 0, 12]]); // gap of 10
    expect(shape(planReads(items(pt(HR, 0), pt(HR, 12))))).toEqual([[1, HR, 0, 1], [1, HR, 12, 1]]); // gap of 11
    expect(shape(planReads(items(pt(HR, 0), pt(HR, 2)), { maxRegisterGap: 0 }))).toEqual([[1, HR, 0, 1], [1, HR, 2, 1]]);
    expect(shape(planReads(items(pt(HR, 0), pt(HR, 100)), { maxRegisterGap: 99 }))).toEqual([[1, HR, 0, 101]]);
  });

  it('bridges coil gaps up to maxBitGap (default 64)', () => {
    expect(shape(planReads(items(pt('COILS', 0, 'Bool'), pt('COILS', 65, 'Bool'))))).toEqual([[1, 'COILS', 0, 66]]);
    expect(shape(planReads(items(pt('COILS', 0, 'Bool'), pt('COILS', 66, 'Bool'))))).toEqual([[1, 'COILS', 0, 1], [1, 'COILS', 66, 1]]);
  });

  it('never reads more than 125 registers in one request', () => {
    const points = Array.from({ length: 200 }, (_, i) => pt(HR, i));
    const reqs = planReads(items(...points));
    expect(shape(reqs)).toEqual([[1, HR, 0, 125], [1, HR, 125, 75]]);
    expect(reqs.flatMap((r) => r.points).length).toBe(200);
    // a multi-register point that would straddle the limit starts the next request
    const wide = { maxRegisterGap: 200 };
    expect(shape(planReads(items(pt(HR, 0), pt(HR, 124, 'Float32')), wide))).toEqual([[1, HR, 0, 1], [1, HR, 124, 2]]);
    expect(shape(planReads(items(pt(HR, 0), pt(HR, 123, 'Float32')), wide))).toEqual([[1, HR, 0, 125]]);
    expect(shape(planReads(items(pt(HR, 0), pt(HR, 50)), { maxRegisters: 20 }))).toEqual([[1, HR, 0, 1], [1, HR, 50, 1]]);
  });

  it('never reads more than 2000 bits in one request', () => {
    const coils = Array.from({ length: 2001 }, (_, i) => pt('DISCRETE_INPUTS', i * 2, 'Bool'));
    expect(shape(planReads(items(...coils)))).toEqual([
      [1, 'DISCRETE_INPUTS', 0, 1999],
      [1, 'DISCRETE_INPUTS', 2000, 1999],
      [1, 'DISCRETE_INPUTS', 4000, 1],
    ]);
    const contiguous = Array.from({ length: 2001 }, (_, i) => pt('COILS', i, 'Bool'));
    expect(shape(planReads(items(...contiguous)))).toEqual([[1, 'COILS', 0, 2000], [1, 'COILS', 2000, 1]]);
  });

  it('never merges across tables or units', () => {
    const reqs = planReads([
      { unitId: 2, point: pt(HR, 0) },
      { unitId: 1, point: pt('INPUT_REGISTERS', 1) },
      { unitId: 1, point: pt(HR, 1) },
      { unitId: 1, point: pt('COILS', 0, 'Bool') },
      { unitId: 1, point: pt('DISCRETE_INPUTS', 1, 'Bool') },
      { unitId: 1, point: pt(HR, 0) },
    ]);
    expect(reqs.map((r) => [r.unitId, r.table, r.functionCode, r.start, r.count])).toEqual([
      [1, 'COILS', 1, 0, 1],
      [1, 'DISCRETE_INPUTS', 2, 1, 1],
      [1, HR, 3, 0, 2],
      [1, 'INPUT_REGISTERS', 4, 1, 1],
      [2, HR, 3, 0, 1],
    ]);
  });

  it('refuses a point larger than one request', () => {
    const big = pt(HR, 0, 'String', { stringRegisterSize: 100 });
    expect(shape(planReads(items(big)))).toEqual([[1, HR, 0, 100]]);
    try {
      planReads(items(big), { maxRegisters: 50 });
      throw new Error('not refused');
    } catch (err) {
      expect(GatewayError.is(err, ErrorKind.ContractInvalid)).toBe(true);
      expect((err as Error).message).toMatch(/^device "D" resource "r\d+": needs 100 registers, more than the 50 one request can read$/);
    }
  });

  it('returns nothing for nothing', () => {
    expect(planReads([])).toEqual([]);
  });
});

describe('split', () => {
  it('gives each point its registers, ready to decode', () => {
    const a = pt(HR, 10, 'Float32');
    const b = pt(HR, 14, 'Int16');
    const c = pt(HR, '15.3', 'Bool');
    const [req] = planReads(items(a, b, c));
    expect([req.start, req.count]).toEqual([10, 6]);
    const parts = split(req, [0x3fc0, 0, 9, 9, 0xfffe, 0x0008]);
    expect(parts.map((p) => [p.index, p.data])).toEqual([[0, [0x3fc0, 0]], [1, [0xfffe]], [2, [0x0008]]]);
    expect(parts.map((p) => decodePoint(p.point, p.data))).toEqual([1.5, -2, true]);
  });

  it('gives coil points their bit from packed, padded responses', () => {
    const a = pt('COILS', 3, 'Bool');
    const b = pt('COILS', 12, 'Bool');
    const [req] = planReads(items(b, a));
    expect([req.start, req.count]).toEqual([3, 10]);
    const bits = [true, false, false, false, false, false, false, false, false, true, false, false, false, false, false, false];
    const parts = split(req, bits);
    expect(parts.map((p) => [p.index, decodePoint(p.point, p.data)])).toEqual([[1, true], [0, true]]);
  });

  it('refuses a short response', () => {
    const [req] = planReads(items(pt(HR, 0, 'Int32')));
    expect(() => split(req, [1])).toThrow(/short response/);
  });
});

describe('planWrite', () => {
  it('picks function codes', () => {
    expect(planWrite(pt('COILS', 5, 'Bool'))).toEqual({ table: 'COILS', functionCode: 5, address: 5, count: 1, readModifyWrite: false });
    expect(planWrite(pt('COILS', 5, 'Bool'), { alwaysMultiple: true }).functionCode).toBe(15);
    expect(planWrite(pt(HR, 7, 'Int16')).functionCode).toBe(6);
    expect(planWrite(pt(HR, 7, 'Int16'), { alwaysMultiple: true }).functionCode).toBe(16);
    expect(planWrite(pt(HR, 7, 'Float32'))).toEqual({ table: HR, functionCode: 16, address: 7, count: 2, readModifyWrite: false });
    expect(planWrite(pt(HR, 7, 'String', { stringRegisterSize: 10 })).count).toBe(10);
  });

  it('flags a register bit for read-modify-write', () => {
    expect(planWrite(pt(HR, '7.3', 'Bool'))).toEqual({ table: HR, functionCode: 6, address: 7, count: 1, readModifyWrite: true });
    expect(planWrite(pt(HR, 7, 'Bool')).readModifyWrite).toBe(false);
  });

  it('refuses read-only tables', () => {
    for (const p of [pt('INPUT_REGISTERS', 0), pt('DISCRETE_INPUTS', 0, 'Bool')]) {
      expect(() => planWrite(p)).toThrow(GatewayError);
      try {
        planWrite(p);
      } catch (err) {
        expect(GatewayError.is(err, ErrorKind.NotAllowed)).toBe(true);
        expect((err as Error).message).toMatch(/read-only/);
      }
    }
  });
});
