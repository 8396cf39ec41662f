import { DeviceResource, Reading, ValueType } from '@gw/contracts';
import { assertionHolds } from './assertion';
import { mapForRead, mapForWrite } from './mappings';
import { numericValue } from './numeric-value';
import { toReading } from './to-reading';

function resource(valueType: ValueType, properties: Record<string, unknown> = {}): DeviceResource {
  return DeviceResource.parse({ name: 'State', properties: { valueType, readWrite: 'RW', ...properties } });
}
const reading = (raw: Parameters<typeof toReading>[0], valueType: ValueType, properties?: Record<string, unknown>): Reading =>
  toReading(raw, resource(valueType, properties), { deviceName: 'Pump-1', profileName: 'Pump', origin: 1 });

describe('mappings', () => {
  const mappings = { '0': 'OFF', '1': 'ON', '2': 'FAULT' };

  it('maps device text to operator text on read; unmapped values pass through', () => {
    expect(mapForRead('1', mappings)).toBe('ON');
    expect(mapForRead('7', mappings)).toBe('7');
    expect(mapForRead('1', undefined)).toBe('1');
    expect(mapForRead('constructor', mappings)).toBe('constructor');
  });

  it('maps operator text back to device text on write', () => {
    expect(mapForWrite('FAULT', mappings)).toBe('2');
    expect(mapForWrite('1', mappings)).toBe('1');
    expect(mapForWrite('ON', undefined)).toBe('ON');
  });

  it('matches float readings by number, as EdgeX matches Go %v text ("1.5")', () => {
    const value = (reading(1.5, 'Float32') as { value: string }).value;
    expect(value).toBe('1.5e+00');
    expect(mapForRead(value, { '1.5': 'HALF' })).toBe('HALF');
    expect(mapForRead(value, { '1.5e+00': 'HALF' })).toBe('HALF');
    expect(mapForRead(value, { '2.5': 'MORE' })).toBe('1.5e+00');
  });
});

describe('assertionHolds', () => {
  it('holds when the resource has no assertion', () => {
    expect(assertionHolds(reading(3, 'Int8'), resource('Int8'))).toBe(true);
    expect(assertionHolds(reading(3, 'Int8'), resource('Int8', { assertion: '' }))).toBe(true);
  });

  it('compares the reading text with the assertion', () => {
    const ok = resource('String', { assertion: 'OK' });
    expect(assertionHolds(reading('OK', 'String'), ok)).toBe(true);
    expect(assertionHolds(reading('FAILED', 'String'), ok)).toBe(false);
    expect(assertionHolds(reading(true, 'Bool'), resource('Bool', { assertion: 'true' }))).toBe(true);
    expect(assertionHolds(reading(0, 'Uint8'), resource('Uint8', { assertion: '1' }))).toBe(false);
  });

  it('compares floats by value, so an assertion written as EdgeX users write it holds', () => {
    expect(assertionHolds(reading(21.5, 'Float32'), resource('Float32', { assertion: '21.5' }))).toBe(true);
    expect(assertionHolds(reading(0.1, 'Float32'), resource('Float32', { assertion: '0.1' }))).toBe(true);
    expect(assertionHolds(reading(21.25, 'Float64'), resource('Float64', { assertion: '21.5' }))).toBe(false);
    expect(assertionHolds(reading(21.5, 'Float64'), resource('Float64', { assertion: 'x' }))).toBe(false);
  });
});

describe('numericValue', () => {
  it.each<[Parameters<typeof toReading>[0], ValueType, number | undefined]>([
    [21.5, 'Float32', 21.5],
    [-7, 'Int16', -7],
    [2n ** 60n, 'Uint64', 2 ** 60],
    [Infinity, 'Float64', Infinity],
    [-Infinity, 'Float32', -Infinity],
    [true, 'Bool', undefined],
    ['12', 'String', undefined],
    [[1, 2], 'Int8Array', undefined],
    [{ a: 1 }, 'Object', undefined],
  ])('%p %s -> %p', (raw, valueType, expected) => {
    expect(numericValue(reading(raw, valueType))).toBe(expected);
  });

  it('has no numeric view of a mapped value', () => {
    const mapped = { ...(reading(1, 'Uint8') as { value: string }), value: 'ON' } as Reading;
    expect(numericValue(mapped)).toBeUndefined();
  });
});
