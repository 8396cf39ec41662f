import { DeviceResource, ErrorKind, GatewayError, Reading, ValueType, validateEvent } from '@gw/contracts';
import { RawValue } from '../driver/protocol-driver';
import { ReadingContext, toReading } from './to-reading';

const ctx: ReadingContext = { deviceName: 'Boiler-1', profileName: 'Boiler', origin: 1_700_000_000_123_456_768 };

function resource(valueType: ValueType, properties: Record<string, unknown> = {}): DeviceResource {
  return DeviceResource.parse({ name: 'Level', properties: { valueType, readWrite: 'RW', ...properties } });
}

const valueOf = (raw: RawValue, valueType: ValueType, properties?: Record<string, unknown>) =>
  (toReading(raw, resource(valueType, properties), ctx) as { value: string }).value;

/** RawValue names only Uint8Array; other typed arrays are read the same way. */
const typed = (array: ArrayBufferView) => array as unknown as RawValue;

function failure(raw: RawValue, valueType: ValueType, properties?: Record<string, unknown>): GatewayError {
  try {
    toReading(raw, resource(valueType, properties), ctx);
  } catch (err) {
    expect(GatewayError.is(err, ErrorKind.ContractInvalid)).toBe(true);
    return err as GatewayError;
  }
  throw new Error('expected toReading to throw');
}

describe('toReading', () => {
  it('builds an EdgeX SimpleReading that core-data accepts', () => {
    const reading = toReading(21.5, resource('Float32', { units: 'degC' }), ctx);
    expect(reading).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      origin: ctx.origin,
      deviceName: 'Boiler-1',
      resourceName: 'Level',
      profileName: 'Boiler',
      valueType: 'Float32',
      units: 'degC',
      value: '2.15e+01',
    });
    const event = { id: 'e1', deviceName: 'Boiler-1', profileName: 'Boiler', sourceName: 'Level', origin: ctx.origin, readings: [reading] };
    expect(() => validateEvent(event)).not.toThrow();
  });

  it('gives every reading its own id and leaves units out when the resource has none', () => {
    const a = toReading(1, resource('Int8'), ctx);
    const b = toReading(1, resource('Int8'), ctx);
    expect(a.id).not.toBe(b.id);
    expect(a).not.toHaveProperty('units');
  });

  describe('Bool and String', () => {
    it.each<[RawValue, string]>([
      [true, 'true'],
      [false, 'false'],
      [1, 'true'],
      [0, 'false'],
      ['T', 'true'],
      ['false', 'false'],
    ])('Bool %p -> %s', (raw, text) => expect(valueOf(raw, 'Bool')).toBe(text));

    it('refuses what is no Bool', () => {
      expect(failure('yes', 'Bool').message).toBe(
        'device "Boiler-1" resource "Level": the driver returned "yes", which is not a valid Bool',
      );
      expect(() => toReading(2, resource('Bool'), ctx)).toThrow(/not a valid Bool/);
    });

    it('passes strings through and writes numbers as text', () => {
      expect(valueOf('running, 3 faults', 'String')).toBe('running, 3 faults');
      expect(valueOf(42, 'String')).toBe('42');
      expect(() => toReading({ a: 1 }, resource('String'), ctx)).toThrow(/not a valid String/);
    });
  });

  describe('integers', () => {
    it.each<[ValueType, RawValue, string]>([
      ['Uint8', 0, '0'],
      ['Uint8', 255, '255'],
      ['Uint16', 65535, '65535'],
      ['Uint32', 4294967295, '4294967295'],
      ['Uint64', 18446744073709551615n, '18446744073709551615'],
      ['Uint64', 0n, '0'],
      ['Int8', -128, '-128'],
      ['Int8', 127, '127'],
      ['Int16', -32768, '-32768'],
      ['Int32', -2147483648, '-2147483648'],
      ['Int32', 2147483647, '2147483647'],
      ['Int64', -9223372036854775808n, '-9223372036854775808'],
      ['Int64', 9223372036854775807n, '9223372036854775807'],
      ['Int64', 42, '42'],
      ['Int64', '-9007199254740993', '-9007199254740993'],
      ['Uint16', '513', '513'],
      ['Int16', 7n, '7'],
      ['Int8', -0, '0'],
    ])('%s %p -> %s', (valueType, raw, text) => expect(valueOf(raw, valueType)).toBe(text));

    it.each<[ValueType, RawValue, string]>([
      ['Uint8', 256, 'overflow: the driver returned 256, outside Uint8 (0..255)'],
      ['Uint8', -1, 'overflow: the driver returned -1, outside Uint8 (0..255)'],
      ['Int8', 128, 'overflow: the driver returned 128, outside Int8 (-128..127)'],
      ['Int16', -32769, 'overflow: the driver returned -32769, outside Int16 (-32768..32767)'],
      ['Uint32', 2 ** 32, 'overflow: the driver returned 4294967296, outside Uint32 (0..4294967295)'],
      ['Uint64', 2n ** 64n, 'overflow: the driver returned 18446744073709551616, outside Uint64 (0..18446744073709551615)'],
      ['Uint64', -1n, 'overflow: the driver returned -1, outside Uint64 (0..18446744073709551615)'],
      ['Int64', 2n ** 63n, 'overflow: the driver returned 9223372036854775808, outside Int64 (-9223372036854775808..9223372036854775807)'],
      ['Int64', -(2n ** 63n) - 1n, 'overflow: the driver returned -9223372036854775809, outside Int64 (-9223372036854775808..9223372036854775807)'],
      ['Int32', 1.5, 'the driver returned 1.5, which is not a whole Int32'],
      ['Int64', 1.5, 'the driver returned 1.5, which is not a whole Int64'],
      ['Int16', '12abc', 'the driver returned "12abc", which is not a valid Int16'],
      ['Uint8', true, 'the driver returned true, which is not a valid Uint8'],
    ])('%s refuses %p', (valueType, raw, message) => {
      expect(failure(raw, valueType).message).toBe(`device "Boiler-1" resource "Level": ${message}`);
    });
  });

  describe('floats', () => {
    it.each<[ValueType, RawValue, string]>([
      ['Float32', 21.5, '2.15e+01'],
      ['Float32', 0.1, '1e-01'], // rounded to float32 first, then the shortest float32 text
      ['Float32', '-40.25', '-4.025e+01'],
      ['Float64', 0.1, '1e-01'],
      ['Float64', 1234.5678, '1.2345678e+03'],
      ['Float64', 2n, '2e+00'],
      ['Float64', -0, '-0e+00'],
    ])('%s %p -> %s', (valueType, raw, text) => expect(valueOf(raw, valueType)).toBe(text));

    it('passes an untransformed infinity through, spelled as Go does', () => {
      expect(valueOf(Infinity, 'Float64')).toBe('+Inf');
      expect(valueOf(-Infinity, 'Float32')).toBe('-Inf');
    });

    it('refuses NaN (EdgeX replaces it with the text "NaN")', () => {
      expect(failure(NaN, 'Float64').message).toMatch(/"Level": the driver returned NaN/);
      expect(failure(NaN, 'Float32').message).toMatch(/NaN/);
      expect(failure('nan', 'Float32').message).toMatch(/NaN/);
    });

    it('refuses a float32 out of range and values of the wrong kind', () => {
      expect(failure(1e39, 'Float32').message).toBe('device "Boiler-1" resource "Level": overflow: the driver returned 1e+39, outside Float32');
      expect(failure('warm', 'Float64').message).toMatch(/"warm", which is not a valid Float64/);
      expect(failure(true, 'Float32').message).toMatch(/true, which is not a valid Float32/);
    });
  });

  describe('Binary and Object', () => {
    it('base64-encodes bytes with the resource media type', () => {
      const bytes = Uint8Array.from([0x89, 0x50, 0x4e, 0x47]);
      expect(toReading(bytes, resource('Binary', { readWrite: 'R', mediaType: 'image/png' }), ctx)).toMatchObject({
        valueType: 'Binary',
        binaryValue: 'iVBORw==',
        mediaType: 'image/png',
      });
    });

    it('encodes only the view it is given, and defaults the media type', () => {
      const backing = Uint8Array.from([1, 2, 3, 4, 5]);
      const reading = toReading(backing.subarray(1, 3), resource('Binary', { readWrite: 'R' }), ctx) as Reading & { binaryValue: string };
      expect(Buffer.from(reading.binaryValue, 'base64')).toEqual(Buffer.from([2, 3]));
      expect(reading).toMatchObject({ mediaType: 'application/octet-stream' });
      expect(() => toReading('AQI=', resource('Binary', { readWrite: 'R' }), ctx)).toThrow(/not a valid Binary/);
    });

    it('carries objects as objectValue (a JSON text from the driver is parsed)', () => {
      const reading = toReading({ mode: 'auto', setpoint: 21 }, resource('Object'), ctx);
      expect(reading).toMatchObject({ valueType: 'Object', objectValue: { mode: 'auto', setpoint: 21 } });
      expect(reading).not.toHaveProperty('value');
      expect(toReading('{"a":1}', resource('Object'), ctx)).toMatchObject({ objectValue: { a: 1 } });
      expect(() => toReading([1], resource('Object'), ctx)).toThrow(/not a valid Object/);
    });

    it('carries object arrays as objectValue', () => {
      expect(toReading([{ a: 1 }, { b: 2 }], resource('ObjectArray'), ctx)).toMatchObject({
        valueType: 'ObjectArray',
        objectValue: [{ a: 1 }, { b: 2 }],
      });
      expect(() => toReading([{ a: 1 }, 2], resource('ObjectArray'), ctx)).toThrow(/2 at index 1, which is not a valid ObjectArray item/);
    });
  });

  describe('arrays (EdgeX text: "[a, b]", not transformed)', () => {
    it.each<[ValueType, RawValue, string]>([
      ['BoolArray', [true, false, 1], '[true, false, true]'],
      ['StringArray', ['a b', 'c"d'], '["a b","c\\"d"]'],
      ['Uint8Array', Uint8Array.from([0, 7, 255]), '[0, 7, 255]'],
      ['Uint16Array', [1, 65535], '[1, 65535]'],
      ['Uint32Array', typed(Uint32Array.from([4294967295])), '[4294967295]'],
      ['Uint64Array', [18446744073709551615n, 1], '[18446744073709551615, 1]'],
      ['Int8Array', typed(Int8Array.from([-128, 127])), '[-128, 127]'],
      ['Int16Array', [-2, 3], '[-2, 3]'],
      ['Int32Array', [], '[]'],
      ['Int64Array', [-9223372036854775808n], '[-9223372036854775808]'],
      ['Float32Array', typed(Float32Array.from([21.5, 0.1])), '[2.15e+01, 1e-01]'],
      ['Float64Array', [1, -0.5], '[1e+00, -5e-01]'],
    ])('%s %p -> %s', (valueType, raw, text) => {
      expect(valueOf(raw, valueType, { scale: 10 })).toBe(text);
    });

    it('checks every item against the element type', () => {
      expect(failure([1, 256], 'Uint8Array').message).toMatch(/overflow: the driver returned 256, outside Uint8/);
      expect(failure(['a', 1], 'StringArray').message).toMatch(/1 at index 1, which is not a valid StringArray item/);
      expect(failure('1,2', 'Int8Array').message).toMatch(/"1,2", which is not a valid Int8Array/);
    });
  });
});
