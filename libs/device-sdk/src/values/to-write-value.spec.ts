import { DeviceResource, ErrorKind, GatewayError, ValueType } from '@gw/contracts';
import { toWriteValue } from './to-write-value';

function resource(valueType: ValueType, properties: Record<string, unknown> = {}): DeviceResource {
  return DeviceResource.parse({ name: 'Setpoint', properties: { valueType, readWrite: 'RW', ...properties } });
}

const write = (input: unknown, valueType: ValueType, properties?: Record<string, unknown>) =>
  toWriteValue(input, resource(valueType, properties), 'Oven-3');

function refusal(input: unknown, valueType: ValueType, properties?: Record<string, unknown>): string {
  try {
    write(input, valueType, properties);
  } catch (err) {
    expect(GatewayError.is(err, ErrorKind.ContractInvalid)).toBe(true);
    return (err as Error).message.replace('device "Oven-3" resource "Setpoint": ', '');
  }
  throw new Error(`expected ${String(input)} to be refused for ${valueType}`);
}

describe('toWriteValue: parsing per valueType', () => {
  it.each<[ValueType, unknown, unknown]>([
    ['Bool', 'true', true],
    ['Bool', 'F', false],
    ['Bool', true, true],
    ['String', 'hello world', 'hello world'],
    ['String', '', ''],
    ['String', 42, '42'],
    ['Uint8', '255', 255],
    ['Uint16', 513, 513],
    ['Uint32', '4294967295', 4294967295],
    ['Uint64', '18446744073709551615', 18446744073709551615n],
    ['Uint64', 5, 5n],
    ['Int8', '-128', -128],
    ['Int16', '+12', 12],
    ['Int32', '-0', 0],
    ['Int64', '-9223372036854775808', -9223372036854775808n],
    ['Float32', '0.1', Math.fround(0.1)],
    ['Float32', 21.5, 21.5],
    ['Float64', '-1.5e3', -1500],
    ['Float64', '+Inf', Infinity],
    ['Object', '{"mode":"auto"}', { mode: 'auto' }],
    ['Object', { mode: 'auto' }, { mode: 'auto' }],
    ['ObjectArray', [{ a: 1 }], [{ a: 1 }]],
    ['ObjectArray', '[{"a":1},{"b":2}]', [{ a: 1 }, { b: 2 }]],
    ['Binary', 'AQL/', Uint8Array.from([1, 2, 255])],
    ['BoolArray', '[true, false]', [true, false]],
    ['BoolArray', [true, 'F'], [true, false]],
    ['StringArray', '["a b","c"]', ['a b', 'c']],
    ['StringArray', ['x'], ['x']],
    ['Uint8Array', '[1, 2, 255]', [1, 2, 255]],
    ['Uint8Array', '1,2', [1, 2]],
    ['Uint16Array', '[]', []],
    ['Uint32Array', [7, '8'], [7, 8]],
    ['Uint64Array', '[18446744073709551615]', [18446744073709551615n]],
    ['Int8Array', [-1, 1], [-1, 1]],
    ['Int16Array', '[-32768, 32767]', [-32768, 32767]],
    ['Int32Array', '[0]', [0]],
    ['Int64Array', ['-9223372036854775808', 2], [-9223372036854775808n, 2n]],
    ['Float32Array', '[0.1, -2]', [Math.fround(0.1), -2]],
    ['Float64Array', [0.1, '1e3'], [0.1, 1000]],
  ])('%s %p', (valueType, input, expected) => {
    const value = write(input, valueType);
    if (valueType === 'Binary') expect(Buffer.from(value as Uint8Array)).toEqual(Buffer.from(expected as Uint8Array));
    else expect(value).toEqual(expected);
  });

  it.each<[ValueType, unknown, string]>([
    ['Int8', 'abc', '"abc" is not a valid Int8'],
    ['Int8', '128', '128 is out of range for Int8 (-128..127)'],
    ['Uint8', '-1', '"-1" is not a valid Uint8'],
    ['Uint64', '18446744073709551616', '18446744073709551616 is out of range for Uint64 (0..18446744073709551615)'],
    ['Int64', '9223372036854775808', '9223372036854775808 is out of range for Int64 (-9223372036854775808..9223372036854775807)'],
    ['Int32', '1.5', '"1.5" is not a valid Int32'],
    ['Int32', 1.5, '"1.5" is not a valid Int32'],
    ['Int16', '', 'an empty value is not a valid Int16'],
    ['Int16', '  ', 'an empty value is not a valid Int16'],
    ['Int16', undefined, 'a value is required for Int16'],
    ['Int16', null, 'a value is required for Int16'],
    ['Int16', { v: 1 }, '{"v":1} is not a valid Int16'],
    ['Float32', '1e39', '1e39 is out of range for Float32'],
    ['Float64', 'warm', '"warm" is not a valid Float64'],
    ['Float64', 'NaN', 'NaN is not a value that can be written to a Float64'],
    ['Bool', 'yes', '"yes" is not a valid Bool (true or false)'],
    ['String', ['a'], '["a"] is not a valid String'],
    ['Object', '[1]', '"[1]" is not a JSON object'],
    ['Object', '{broken', '"{broken" is not a JSON object'],
    ['ObjectArray', '[1]', '"[1]" is not a JSON array of objects'],
    ['Binary', 'not base64!', '"not base64!" is not base64 for a Binary value'],
    ['Int8Array', '[1, 300]', 'Int8Array item 1: 300 is out of range for Int8 (-128..127)'],
    ['Int8Array', [1, 'x'], 'Int8Array item 1: "x" is not a valid Int8'],
    ['Uint8Array', '[1,,2]', 'Uint8Array item 1: an empty value is not a valid Uint8'],
    ['BoolArray', '[true, 1]', '"[true, 1]" is not a JSON array for BoolArray'],
    ['StringArray', [1], 'StringArray item 0: 1 is not a string'],
    ['StringArray', 'a,b', '"a,b" is not a JSON array for StringArray'],
    ['Float32Array', 5, '5 is not a valid Float32Array'],
  ])('refuses %s %p', (valueType, input, message) => {
    expect(refusal(input, valueType)).toBe(message);
  });

  it('names device and resource in the error', () => {
    expect(() => write('abc', 'Int8')).toThrow('device "Oven-3" resource "Setpoint": "abc" is not a valid Int8');
  });
});

describe('toWriteValue: minimum and maximum', () => {
  it('holds the value as given between minimum and maximum', () => {
    const limits = { minimum: -10, maximum: 100 };
    expect(write('100', 'Int16', limits)).toBe(100);
    expect(write('-10', 'Int16', limits)).toBe(-10);
    expect(refusal('101', 'Int16', limits)).toBe('101 is greater than maximum 100');
    expect(refusal('-11', 'Int16', limits)).toBe('-11 is less than minimum -10');
    expect(refusal('100.5', 'Float32', limits)).toBe('100.5 is greater than maximum 100');
    expect(refusal('+Inf', 'Float64', limits)).toBe('Infinity is greater than maximum 100');
  });

  it('checks before the reverse transforms, as EdgeX does', () => {
    // 50 is within 0..60 as the operator sees it; the device gets 50 - 100 = -50
    expect(write('50', 'Int16', { minimum: 0, maximum: 60, offset: 100 })).toBe(-50);
  });

  it('compares 64-bit values exactly', () => {
    expect(write('9007199254740993', 'Int64', { maximum: 9007199254740994 })).toBe(9007199254740993n);
    expect(refusal('9007199254740993', 'Uint64', { maximum: 9007199254740992 })).toBe(
      '9007199254740993 is greater than maximum 9007199254740992',
    );
  });

  it('holds every item of a numeric array to the limits', () => {
    expect(refusal('[1, 101]', 'Uint8Array', { maximum: 100 })).toBe('Uint8Array item 1: 101 is greater than maximum 100');
    expect(write('[0, 100]', 'Uint8Array', { minimum: 0, maximum: 100 })).toEqual([0, 100]);
  });
});
