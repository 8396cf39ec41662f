import { GatewayError } from '@gw/contracts';
import { parseModbusPoint } from './attributes';
import { decodePoint, encodePoint } from './codec';

const reg = (valueType: string, extra: Record<string, unknown> = {}) =>
  parseModbusPoint('D', 'R', valueType, { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0, ...extra });

const none = {};
const bs = { isByteSwap: true };
const ws = { isWordSwap: true };
const both = { isByteSwap: true, isWordSwap: true };

// [valueType, value, registers as sent with no swap, byteSwap, wordSwap, both]
const CASES: Array<[string, number | bigint, number[], number[], number[], number[]]> = [
  ['Int16', -2, [0xfffe], [0xfeff], [0xfffe], [0xfeff]],
  ['Uint16', 0x1234, [0x1234], [0x3412], [0x1234], [0x3412]],
  ['Int32', -123456789, [0xf8a4, 0x32eb], [0xa4f8, 0xeb32], [0x32eb, 0xf8a4], [0xeb32, 0xa4f8]],
  ['Uint32', 0x12345678, [0x1234, 0x5678], [0x3412, 0x7856], [0x5678, 0x1234], [0x7856, 0x3412]],
  ['Float32', 1.5, [0x3fc0, 0x0000], [0xc03f, 0x0000], [0x0000, 0x3fc0], [0x0000, 0xc03f]],
  ['Int64', -2n, [0xffff, 0xffff, 0xffff, 0xfffe], [0xffff, 0xffff, 0xffff, 0xfeff], [0xfffe, 0xffff, 0xffff, 0xffff], [0xfeff, 0xffff, 0xffff, 0xffff]],
  ['Uint64', 0x0102030405060708n, [0x0102, 0x0304, 0x0506, 0x0708], [0x0201, 0x0403, 0x0605, 0x0807], [0x0708, 0x0506, 0x0304, 0x0102], [0x0807, 0x0605, 0x0403, 0x0201]],
  ['Float64', 1.5, [0x3ff8, 0, 0, 0], [0xf83f, 0, 0, 0], [0, 0, 0, 0x3ff8], [0, 0, 0, 0xf83f]],
];

describe('codec: numbers', () => {
  describe.each(CASES)('%s %p', (valueType, value, plain, byteSwapped, wordSwapped, bothSwapped) => {
    it.each([
      ['no swap', none, plain],
      ['isByteSwap', bs, byteSwapped],
      ['isWordSwap', ws, wordSwapped],
      ['both swaps', both, bothSwapped],
    ])('%s', (_name, swaps, words) => {
      const p = reg(valueType, swaps);
      expect(decodePoint(p, words)).toEqual(value);
      expect(encodePoint(p, value)).toEqual(words);
    });
  });

  it('returns bigint for 64-bit integers only', () => {
    expect(typeof decodePoint(reg('Int64'), [0, 0, 0, 1])).toBe('bigint');
    expect(typeof decodePoint(reg('Uint32'), [0, 1])).toBe('number');
    expect(decodePoint(reg('Uint64'), [0xffff, 0xffff, 0xffff, 0xffff])).toBe(2n ** 64n - 1n);
  });

  it('rounds Float32 the way the device stores it', () => {
    const p = reg('Float32');
    expect(decodePoint(p, encodePoint(p, 0.1) as number[])).toBe(Math.fround(0.1));
  });

  it('round-trips extremes through encode then decode', () => {
    const values: Array<[string, number | bigint]> = [
      ['Int16', -32768], ['Int16', 32767], ['Uint16', 65535], ['Int32', -(2 ** 31)], ['Uint32', 2 ** 32 - 1],
      ['Int64', -(2n ** 63n)], ['Int64', 2n ** 63n - 1n], ['Uint64', 2n ** 64n - 1n],
      ['Float64', Math.PI], ['Float64', -1e300], ['Float32', -3.4028234663852886e38],
    ];
    for (const [vt, v] of values) {
      for (const swaps of [none, bs, ws, both]) {
        const p = reg(vt, swaps);
        expect(decodePoint(p, encodePoint(p, v) as number[])).toEqual(v);
      }
    }
  });

  it('reads rawType registers into the valueType', () => {
    expect(decodePoint(reg('Float32', { rawType: 'Int16' }), [0xfff6])).toBe(-10);
    expect(decodePoint(reg('Float64', { rawType: 'Uint16' }), [0xfff6])).toBe(65526);
    expect(decodePoint(reg('Float64', { rawType: 'Int32', isWordSwap: true }), [0x5678, 0x1234])).toBe(0x12345678);
    expect(decodePoint(reg('Int64', { rawType: 'Int16' }), [0xffff])).toBe(-1n);
    expect(encodePoint(reg('Float32', { rawType: 'Int16' }), -10.7)).toEqual([0xfff6]); // truncated like EdgeX
    expect(encodePoint(reg('Float32', { rawType: 'Uint16', isByteSwap: true }), 258)).toEqual([0x0201]);
  });

  it('refuses values a type cannot hold', () => {
    const bad = (fn: () => unknown, text: RegExp) => {
      try {
        fn();
        throw new Error('not refused');
      } catch (err) {
        expect(GatewayError.is(err)).toBe(true);
        expect((err as Error).message).toMatch(text);
      }
    };
    bad(() => encodePoint(reg('Int16'), 40000), /^device "D" resource "R": 40000 is outside the range of Int16/);
    bad(() => encodePoint(reg('Uint32'), -1), /outside the range of Uint32/);
    bad(() => encodePoint(reg('Float32', { rawType: 'Int16' }), 1e6), /outside the range of Int16/);
    bad(() => encodePoint(reg('Int32'), 'abc'), /is not a number/);
    bad(() => decodePoint(reg('Uint16', { rawType: 'Int16' }), [0xffff]), /read -1 \(Int16\), outside the range of Uint16/);
    bad(() => decodePoint(reg('Int32'), [1]), /expected 2 registers, got 1/);
  });

  it('accepts numeric strings and bigints for writes', () => {
    expect(encodePoint(reg('Int64'), '-2')).toEqual([0xffff, 0xffff, 0xffff, 0xfffe]);
    expect(encodePoint(reg('Int16'), 5n)).toEqual([5]);
    expect(encodePoint(reg('Float32'), '1.5')).toEqual([0x3fc0, 0]);
  });
});

describe('codec: Bool', () => {
  const coil = parseModbusPoint('D', 'R', 'Bool', { primaryTable: 'COILS', startingAddress: 3 });
  const di = parseModbusPoint('D', 'R', 'Bool', { primaryTable: 'DISCRETE_INPUTS', startingAddress: 3 });

  it('reads and writes coils and discrete inputs as one bit', () => {
    expect(decodePoint(coil, [true])).toBe(true);
    expect(decodePoint(di, [false])).toBe(false);
    expect(encodePoint(coil, true)).toEqual([true]);
    expect(encodePoint(coil, 'false')).toEqual([false]);
    expect(encodePoint(coil, 0)).toEqual([false]);
  });

  it('reads bit b of a register, bit 0 least significant', () => {
    const bit = (b: string) => reg('Bool', { startingAddress: b });
    expect(decodePoint(bit('0.0'), [0x0001])).toBe(true);
    expect(decodePoint(bit('0.1'), [0x0001])).toBe(false);
    expect(decodePoint(bit('0.15'), [0x8000])).toBe(true);
    expect(decodePoint(reg('Bool', { startingAddress: 10.1 }), [0x0400])).toBe(true); // bit 10
    expect(decodePoint(reg('Bool'), [0x0001])).toBe(true); // no bit: bit 0, as EdgeX
  });

  it('writes a register bit from the current value (read-modify-write)', () => {
    const p = reg('Bool', { startingAddress: '0.4' });
    expect(encodePoint(p, true, 0x8001)).toEqual([0x8011]);
    expect(encodePoint(p, false, 0xffff)).toEqual([0xffef]);
    expect(() => encodePoint(p, true)).toThrow(/needs the register's current value/);
    expect(encodePoint(reg('Bool'), true)).toEqual([1]);
  });

  it('refuses non-booleans', () => {
    expect(() => encodePoint(coil, 'on')).toThrow(/"on" is not a Bool/);
  });
});

describe('codec: String', () => {
  const str = (size: number, extra: Record<string, unknown> = {}) => reg('String', { stringRegisterSize: size, ...extra });

  it('reads 2 ASCII characters per register, high byte first, trailing NULs trimmed', () => {
    expect(decodePoint(str(3), [0x4142, 0x4344, 0x4500])).toBe('ABCDE');
    expect(decodePoint(str(3), [0x4869, 0, 0])).toBe('Hi');
    expect(decodePoint(str(2, bs), [0x4241, 0x0043])).toBe('ABC');
  });

  it('pads writes with NULs and refuses what does not fit', () => {
    expect(encodePoint(str(3), 'ABC')).toEqual([0x4142, 0x4300, 0]);
    expect(encodePoint(str(2, bs), 'ABC')).toEqual([0x4241, 0x0043]);
    expect(() => encodePoint(str(2), 'ABCDE')).toThrow(/longer than 4 characters/);
    expect(() => encodePoint(str(2), 'Ω')).toThrow(/outside 8-bit/);
    expect(() => encodePoint(str(2), 5)).toThrow(/is not a String/);
  });

  it('round-trips', () => {
    for (const swaps of [none, bs]) {
      const p = str(4, swaps);
      expect(decodePoint(p, encodePoint(p, 'pump-7') as number[])).toBe('pump-7');
    }
  });
});
