import { DeviceResource, ErrorKind, GatewayError, ValueType } from '@gw/contracts';
import { RawValue } from '../driver/protocol-driver';
import { toReading } from './to-reading';
import { toWriteValue } from './to-write-value';

const ctx = { deviceName: 'Meter-7', profileName: 'Meter', origin: 1 };

function resource(valueType: ValueType, properties: Record<string, unknown> = {}): DeviceResource {
  return DeviceResource.parse({ name: 'Power', properties: { valueType, readWrite: 'RW', ...properties } });
}

const read = (raw: RawValue, valueType: ValueType, properties: Record<string, unknown>) =>
  (toReading(raw, resource(valueType, properties), ctx) as { value: string }).value;

const write = (input: unknown, valueType: ValueType, properties: Record<string, unknown>) =>
  toWriteValue(input, resource(valueType, properties), 'Meter-7');

function error(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(GatewayError.is(err, ErrorKind.ContractInvalid)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('read transforms (mask -> shift -> base -> scale -> offset)', () => {
  it.each<[string, ValueType, RawValue, Record<string, unknown>, string]>([
    ['mask', 'Uint16', 0xabcd, { mask: 0xff00 }, String(0xab00)],
    ['mask on a signed type, cut to the type as Go does', 'Int8', -1, { mask: 0xf0 }, '-16'],
    ['mask wider than the type is cut to it', 'Uint8', 0xab, { mask: 0xff0f }, '11'],
    ['shift right', 'Uint16', 0xab00, { shift: 8 }, '171'],
    ['shift right keeps the sign', 'Int16', -256, { shift: 4 }, '-16'],
    ['negative shift = left', 'Uint8', 0x0f, { shift: -4 }, '240'],
    ['base', 'Uint32', 3, { base: 10 }, '1000'],
    ['base on a float', 'Float64', 2, { base: 2 }, '4e+00'],
    ['scale', 'Int16', -12, { scale: 3 }, '-36'],
    ['scale to a whole number despite binary floating point', 'Int16', 230, { scale: 0.1 }, '23'],
    ['scale on Float32 (in float32, as Go)', 'Float32', 215, { scale: 0.1 }, '2.15e+01'],
    ['offset', 'Int16', 100, { offset: -40 }, '60'],
    ['offset on Float64', 'Float64', 20, { offset: 0.5 }, '2.05e+01'],
    ['all five, in EdgeX order', 'Uint32', 0x0305, { mask: 0xff00, shift: 8, base: 10, scale: 3, offset: 7 }, '3007'],
    ['base, scale and offset on a float', 'Float64', 2, { base: 10, scale: 0.5, offset: 1.5 }, '5.15e+01'],
    ['mask and shift leave floats alone', 'Float32', 1000.5, { mask: 0xff, shift: 2 }, '1.0005e+03'],
    ['neutral values are skipped', 'Int8', 5, { mask: 0, shift: 0, base: 0, scale: 1, offset: 0 }, '5'],
    ['Int64 scaled exactly in bigint', 'Int64', 2n ** 62n - 1n, { scale: 2 }, '9223372036854775806'],
    ['Uint64 offset exactly in bigint', 'Uint64', 18446744073709551000n, { offset: 615 }, '18446744073709551615'],
    ['Uint64 mask and shift in bigint', 'Uint64', 0xffeeddccbbaa9988n, { mask: 0xffff0000, shift: 16 }, String(0xbbaa)],
    ['Int64 with a fractional scale', 'Int64', 10n, { scale: 0.5 }, '5'],
  ])('%s', (_what, valueType, raw, properties, expected) => {
    expect(read(raw, valueType, properties)).toBe(expected);
  });

  it.each<[string, ValueType, RawValue, Record<string, unknown>, string | RegExp]>([
    ['scale past the type', 'Uint8', 200, { scale: 2 }, 'overflow: scale 2 turns 200 into 400, outside Uint8 (0..255)'],
    ['offset below zero', 'Uint8', 5, { offset: -10 }, 'overflow: offset -10 turns 5 into -5, outside Uint8 (0..255)'],
    ['a fraction for an integer type', 'Int16', 215, { scale: 0.1 }, 'overflow: scale 0.1 turns 215 into 21.5, not a whole Int16'],
    ['base past the type', 'Int32', 40, { base: 2 }, 'overflow: base 2 turns 40 into 1099511627776, outside Int32 (-2147483648..2147483647)'],
    ['left shift pushing bits out', 'Uint8', 0x1f, { shift: -4 }, 'overflow: shift -4 turns 31 into 496, outside Uint8 (0..255)'],
    ['Int64 past 2^63', 'Int64', 2n ** 62n, { scale: 2 }, 'overflow: scale 2 turns 4611686018427387904 into 9223372036854775808, outside Int64 (-9223372036854775808..9223372036854775807)'],
    ['Uint64 past 2^64', 'Uint64', 18446744073709551000n, { offset: 616 }, 'overflow: offset 616 turns 18446744073709551000 into 18446744073709551616, outside Uint64 (0..18446744073709551615)'],
    ['Float32 past MaxFloat32', 'Float32', 3e38, { scale: 10 }, /^overflow: scale 10 turns 3\.0+\d+e\+38 into 3\.0+\d+e\+39, outside Float32$/],
    ['Float64 to infinity', 'Float64', 1e308, { scale: 10 }, 'overflow: scale 10 turns 1e+308 into Infinity, not a finite Float64'],
    ['an infinity transformed', 'Float64', Infinity, { offset: 1 }, 'overflow: offset 1 turns Infinity into Infinity, not a finite Float64'],
  ])('overflow: %s', (_what, valueType, raw, properties, message) => {
    const prefix = 'device "Meter-7" resource "Power": ';
    const text = error(() => toReading(raw, resource(valueType, properties), ctx));
    if (typeof message === 'string') expect(text).toBe(prefix + message);
    else expect(text.slice(prefix.length)).toMatch(message);
  });
});

describe('write: reverse transforms (offset -> scale -> base -> shift -> mask)', () => {
  it.each<[string, ValueType, unknown, Record<string, unknown>, RawValue]>([
    ['offset', 'Int16', '60', { offset: -40 }, 100],
    ['scale', 'Int16', '-36', { scale: 3 }, -12],
    ['scale by a decimal fraction', 'Int16', '23', { scale: 0.1 }, 230],
    ['base', 'Uint32', '1000', { base: 10 }, 3],
    ['shift goes left, then the mask keeps its bits', 'Uint16', '171', { mask: 0xff00, shift: 8 }, 0xab00],
    ['all five', 'Uint32', '3007', { mask: 0xff00, shift: 8, base: 10, scale: 3, offset: 7 }, 0x0300],
    ['Int64 exactly', 'Int64', '9223372036854775806', { scale: 2 }, 2n ** 62n - 1n],
    ['Uint64 exactly', 'Uint64', '18446744073709551615', { offset: 615 }, 18446744073709551000n],
    ['Float64', 'Float64', '51.5', { scale: 0.5, offset: 1.5 }, 100],
    ['Float32 in float32 arithmetic', 'Float32', '20.5', { offset: 0.5 }, 20],
  ])('%s', (_what, valueType, input, properties, raw) => {
    expect(write(input, valueType, properties)).toEqual(raw);
  });

  it.each<[string, ValueType, unknown, Record<string, unknown>, string]>([
    ['a value that is not a whole raw number', 'Int16', '105', { scale: 10 }, 'overflow: reversing scale 10 turns 105 into 10.5, not a whole Int16'],
    ['an Int64 that is not a whole raw number', 'Int64', '7', { scale: 2 }, 'overflow: reversing scale 2 turns 7 into 3.5, not a whole Int64'],
    ['a raw value below the type', 'Uint8', '5', { offset: 10 }, 'overflow: reversing offset 10 turns 5 into -5, outside Uint8 (0..255)'],
    ['a shift that pushes bits out', 'Uint16', '256', { mask: 0xff00, shift: 8 }, 'overflow: reversing shift 8 turns 256 into 65536, outside Uint16 (0..65535)'],
    ['log of a non-positive value', 'Float64', '-1', { base: 10 }, 'overflow: reversing base 10 turns -1 into NaN, not a finite Float64'],
    ['a scale of zero', 'Float32', '1', { scale: 0 }, 'overflow: reversing scale 0 turns 1 into Infinity, outside Float32'],
  ])('refuses %s', (_what, valueType, input, properties, message) => {
    expect(error(() => write(input, valueType, properties))).toBe(`device "Meter-7" resource "Power": ${message}`);
  });

  it.each<[ValueType, Record<string, unknown>, string[]]>([
    ['Int16', { scale: 10, offset: 5 }, ['105', '-32755', '32765', '5']],
    ['Uint16', { mask: 0xff00, shift: 8 }, ['0', '171', '255']],
    ['Int8', { mask: 0xf0, shift: 4 }, ['-8', '-1', '0', '7']],
    ['Uint32', { base: 2, offset: 1 }, ['2', '1025', '2147483649']],
    ['Int64', { scale: 1000, offset: -1 }, ['-1', '9223372036854774999']],
    ['Uint64', { shift: 1 }, ['9223372036854775807']],
    ['Int16', { scale: 0.5 }, ['-16384', '12', '0']],
    ['Float32', { scale: 0.1, offset: -40 }, ['-4e+01', '2.15e+01', '-3.9995e+01', '1.2345e+02']],
    ['Float64', { scale: 0.125, offset: 273.5 }, ['2.935e+02', '1e+00', '-2.735e+02']],
    ['Float64', { base: 10 }, ['1e+00', '1e+03', '1e-02']],
    ['Float64', { base: 2 }, ['8e+00', '5e-01']],
  ])('%s %p: a written value reads back as written', (valueType, properties, values) => {
    for (const text of values) {
      const raw = write(text, valueType, properties);
      expect(read(raw, valueType, properties)).toBe(text);
    }
  });

  it('round-trips decimal factors on Float64 to within float rounding', () => {
    const properties = { scale: 0.001, offset: 273.15 };
    for (const value of [-273.15, 21.5, 1e6 / 3]) {
      expect(Number(read(write(String(value), 'Float64', properties), 'Float64', properties))).toBeCloseTo(value, 9);
    }
  });
});
