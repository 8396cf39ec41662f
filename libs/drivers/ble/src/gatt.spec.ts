import { ErrorKind } from '@gw/contracts';
import { decodeIeee11073Float, decodeIeee11073SFloat, normalizeUuid, standardCharacteristic } from './gatt';

const std = (uuid: string) => standardCharacteristic(uuid)!;

describe('normalizeUuid', () => {
  it.each([
    ['2A19', '2a19'],
    ['0x2a19', '2a19'],
    ['00002a19-0000-1000-8000-00805f9b34fb', '2a19'],
    ['00002A19', '2a19'],
    ['6E400001-B5A3-F393-E0A9-E50E24DCCA9E', '6e400001b5a3f393e0a9e50e24dcca9e'],
  ])('%s -> %s', (input, out) => expect(normalizeUuid(input)).toBe(out));

  it.each(['', '2a1', 'zz19', '123456'])('refuses %j', (input) => expect(normalizeUuid(input)).toBeUndefined());
});

describe('standard GATT decoders', () => {
  it('Battery Level 0x2A19 is one unsigned byte in %', () => {
    expect(std('2a19').decode(Uint8Array.of(87))).toBe(87);
    expect(std('2a19').units).toBe('%');
  });

  it('Temperature 0x2A6E is a signed 16-bit count of 0.01 °C, little endian', () => {
    expect(std('2a6e').decode(Uint8Array.of(0x2a, 0x08))).toBeCloseTo(20.9, 10); // 2090
    expect(std('2a6e').decode(Uint8Array.of(0x0c, 0xfe))).toBeCloseTo(-5, 10); // -500
    expect(() => std('2a6e').decode(Uint8Array.of(0x00, 0x80))).toThrow(expect.objectContaining({ kind: ErrorKind.Communication, message: expect.stringContaining('unknown') }));
  });

  it('Humidity 0x2A6F is an unsigned 16-bit count of 0.01 %', () => {
    expect(std('2a6f').decode(Uint8Array.of(0x8c, 0x13))).toBe(50.04); // 0x138c = 5004
  });

  it('Temperature Measurement 0x2A1C: flags, then an IEEE-11073 FLOAT; Fahrenheit is converted to Celsius', () => {
    // 3655 x 10^-2 = 36.55 °C
    const celsius = Uint8Array.of(0x00, 0x47, 0x0e, 0x00, 0xfe);
    expect(std('2a1c').decode(celsius)).toBe(36.55);
    // 986 x 10^-1 = 98.6 °F = 37 °C, with a timestamp after it (ignored)
    const fahrenheit = Uint8Array.of(0x03, 0xda, 0x03, 0x00, 0xff, 0xe8, 0x07, 1, 2, 3, 4, 5);
    expect(std('2a1c').decode(fahrenheit)).toBeCloseTo(37, 10);
    expect(() => std('2a1c').decode(Uint8Array.of(0, 1, 2))).toThrow(/needs at least 5/);
    // Reserved values are errors, as 0x2A6E's "unknown" code is (not NaN readings).
    for (const [bytes, what] of [[[0x00, 0xff, 0xff, 0x7f, 0x00], 'NaN'], [[0x00, 0x00, 0x00, 0x80, 0x00], 'NaN'], [[0x00, 0xfe, 0xff, 0x7f, 0x00], 'Infinity']] as const) {
      expect(() => std('2a1c').decode(Uint8Array.from(bytes))).toThrow(expect.objectContaining({ kind: ErrorKind.Communication, message: `Temperature Measurement: the device reports the value as unknown (${what})` }));
    }
    expect(() => std('2a6e').decode(Uint8Array.of(0x00, 0x80))).toThrow(expect.objectContaining({ kind: ErrorKind.Communication, message: 'Temperature: the device reports the value as unknown' }));
  });

  it('IEEE-11073 FLOAT and SFLOAT special values and signs', () => {
    expect(decodeIeee11073Float(Uint8Array.of(0xff, 0xff, 0x7f, 0x00))).toBeNaN();
    expect(decodeIeee11073Float(Uint8Array.of(0xfe, 0xff, 0x7f, 0x00))).toBe(Infinity);
    expect(decodeIeee11073Float(Uint8Array.of(0xff, 0xff, 0xff, 0x02))).toBe(-100); // -1 x 10^2
    expect(decodeIeee11073SFloat(Uint8Array.of(0x6a, 0xf1))).toBe(36.2); // 0x16a = 362, exponent -1
    expect(decodeIeee11073SFloat(Uint8Array.of(0xff, 0x07))).toBeNaN();
  });

  it('Device Information strings 0x2A29 and 0x2A24 are UTF-8 (trailing NULs dropped)', () => {
    expect(std('2a29').decode(new TextEncoder().encode('Nordic Semiconductor\0\0'))).toBe('Nordic Semiconductor');
    expect(std('2a24').decode(new TextEncoder().encode('Thingy:52 Ü'))).toBe('Thingy:52 Ü');
  });

  it('encodes what can be written back as it decodes', () => {
    for (const [uuid, value] of [['2a19', 42], ['2a6e', -12.34], ['2a6f', 55.5], ['2a24', 'M1']] as const) {
      expect(std(uuid).decode(std(uuid).encode!(value))).toBe(value);
    }
    expect(std('2a1c').encode).toBeUndefined();
  });
});
