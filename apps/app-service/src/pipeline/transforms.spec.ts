import { Event, Reading, ValueType } from '@gw/contracts';
import { transformFor, typedValue } from './transforms';

// EdgeX origins are ns; as a JS number they keep ~256 ns precision, plenty here.
const ORIGIN_NS = 1_700_000_000_123_000_000; // 2023-11-14T22:13:20.123Z

function simple(resourceName: string, valueType: ValueType, value: string, origin = ORIGIN_NS): Reading {
  return { origin, deviceName: 'Boiler-1', profileName: 'Boiler', resourceName, valueType, value };
}

function event(readings: Reading[], extra: Partial<Event> = {}): Event {
  return { apiVersion: 'v3', id: 'evt-1', deviceName: 'Boiler-1', profileName: 'Boiler', sourceName: 'Status', origin: ORIGIN_NS, readings, ...extra };
}

const bodyOf = (e: Event, name: 'edgex' | 'flat' | 'twin') => JSON.parse(transformFor(name)(e).body.toString('utf8'));

describe('typedValue', () => {
  it.each<[ValueType, string, unknown]>([
    ['String', '42', '42'],
    ['Bool', 'true', true],
    ['Bool', 'F', false],
    ['Bool', '1', true],
    ['Int16', '-42', -42],
    ['Uint8', '255', 255],
    ['Int64', '9007199254740991', 9007199254740991],
    ['Float32', '2.15e+01', 21.5],
    ['Float32', '1e-01', 0.1],
    ['Float64', '-1.25e-03', -0.00125],
    ['Int16Array', '[1, -2, 3]', [1, -2, 3]],
    ['Float64Array', '[]', []],
    ['BoolArray', '[true,false]', [true, false]],
    ['StringArray', '["a","b"]', ['a', 'b']],
    ['Object', '{"mode":"auto"}', { mode: 'auto' }],
    ['ObjectArray', '[{"a":1}]', [{ a: 1 }]],
  ])('%s %j -> %j', (valueType, text, expected) => {
    expect(typedValue(simple('R', valueType, text))).toEqual(expected);
  });

  it.each<[ValueType, string, string]>([
    ['Int64', '9007199254740993', 'beyond 2^53 a JSON number would lose digits'],
    ['Uint64', '18446744073709551615', 'beyond 2^53 a JSON number would lose digits'],
    ['Float64', 'NaN', 'JSON has no NaN'],
    ['Float32', '+Inf', 'JSON has no infinity'],
    ['Int16', 'ON', 'a mapped value is not a number'],
    ['Bool', '', 'empty text is no Bool'],
  ])('keeps %s %j as text: %s', (valueType, text) => {
    expect(typedValue(simple('R', valueType, text))).toBe(text);
  });

  it('keeps numeric array elements beyond 2^53 as text', () => {
    expect(typedValue(simple('R', 'Uint64Array', '[1, 18446744073709551615]'))).toEqual([1, '18446744073709551615']);
  });

  it('passes binary and object readings as given', () => {
    const base = { origin: 1, deviceName: 'D', profileName: 'P', resourceName: 'R' };
    expect(typedValue({ ...base, valueType: 'Binary', binaryValue: 'AQID', mediaType: 'application/octet-stream' })).toBe('AQID');
    expect(typedValue({ ...base, valueType: 'Object', objectValue: { a: [1, 2] } })).toEqual({ a: [1, 2] });
  });
});

describe('transforms', () => {
  it('edgex: the Event JSON as EdgeX exports it, with apiVersion even when the event had none', () => {
    const e = event([simple('Temperature', 'Float32', '2.15e+01')], { tags: { site: 'A' } });
    const record = transformFor('edgex')(e);
    expect(record.key).toBe('Boiler-1');
    expect(record.kind).toBe('telemetry');
    expect(Buffer.isBuffer(record.body)).toBe(true);
    expect(JSON.parse(record.body.toString())).toEqual(e);

    const { apiVersion: _omitted, ...bare } = e;
    expect(bodyOf(bare as Event, 'edgex')).toEqual({ ...bare, apiVersion: 'v3' });
  });

  it('flat: one object per event, typed values by resource, origin in ms and as ISO time', () => {
    const e = event([simple('Temperature', 'Float32', '2.15e+01'), simple('Running', 'Bool', 'true'), simple('Mode', 'String', 'auto')]);
    const record = transformFor('flat')(e);
    expect(record).toMatchObject({ key: 'Boiler-1', kind: 'telemetry' });
    expect(JSON.parse(record.body.toString())).toEqual({
      id: 'evt-1',
      device: 'Boiler-1',
      profile: 'Boiler',
      source: 'Status',
      origin: 1_700_000_000_123,
      time: '2023-11-14T22:13:20.123Z',
      readings: { Temperature: 21.5, Running: true, Mode: 'auto' },
    });
  });

  it('twin: the reported state, the latest reading per resource, keyed by device', () => {
    const e = event([simple('Temperature', 'Float64', '2e+01', ORIGIN_NS + 2_000_000), simple('Temperature', 'Float64', '1.9e+01', ORIGIN_NS + 1_000_000), simple('Setpoint', 'Int32', '21')]);
    const record = transformFor('twin')(e);
    expect(record).toMatchObject({ key: 'Boiler-1', kind: 'reported' });
    expect(JSON.parse(record.body.toString())).toEqual({ Temperature: 20, Setpoint: 21 });
  });

  it('twin: the later of two readings with the same origin wins', () => {
    const e = event([simple('Setpoint', 'Int32', '20'), simple('Setpoint', 'Int32', '22')]);
    expect(bodyOf(e, 'twin')).toEqual({ Setpoint: 22 });
  });
});
