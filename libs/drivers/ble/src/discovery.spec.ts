import { discoveredName, toDiscovered } from './discovery';
import { profileDraft } from './profile-draft';

describe('discovered devices', () => {
  const found = { mac: 'C0:FF:EE:00:00:01', address: 'c0:ff:ee:00:00:01', rssi: -60, connectable: true, serviceUuids: ['180f', '181a'] };

  it('are named <advertised name>-<MAC>, without characters EdgeX names may not hold', () => {
    expect(discoveredName({ ...found, name: 'Thermo 1/#2' })).toBe('Thermo_1_2-C0FFEE000001');
    expect(discoveredName(found, 'ble-')).toBe('ble-BLE-C0FFEE000001');
  });

  it('carry MAC, Name, ServiceUUIDs and Manufacturer for provision watchers: Device Information, else the company id', () => {
    expect(toDiscovered({ ...found, name: 'T', manufacturerId: 0x4c }).protocols).toEqual({
      BLE: { MAC: 'C0:FF:EE:00:00:01', Name: 'T', ServiceUUIDs: '180f,181a', Manufacturer: '0x004C' },
    });
    const withInfo = toDiscovered({ ...found, manufacturer: 'ACME', model: 'TH-1', manufacturerId: 0x4c });
    expect(withInfo.protocols.BLE.Manufacturer).toBe('ACME');
    expect(withInfo.labels).toEqual(['ble', 'ACME', 'TH-1']);
  });
});

describe('profileDraft', () => {
  it('makes a resource per usable characteristic: standard ones typed, others as bytes; RSSI and connection state', () => {
    const profile = profileDraft(
      [
        { uuid: '1801', characteristics: [{ uuid: '2a05', properties: ['indicate'] }] },
        { uuid: '180f', characteristics: [{ uuid: '2a19', properties: ['read', 'notify'] }] },
        { uuid: 'fff0', characteristics: [{ uuid: 'fff1', properties: ['notify'] }, { uuid: 'fff2', properties: ['read', 'write'] }, { uuid: 'fff3', properties: ['broadcast'] }] },
      ],
      { name: 'Draft', mac: 'C0:FF:EE:00:00:01', manufacturer: 'ACME' },
    );
    expect(profile.manufacturer).toBe('ACME');
    expect(profile.deviceResources!.map((r) => [r.name, r.properties.valueType, r.properties.readWrite, r.attributes])).toEqual([
      ['BatteryLevel', 'Uint8', 'R', { serviceUuid: '180f', characteristicUuid: '2a19' }],
      ['Characteristic_fff1', 'Binary', 'R', { serviceUuid: 'fff0', characteristicUuid: 'fff1', notify: true, encoding: 'raw' }],
      ['Characteristic_fff2', 'Uint8Array', 'RW', { serviceUuid: 'fff0', characteristicUuid: 'fff2', encoding: 'raw' }],
      ['RSSI', 'Int16', 'R', { source: 'rssi' }],
      ['Connection', 'String', 'R', { source: 'connection' }],
    ]);
  });
});
