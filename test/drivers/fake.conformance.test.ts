/**
 * The driver conformance suite on the fake driver the device-sdk suites use
 * (test/device-sdk/fake-driver.ts), so the SDK's tests run against a driver
 * that behaves like a real one.
 */
import { Device, parseDeviceProfile, validateDevice } from '@gw/contracts';
import { FakeDriver, Gate } from '../device-sdk/fake-driver';
import { driverConformance } from './driver-conformance';

const PROFILE = `
name: Fake-Conformance
deviceResources:
  - { name: Temperature, properties: { valueType: Float32, readWrite: R }, attributes: { address: t } }
  - { name: Serial, properties: { valueType: String, readWrite: R } }
  - { name: Setpoint, properties: { valueType: Float64, readWrite: RW }, attributes: { address: sp } }
  - { name: Mode, properties: { valueType: String, readWrite: RW } }
  - { name: Switch, properties: { valueType: Bool, readWrite: RW } }
`;

const device = (name: string, protocols: Device['protocols'] = { fake: { Address: `addr-${name}` } }): Device =>
  validateDevice({ name, profileName: 'Fake-Conformance', serviceName: 'device-fake', protocols });

driverConformance('fake', {
  newDriver: () => {
    const driver = new FakeDriver();
    driver.defaults.set('Temperature', 21.5);
    driver.defaults.set('Serial', 'SN-0042');
    driver.defaults.set('Setpoint', 20);
    driver.defaults.set('Mode', 'off');
    driver.defaults.set('Switch', false);
    driver.discovered = [
      { name: 'Found-1', protocols: { fake: { Address: 'found-1' } } },
      { name: 'Found-2', protocols: { fake: { Address: 'found-2' } } },
    ];
    return driver;
  },
  profile: () => parseDeviceProfile(PROFILE),
  device,
  readable: { Temperature: 21.5, Serial: 'SN-0042' },
  writable: { Setpoint: [42.5, -3.25], Mode: ['auto', 'manual'], Switch: [false, true] },
  invalid: [
    { what: 'a device without an Address', device: (name) => device(name, { fake: {} }), field: 'Address' },
    {
      what: 'an attribute the driver does not know',
      device,
      profile: () => parseDeviceProfile(PROFILE.replace('{ address: sp }', '{ adress: sp }')),
      field: 'adress',
    },
  ],
  badAttribute: {
    resource: parseDeviceProfile(`
name: Bad
deviceResources:
  - { name: Broken, properties: { valueType: Int16, readWrite: R }, attributes: { address: 12 } }
`).deviceResources[0],
    attribute: 'address',
    value: 5,
  },
  push: {
    trigger: (driver, d) => driver.report(d.name, { Temperature: 23.25 }),
    values: [{ resourceName: 'Temperature', value: 23.25 }],
  },
  discovery: { names: () => ['Found-1', 'Found-2'] },
  holdReads: (driver) => {
    const gate = new Gate();
    driver.gate = gate.promise;
    return () => {
      driver.gate = undefined;
      gate.open();
    };
  },
});
