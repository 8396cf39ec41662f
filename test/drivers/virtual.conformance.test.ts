/** The driver conformance suite on the virtual driver (libs/drivers/virtual): simulated devices, no I/O. */
import { Device, parseDeviceProfile, validateDevice } from '@gw/contracts';
import { seededRandom, VirtualDriver } from '@gw/drivers/virtual';
import { driverConformance } from './driver-conformance';

const PROFILE = `
name: Virtual-Conformance
deviceResources:
  - { name: Fixed, properties: { valueType: Int32, readWrite: R }, attributes: { simulation: constant, value: 7 } }
  - { name: Model, properties: { valueType: String, readWrite: R }, attributes: { simulation: constant, value: VX-1 } }
  - { name: Level, properties: { valueType: Int16, readWrite: RW, minimum: -2000, maximum: 2000 } }
  - { name: Ratio, properties: { valueType: Float32, readWrite: RW } }
  - { name: Enabled, properties: { valueType: Bool, readWrite: RW, defaultValue: "false" } }
  - { name: Label, properties: { valueType: String, readWrite: RW } }
  - { name: Counts, properties: { valueType: Uint16Array, readWrite: RW } }
`;

const device = (name: string): Device => validateDevice({ name, profileName: 'Virtual-Conformance', serviceName: 'device-virtual', protocols: { other: {} } });

driverConformance('virtual', {
  newDriver: () => new VirtualDriver({ random: seededRandom(9) }),
  profile: () => parseDeviceProfile(PROFILE),
  device,
  readable: { Fixed: 7, Model: 'VX-1' },
  writable: { Level: [1200, -7], Ratio: [0.5, 2.25], Enabled: [true, false], Label: ['north', 'south'], Counts: [[1, 2, 3], [4]] },
  invalid: [
    {
      what: 'an unknown simulation',
      device,
      profile: () => parseDeviceProfile(PROFILE.replace('simulation: constant, value: 7', 'simulation: wave')),
      field: 'simulation',
    },
    {
      what: 'a defaultValue it cannot hold',
      device,
      profile: () => parseDeviceProfile(PROFILE.replace('maximum: 2000 }', 'maximum: 2000, defaultValue: "5000" }')),
      field: 'defaultValue',
    },
  ],
  badAttribute: {
    resource: parseDeviceProfile(`
name: Bad
deviceResources:
  - { name: Broken, properties: { valueType: Int8, readWrite: R }, attributes: { simulation: chaos } }
`).deviceResources[0],
    attribute: 'simulation',
    value: 5,
  },
  // No I/O: a read is done by the time read() returns, so it cannot be in flight at stop or removeDevice.
  readsFinishAtOnce: true,
});
