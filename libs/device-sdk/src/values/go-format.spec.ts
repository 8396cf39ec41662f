import { formatFloat32, formatFloat64 } from './go-format';

// Expected texts are what Go's strconv.FormatFloat(v, 'e', -1, bits) prints.
describe('formatFloat64 (as strconv.FormatFloat(v, e, -1, 64))', () => {
  it.each([
    [21.5, '2.15e+01'],
    [1, '1e+00'],
    [-2.5, '-2.5e+00'],
    [0.1, '1e-01'],
    [123456789, '1.23456789e+08'],
    [1e-7, '1e-07'],
    [1e100, '1e+100'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [0, '0e+00'],
    [-0, '-0e+00'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ])('%s -> %s', (v, text) => {
    expect(formatFloat64(v)).toBe(text);
  });
});

describe('formatFloat32 (as strconv.FormatFloat(v, e, -1, 32))', () => {
  it.each([
    [21.5, '2.15e+01'],
    [0.1, '1e-01'],
    [1 / 3, '3.3333334e-01'],
    [16777217, '1.6777216e+07'],
    [3.4028234663852886e38, '3.4028235e+38'],
    [1.401298464324817e-45, '1e-45'],
    [-273.15, '-2.7315e+02'],
    [Infinity, '+Inf'],
  ])('%s -> %s', (v, text) => {
    expect(formatFloat32(Math.fround(v))).toBe(text);
  });

  it('gives the shortest text that reads back to the same float32', () => {
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const v = Math.fround((seed / 2 ** 31 - 0.5) * 10 ** ((i % 40) - 20));
      const text = formatFloat32(v);
      expect(Math.fround(Number(text))).toBe(v);
      const digits = text.replace(/^-/, '').split('e')[0].replace('.', '').length;
      if (digits > 1) {
        // one digit fewer no longer identifies the value
        expect(Math.fround(Number(v.toExponential(digits - 2)))).not.toBe(v);
      }
    }
  });
});
