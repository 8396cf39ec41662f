import { validateEvent } from './parse';
import { isPlainValidEvent } from './fast-event-check';

const reading = (over: Record<string, unknown> = {}) => ({
  id: '2f6d1a52-7d3b-4c1e-9a59-0f6f0d9a6e01',
  origin: 1_700_000_000_000_000_000,
  deviceName: 'boiler-1',
  resourceName: 'temperature',
  profileName: 'Boiler',
  valueType: 'Float32',
  units: 'degC',
  value: '21.5',
  ...over,
});
const event = (over: Record<string, unknown> = {}, readings: unknown[] = [reading(), reading({ resourceName: 'pressure' })]) => ({
  apiVersion: 'v3',
  id: '9b1f3c0e-8a54-4c1f-b1d7-6a3e2c9f4d10',
  deviceName: 'boiler-1',
  profileName: 'Boiler',
  sourceName: 'AllValues',
  origin: 1_700_000_000_000_000_000,
  readings,
  ...over,
});

function schemaAccepts(value: unknown): boolean {
  try {
    validateEvent(value);
    return true;
  } catch {
    return false;
  }
}

// Each variant changes one thing; the fast path may say "no" to valid ones, never "yes" to invalid ones.
const variants: Array<[string, unknown]> = [
  ['the common event', event()],
  ['no apiVersion', event({ apiVersion: undefined })],
  ['no reading id nor units', event({}, [reading({ id: undefined, units: undefined })])],
  ['every simple value type', event({}, ['Bool', 'String', 'Uint64', 'Int8', 'Float64', 'Int32Array', 'StringArray'].map((valueType) => reading({ valueType })))],
  ['apiVersion a number', event({ apiVersion: 3 })],
  ['unknown event key', event({ extra: 1 })],
  ['unknown reading key', event({}, [reading({ extra: 1 })])],
  ['event tags', event({ tags: { a: 1 } })],
  ['reading tags', event({}, [reading({ tags: { a: 1 } })])],
  ['id a number', event({ id: 7 })],
  ['device name with a space', event({ deviceName: 'boiler 1' })],
  ['device name with a slash', event({ deviceName: 'a/b' })],
  ['empty profile name', event({ profileName: '' })],
  ['source name with #', event({ sourceName: 'x#' })],
  ['resource name with +', event({}, [reading({ resourceName: 'a+b' })])],
  ['reading profile not a string', event({}, [reading({ profileName: 5 })])],
  ['origin a float', event({ origin: 1.5 })],
  ['origin a string', event({ origin: '1700000000' })],
  ['reading origin missing', event({}, [reading({ origin: undefined })])],
  ['no readings', event({}, [])],
  ['readings not an array', event({ readings: { 0: reading() } })],
  ['reading null', event({}, [null])],
  ['reading an array', event({}, [[reading()]])],
  ['value a number', event({}, [reading({ value: 21.5 })])],
  ['value missing', event({}, [reading({ value: undefined })])],
  ['unknown value type', event({}, [reading({ valueType: 'Float99' })])],
  ['Binary with value', event({}, [reading({ valueType: 'Binary' })])],
  ['Object with value', event({}, [reading({ valueType: 'Object' })])],
  ['binary reading', event({}, [reading({ valueType: 'Binary', value: undefined, binaryValue: 'AAE=', mediaType: 'image/png' })])],
  ['object reading', event({}, [reading({ valueType: 'Object', value: undefined, objectValue: { a: 1 } })])],
  ['units a number', event({}, [reading({ units: 5 })])],
  ['device name of 256 characters', event({ deviceName: 'd'.repeat(256) })],
  ['device name with NUL', event({ deviceName: 'boiler\u0000' })],
  ['profile name with BEL', event({ profileName: 'Boi\u0007ler' })],
  ['source name with DEL', event({ sourceName: 'All\u007F' })],
  ['resource name with a C1 control', event({}, [reading({ resourceName: 'temp\u009B' })])],
  ['device name with a right-to-left override', event({ deviceName: 'boiler\u202E1' })],
  ['reading device name with an isolate', event({}, [reading({ deviceName: 'boiler\u2066-1' })])],
  ['reading profile name with a left-to-right mark', event({}, [reading({ profileName: 'Boiler\u200E' })])],
  ['device name with a lone surrogate', event({ deviceName: 'boiler\uD800' })],
  ['null event', null],
  ['an array', [event()]],
];

describe('isPlainValidEvent', () => {
  it.each(variants)('never accepts what validateEvent refuses, nor changes what it accepts: %s', (_name, value) => {
    const json = JSON.parse(JSON.stringify(value ?? null));
    if (isPlainValidEvent(json)) {
      expect(schemaAccepts(json)).toBe(true);
      expect(validateEvent(json)).toEqual(json);
    }
  });

  it('refuses long, control, bidi and lone-surrogate names, as the schema does', () => {
    const bad = variants.filter(([n]) => /256 characters|NUL|BEL|DEL|C1|override|isolate|mark|surrogate/.test(n));
    expect(bad).toHaveLength(9);
    for (const [name, value] of bad) {
      const json = JSON.parse(JSON.stringify(value));
      expect({ name, fast: isPlainValidEvent(json), schema: schemaAccepts(json) }).toEqual({ name, fast: false, schema: false });
    }
  });

  it('takes unicode names and names of exactly 255 characters itself', () => {
    const names = ['Kessel-Süd', 'd'.repeat(255), 'sensor-😀'];
    for (const deviceName of names) {
      const value = event({ deviceName }, [reading({ deviceName })]);
      expect(isPlainValidEvent(value)).toBe(true);
      expect(schemaAccepts(value)).toBe(true);
    }
  });

  it('takes the common shapes itself (that is its point)', () => {
    for (const name of ['the common event', 'no apiVersion', 'no reading id nor units', 'every simple value type']) {
      const value = JSON.parse(JSON.stringify(variants.find(([n]) => n === name)?.[1]));
      expect({ name, fast: isPlainValidEvent(value) }).toEqual({ name, fast: true });
    }
  });
});
