import { ErrorKind } from '@gw/contracts';
import { parseBlePoint, GattPoint, AdvertisementPoint } from './attributes';
import { advertisedBytes, decodeValue, encodeValue, needsCurrentValue } from './codec';

const point = (valueType: string, attributes: Record<string, unknown>) => parseBlePoint('D', 'R', valueType as never, { characteristicUuid: 'fff1', ...attributes }) as GattPoint;
const read = (valueType: string, attributes: Record<string, unknown>, bytes: number[]) =>
  decodeValue(Uint8Array.from(bytes), point(valueType, attributes).decoding, valueType as never, 'device "D" resource "R"');

describe('decodeValue', () => {
  it('reads rawType at startByte, little endian by default (device-bluetooth-c)', () => {
    expect(read('Uint16', { startByte: 1, rawType: 'Uint16' }, [9, 0x34, 0x12])).toBe(0x1234);
    expect(read('Int16', { startByte: 0, rawType: 'Int16' }, [0xfe, 0xff])).toBe(-2);
    expect(read('Float32', { rawType: 'Int16' }, [0x10, 0x27])).toBe(10000); // the SDK scales it afterwards
    expect(read('Float32', {}, [0x00, 0x00, 0x20, 0x41])).toBe(10);
    expect(read('Float64', { startByte: 2 }, [0, 0, ...new Uint8Array(new Float64Array([1.5]).buffer)])).toBe(1.5);
  });

  it('reads big endian when byteOrder says so', () => {
    expect(read('Uint32', { byteOrder: 'big' }, [0x01, 0x02, 0x03, 0x04])).toBe(0x01020304);
    expect(read('Uint32', { byteOrder: 'little' }, [0x01, 0x02, 0x03, 0x04])).toBe(0x04030201);
  });

  it('gives 64-bit integers as bigint, and a 64-bit raw value as a number for a narrower valueType', () => {
    expect(read('Uint64', {}, [1, 0, 0, 0, 0, 0, 0, 0x80])).toBe(2n ** 63n + 1n);
    expect(read('Int64', { rawType: 'Int8' }, [0xff])).toBe(-1n);
    expect(read('Float64', { rawType: 'Uint64' }, [5, 0, 0, 0, 0, 0, 0, 0])).toBe(5);
  });

  it('reads Bool as a byte that is 0 or not, Strings as UTF-8 with length, bytes raw', () => {
    expect(read('Bool', { startByte: 1 }, [0, 2])).toBe(true);
    expect(read('Bool', {}, [0])).toBe(false);
    expect(read('String', { startByte: 1, length: 3 }, [0x21, 0x61, 0x62, 0x63, 0x64])).toBe('abc');
    expect(read('String', {}, [0x68, 0x69, 0])).toBe('hi');
    expect(read('Binary', { startByte: 1 }, [1, 2, 3])).toEqual(Uint8Array.of(2, 3));
    expect(read('Uint8Array', { length: 2 }, [1, 2, 3])).toEqual([1, 2]);
  });

  it('uses the standard decoder of a known characteristic when no rawType is given', () => {
    expect(read('Uint8', { characteristicUuid: '2A19' }, [77])).toBe(77);
    expect(read('Float32', { characteristicUuid: '0x2a6e' }, [0x2a, 0x08])).toBe(Math.fround(20.9));
    expect(read('Float64', { characteristicUuid: '00002a1c-0000-1000-8000-00805f9b34fb' }, [0, 0x47, 0x0e, 0x00, 0xfe])).toBe(36.55);
    expect(read('String', { characteristicUuid: '2a29' }, [0x41, 0x43, 0x4d, 0x45])).toBe('ACME');
    // A byte map wins over the standard decoder.
    expect(read('Uint16', { characteristicUuid: '2a6e', rawType: 'Uint16' }, [0x2a, 0x08])).toBe(2090);
  });

  it('says which bytes were missing when the device sent too few, as a Communication error', () => {
    expect(() => read('Uint32', { startByte: 2 }, [1, 2, 3])).toThrow(
      expect.objectContaining({ kind: ErrorKind.Communication, message: expect.stringMatching(/device "D" resource "R".*3 byte\(s\).*need 6/) }),
    );
  });
});

describe('encodeValue', () => {
  const write = (valueType: string, attributes: Record<string, unknown>, value: unknown) =>
    encodeValue(value as never, point(valueType, attributes).decoding, valueType as never, 'device "D" resource "R"');

  it('writes what decodeValue reads back', () => {
    for (const [valueType, attributes, value] of [
      ['Int16', {}, -300],
      ['Uint32', { byteOrder: 'big' }, 0xdeadbeef],
      ['Float32', { rawType: 'Uint16' }, 513],
      ['Float64', {}, 2.25],
      ['Int64', {}, -(2n ** 40n)],
      ['Bool', {}, true],
      ['String', {}, 'on'],
      ['Binary', {}, Uint8Array.of(1, 2)],
    ] as const) {
      const bytes = write(valueType, attributes, value);
      expect([valueType, decodeValue(bytes, point(valueType, attributes).decoding, valueType as never, 'x')]).toEqual([valueType, value]);
    }
  });

  it('writes part of a value (past byte 0, or one bit) over the current value, as device-bluetooth-c configuration bits', () => {
    const partial = (valueType: string, attributes: Record<string, unknown>, value: unknown, current: number[]) =>
      [...encodeValue(value as never, point(valueType, attributes).decoding, valueType as never, 'x', Uint8Array.from(current))];
    expect(needsCurrentValue(point('Uint16', { startByte: 1 }).decoding)).toBe(true);
    expect(needsCurrentValue(point('Uint16', {}).decoding)).toBe(false);
    expect(partial('Uint16', { startByte: 1 }, 0x1234, [9, 0, 0, 7])).toEqual([9, 0x34, 0x12, 7]);
    expect(partial('Bool', { rawType: 'Uint16', bitShift: 9 }, true, [0x01, 0x00])).toEqual([0x01, 0x02]);
    expect(partial('Bool', { rawType: 'Uint16', bitShift: 0 }, false, [0xff, 0xff])).toEqual([0xfe, 0xff]);
    expect(partial('String', { startByte: 2 }, 'ab', [1, 2, 3, 4, 5])).toEqual([1, 2, 0x61, 0x62]);
    expect(() => partial('Uint32', { startByte: 2 }, 1, [0, 0, 0])).toThrow(/sent 3 byte\(s\), the attributes need 6/);
    expect(() => write('Uint8', { startByte: 1 }, 1)).toThrow(/the current value is needed/);
  });

  it('reads a Bool as a bit of an integer with bitShift, or an integer that is 0 or not', () => {
    expect(read('Bool', { rawType: 'Uint16', bitShift: 9 }, [0x00, 0x02])).toBe(true);
    expect(read('Bool', { rawType: 'Uint16', bitShift: 9, byteOrder: 'big' }, [0x00, 0x02])).toBe(false);
    expect(read('Bool', { bitShift: 7 }, [0x80])).toBe(true);
    expect(read('Bool', { rawType: 'Uint32' }, [0, 0, 1, 0])).toBe(true);
    expect(write('Bool', { rawType: 'Uint16' }, true)).toEqual(Uint8Array.of(1, 0));
  });

  it('refuses a value out of the rawType and a measurement, naming the attribute', () => {
    expect(() => write('Int32', { rawType: 'Uint8' }, 256)).toThrow(expect.objectContaining({ kind: ErrorKind.ContractInvalid, message: expect.stringContaining('attribute rawType: 256 does not fit in Uint8') }));
    expect(() => write('Float32', { characteristicUuid: '2a1c' }, 1)).toThrow(/attribute characteristicUuid: Temperature Measurement is a measurement/);
    expect(() => write('String', { length: 2 }, 'abc')).toThrow(/attribute length: the value has 3 bytes/);
  });

  it('refuses what a standard characteristic cannot hold and floats that are no number, naming the attribute (never wrapped)', () => {
    const refused = (valueType: string, attributes: Record<string, unknown>, value: unknown, message: string) =>
      expect(() => write(valueType, attributes, value)).toThrow(expect.objectContaining({ kind: ErrorKind.ContractInvalid, message: `device "D" resource "R": attribute ${message}` }));
    refused('Uint8', { characteristicUuid: '2a19' }, 300, 'characteristicUuid: Battery Level takes 0..100, not 300');
    refused('Float32', { characteristicUuid: '2a6e' }, 400, 'characteristicUuid: Temperature takes -273.15..327.67, not 400');
    refused('Float32', { characteristicUuid: '2a6f' }, -1, 'characteristicUuid: Humidity takes 0..100, not -1');
    refused('Float32', { characteristicUuid: '2a6f' }, Number.NaN, 'characteristicUuid: Humidity takes 0..100, not NaN');
    refused('Float32', {}, Number.NaN, 'rawType: NaN is not a finite Float32');
    refused('Float64', {}, Number.POSITIVE_INFINITY, 'rawType: Infinity is not a finite Float64');
    refused('Float64', { rawType: 'Float32' }, 1e39, 'rawType: 1e+39 is not a finite Float32');
    expect([...write('Float32', { characteristicUuid: '2a6e' }, -273.15)]).toEqual([0x4d, 0x95]); // -27315, the lowest
    expect([...write('Uint8', { characteristicUuid: '2a19' }, 100)]).toEqual([100]);
  });
});

describe('advertisedBytes', () => {
  const adv = (attributes: Record<string, unknown>) => parseBlePoint('D', 'R', 'Int16', { source: 'advertisement', ...attributes }) as AdvertisementPoint;
  const advertisement = {
    manufacturerData: Uint8Array.of(0x59, 0x00, 0xaa, 0x10, 0x00),
    serviceData: [{ uuid: 'fcd2', data: Uint8Array.of(0x40, 0x02, 0xc4, 0x09) }],
  };

  it('finds manufacturer data by company id (bytes after it) and service data by UUID', () => {
    const m = adv({ manufacturerId: '0x0059', offset: 1 });
    expect(decodeValue(advertisedBytes(advertisement, m)!, m.decoding, 'Int16', 'x')).toBe(16);
    const s = adv({ serviceDataUuid: 'FCD2', offset: 2 });
    expect(decodeValue(advertisedBytes(advertisement, s)!, s.decoding, 'Int16', 'x')).toBe(2500);
    expect(advertisedBytes(advertisement, adv({ manufacturerId: 0x004c }))).toBeUndefined();
    expect(advertisedBytes({}, s)).toBeUndefined();
  });
});
