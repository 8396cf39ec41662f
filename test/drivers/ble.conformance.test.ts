/**
 * The driver conformance suite on the BLE driver (libs/drivers/ble) on real
 * noble over fake bindings (test/ble/fake-bindings.ts: no Bluetooth here),
 * one fresh set of bindings per driver. Readable resources: a standard
 * characteristic (Battery Level), Humidity decoded by its SIG definition, a
 * byte map (Uint16 at byte 1); writable: a big endian Int16 and a UTF-8
 * text. Push: a notifying characteristic. (Connection state readings push
 * too; test/ble covers them: here the first push must be the notification.)
 */
import { Device, parseDeviceProfile, validateDevice } from '@gw/contracts';
import { BleDriver } from '../../libs/drivers/ble/src/ble-driver';
import { nobleOnBindings } from '../../libs/drivers/ble/src/noble-types';
import { FakeBindings } from '../ble/fake-bindings';
import { CUSTOM_SERVICE, SENSOR_MAC, sensorPeripheral, settings } from '../ble/support';
import { driverConformance } from './driver-conformance';

const PROFILE = `
name: BLE-Conformance
deviceResources:
  - { name: Battery, properties: { valueType: Uint8, readWrite: R }, attributes: { characteristicUuid: "2A19" } }
  - { name: Humidity, properties: { valueType: Float64, readWrite: R }, attributes: { serviceUuid: "181A", characteristicUuid: "2A6F" } }
  - { name: Counter, properties: { valueType: Uint16, readWrite: R }, attributes: { characteristicUuid: "FFF1", startByte: 1, rawType: Uint16 } }
  - { name: Setpoint, properties: { valueType: Int16, readWrite: RW }, attributes: { characteristicUuid: "FFF2", rawType: Int16, byteOrder: big } }
  - { name: Label, properties: { valueType: String, readWrite: RW }, attributes: { characteristicUuid: "2A00" } }
  - { name: Pulses, properties: { valueType: Uint32, readWrite: R }, attributes: { characteristicUuid: "FFF3", notify: true } }
`;

/** Each driver's own bindings, for the harness hooks. */
const bindingsOf = new WeakMap<BleDriver, FakeBindings>();

const device = (name: string, mac = SENSOR_MAC): Device =>
  validateDevice({ name, profileName: 'BLE-Conformance', serviceName: 'device-ble', protocols: { BLE: { MAC: mac } } });

driverConformance('ble (noble over fake bindings)', {
  newDriver: () => {
    const peripheral = sensorPeripheral();
    peripheral.services['1800'] = { '2a00': { properties: ['read', 'write'], value: Buffer.from('Thermo-1') } };
    const bindings = new FakeBindings([peripheral]);
    const driver = new BleDriver(settings({ scanDuration: '150ms' }), { loadNoble: () => nobleOnBindings(bindings) });
    bindingsOf.set(driver, bindings);
    return driver;
  },
  profile: () => parseDeviceProfile(PROFILE),
  device,
  readable: { Battery: 87, Humidity: 50.04, Counter: 0x1234 },
  writable: { Setpoint: [-2, 300], Label: ['pump', 'valve'] },
  invalid: [
    { what: 'a MAC that is no address', device: (name) => device(name, 'C0:FF:EE'), field: 'MAC' },
    { what: 'an unknown rawType', device, profile: () => parseDeviceProfile(PROFILE.replace('rawType: Uint16', 'rawType: Uint17')), field: 'rawType' },
    { what: 'a notify that is no boolean', device, profile: () => parseDeviceProfile(PROFILE.replace('notify: true', 'notify: sometimes')), field: 'notify' },
  ],
  badAttribute: {
    resource: parseDeviceProfile(`
name: Bad
deviceResources:
  - { name: Broken, properties: { valueType: Int16, readWrite: R }, attributes: { characteristicUuid: "FFF1", startByte: "first" } }
`).deviceResources[0],
    attribute: 'startByte',
    value: 3,
  },
  push: {
    trigger: async (driver) => {
      const bindings = bindingsOf.get(driver)!;
      await bindings.whenSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3');
      bindings.sendNotification(SENSOR_MAC, CUSTOM_SERVICE, 'fff3', Buffer.from([0x2a, 0, 0, 0]));
    },
    values: [{ resourceName: 'Pulses', value: 42 }],
  },
  discovery: { names: () => ['Thermo-1-C0FFEE000001'] },
  holdReads: (driver) => bindingsOf.get(driver)!.holdReads(),
});
