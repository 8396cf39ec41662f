import { ErrorKind } from '@gw/contracts';
import { parseBleAddress, parseBlePoint } from './attributes';

const parse = (valueType: string, attributes: Record<string, unknown>) => parseBlePoint('Sensor1', 'Temp', valueType as never, attributes);
const refused = (valueType: string, attributes: Record<string, unknown>, attribute: string, why: RegExp) => {
  let err: unknown;
  try {
    parse(valueType, attributes);
  } catch (e) {
    err = e;
  }
  expect(err).toMatchObject({ kind: ErrorKind.ContractInvalid });
  expect((err as Error).message).toContain('device "Sensor1" resource "Temp": attribute ' + attribute + ':');
  expect((err as Error).message).toMatch(why);
};

describe('parseBlePoint', () => {
  it("takes EdgeX device-bluetooth-c's characteristicUuid, startByte and rawType", () => {
    expect(parse('Float32', { characteristicUuid: 'FFF1', startByte: '2', rawType: 'int16' })).toEqual({
      deviceName: 'Sensor1',
      resourceName: 'Temp',
      valueType: 'Float32',
      source: 'gatt',
      characteristicUuid: 'fff1',
      notify: false,
      decoding: { kind: 'number', rawType: 'Int16', startByte: 2, littleEndian: true },
    });
  });

  it('takes serviceUuid, notify, byteOrder, length and encoding', () => {
    expect(parse('Uint32', { serviceUuid: '6E400001-B5A3-F393-E0A9-E50E24DCCA9E', characteristicUuid: '0x2A19', notify: 'true', byteOrder: 'BIG', rawType: 'Uint32' })).toMatchObject({
      serviceUuid: '6e400001b5a3f393e0a9e50e24dcca9e',
      characteristicUuid: '2a19',
      notify: true,
      decoding: { kind: 'number', littleEndian: false },
    });
    expect(parse('String', { characteristicUuid: 'fff2', length: 8 })).toMatchObject({ decoding: { kind: 'utf8', startByte: 0, length: 8 } });
    expect(parse('Binary', { characteristicUuid: 'fff2', encoding: 'raw' })).toMatchObject({ decoding: { kind: 'raw' } });
  });

  it('decodes a known characteristic without rawType by its standard decoder', () => {
    expect(parse('Uint8', { characteristicUuid: '2a19' })).toMatchObject({ decoding: { kind: 'standard', characteristic: { name: 'Battery Level' } } });
    refused('Int16', { characteristicUuid: '2a6e' }, 'characteristicUuid', /Temperature \(0x2A6E\) is decoded as Float32 or Float64, not Int16/);
    refused('Float32', { characteristicUuid: '2a29' }, 'characteristicUuid', /decoded as String/);
  });

  it('takes source advertisement with manufacturerId or serviceDataUuid and an offset', () => {
    expect(parse('Int16', { source: 'advertisement', manufacturerId: '0x004C', offset: 3 })).toMatchObject({
      source: 'advertisement',
      manufacturerId: 0x4c,
      decoding: { kind: 'number', startByte: 3 },
    });
    expect(parse('Uint8', { source: 'Advertisement', serviceDataUuid: '181A' })).toMatchObject({ serviceDataUuid: '181a' });
    refused('Int16', { source: 'advertisement' }, 'manufacturerId', /exactly one of manufacturerId or serviceDataUuid/);
    refused('Int16', { source: 'advertisement', manufacturerId: 1, serviceDataUuid: '181a' }, 'manufacturerId', /exactly one/);
    refused('Int16', { source: 'advertisement', manufacturerId: 1, characteristicUuid: '2a19' }, 'characteristicUuid', /does not apply to source advertisement/);
    refused('Int16', { source: 'advertisement', manufacturerId: 70000 }, 'manufacturerId', /outside 0..65535/);
    refused('Int16', { characteristicUuid: 'fff1', offset: 1 }, 'offset', /applies to source advertisement only/);
  });

  it('takes source rssi and connection as readings of their own', () => {
    expect(parse('Int32', { source: 'rssi' })).toMatchObject({ source: 'rssi' });
    expect(parse('String', { source: 'connection' })).toMatchObject({ source: 'connection' });
    refused('Float32', { source: 'connection' }, 'source', /connection readings are String or Bool/);
    refused('Int8', { source: 'rssi', startByte: 1 }, 'startByte', /does not apply to source rssi/);
  });

  it("takes device-bluetooth-c's bitShift: a Bool as one bit of rawType", () => {
    expect(parse('Bool', { characteristicUuid: 'f000aa82-0451-4000-b000-000000000000', bitShift: '2', rawType: 'Uint16' })).toMatchObject({
      characteristicUuid: 'f000aa8204514000b000000000000000',
      decoding: { kind: 'bool', rawType: 'Uint16', bitShift: 2, startByte: 0, littleEndian: true },
    });
    refused('Bool', { characteristicUuid: 'fff1', bitShift: 16, rawType: 'Uint16' }, 'bitShift', /16 is outside 0..15 \(bits of a Uint16\)/);
    refused('Bool', { characteristicUuid: 'fff1', rawType: 'Float32' }, 'rawType', /a Bool is a bit of an integer/);
    refused('Uint16', { characteristicUuid: 'fff1', bitShift: 1 }, 'bitShift', /applies to Bool resources/);
  });

  it('names the attribute at fault', () => {
    refused('Int16', {}, 'characteristicUuid', /is required/);
    refused('Int16', { characteristicUuid: 'nope' }, 'characteristicUuid', /is not a UUID/);
    refused('Int16', { characteristicUuid: 'fff1', rawType: 'Int128' }, 'rawType', /"Int128" is not one of Uint8/);
    refused('Int16', { characteristicUuid: 'fff1', startByte: 1.5 }, 'startByte', /not a whole number/);
    refused('Int16', { characteristicUuid: 'fff1', startByte: 600 }, 'startByte', /outside 0..511/);
    refused('Int16', { characteristicUuid: 'fff1', byteOrder: 'middle' }, 'byteOrder', /not little or big/);
    refused('Int16', { characteristicUuid: 'fff1', notify: 'maybe' }, 'notify', /not a boolean/);
    refused('Int16', { characteristicUuid: 'fff1', length: 2 }, 'length', /applies to String, Binary/);
    refused('String', { characteristicUuid: 'fff1', encoding: 'raw' }, 'encoding', /use valueType Binary/);
    refused('String', { characteristicUuid: 'fff1', rawType: 'Uint8' }, 'rawType', /numeric valueTypes, not String/);
    refused('Int16', { characteristicUuid: 'fff1', characteristicUUID: 'x' }, 'characteristicUUID', /is not a BLE attribute/);
    refused('Object', { characteristicUuid: 'fff1' }, 'rawType', /valueType Object is not supported/);
    refused('Int16', { characteristicUuid: 'fff1', source: 'radio' }, 'source', /"radio" is not one of gatt, advertisement, rssi, connection/);
  });
});

describe('parseBleAddress', () => {
  it('reads BLE.MAC in any case and separator, as noble spells it', () => {
    expect(parseBleAddress('D', { BLE: { MAC: 'AA:BB:CC:DD:EE:0F' } })).toBe('aa:bb:cc:dd:ee:0f');
    expect(parseBleAddress('D', { ble: { mac: 'aa-bb-cc-dd-ee-0f' } })).toBe('aa:bb:cc:dd:ee:0f');
    expect(parseBleAddress('D', { BLE: { MAC: 'AABBCCDDEE0F' } })).toBe('aa:bb:cc:dd:ee:0f');
  });

  it('refuses a missing protocol or a bad MAC, naming device and property', () => {
    expect(() => parseBleAddress('D', { other: { Address: 'x' } })).toThrow(expect.objectContaining({ kind: ErrorKind.ContractInvalid, message: expect.stringMatching(/device "D": protocol BLE property MAC: the device has no BLE protocol/) }));
    expect(() => parseBleAddress('D', { BLE: {} })).toThrow(/MAC: is required/);
    expect(() => parseBleAddress('D', { BLE: { MAC: 'AA:BB:CC:DD:EE' } })).toThrow(/"AA:BB:CC:DD:EE" is not a MAC address/);
    expect(() => parseBleAddress('D', { BLE: { MAC: 'AA:BB-CC:DD:EE:FF' } })).toThrow(/is not a MAC address/);
  });
});
