/**
 * The driver conformance suite on the ZigBee driver (libs/drivers/zigbee):
 * herdsman's own Controller on a simulated coordinator
 * (test/zigbee/support/fake-adapter.ts) with one IKEA LED1545G12 bulb that
 * joined and was interviewed once, in setUp (each driver then finds it in the
 * herdsman database under the same data folder). The profile is the one the
 * driver generates from the bulb's converter definition; writes go through
 * convertSet, reads through convertGet, pushes are the bulb's attribute reports.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Device, DeviceProfile, validateDevice } from '@gw/contracts';
import { zigbeeSettings } from '../../libs/drivers/zigbee/src/descriptor';
import { exposesOf, resolveDefinition } from '../../libs/drivers/zigbee/src/profile/definitions';
import { generateProfile } from '../../libs/drivers/zigbee/src/profile/generate';
import { ZigbeeDriver } from '../../libs/drivers/zigbee/src/zigbee-driver';
import { pollUntil } from '../support/poll';
import { fakeNetwork, installFakeAdapters, MODELS } from '../zigbee/support/fake-adapter';
import { driverConformance } from './driver-conformance';

const BULB = '0x000b57fffe654321';
const id = randomBytes(4).toString('hex');
const network = fakeNetwork(id);
const dataDir = mkdtempSync(join(tmpdir(), 'zigbee-conformance-'));
let profile: DeviceProfile;
let uninstall: (() => void) | undefined;

/** A ZigbeeDriver whose start() returns once the coordinator is up, so the suite's first read finds it. */
class StartedZigbee extends ZigbeeDriver {
  constructor() {
    super({ ...zigbeeSettings.parse({ dataDir, reconnectMin: '20ms', reconnectMax: '100ms', readTimeout: '2s' }), serialPort: `fake://${id}` });
  }
  override async start(): Promise<void> {
    await super.start();
    await pollUntil(() => this.coordinatorState().state === 'up', 'coordinator up');
  }
}

/** A device of the bulb; `ieee` null leaves the IEEE address out. */
const device = (name: string, ieee: string | null = BULB): Device =>
  validateDevice({ name, profileName: profile.name, serviceName: 'device-zigbee', protocols: { zigbee: ieee === null ? {} : { IEEEAddress: ieee } } });

driverConformance('zigbee (herdsman on a simulated coordinator)', {
  setUp: async () => {
    uninstall = installFakeAdapters();
    const definition = (await resolveDefinition('LED1545G12'))!;
    profile = generateProfile(definition, exposesOf(definition)).profile;
    const driver = new StartedZigbee();
    await driver.initialize({ serviceName: 'device-zigbee', logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }, pushValues: () => undefined });
    await driver.start();
    network.join(MODELS.bulb(BULB, 0x4001));
    await pollUntil(() => driver.joinedDevices().some((d) => d.ieeeAddress === BULB && d.interview === 'successful' && d.model === 'LED1545G12'), 'bulb interviewed');
    await driver.stop(false);
  },
  tearDown: async () => {
    uninstall?.();
    rmSync(dataDir, { recursive: true, force: true });
  },
  newDriver: () => new StartedZigbee(),
  profile: () => profile,
  device: (name) => device(name),
  readable: {},
  writable: { state: [true, false], brightness: [200, 31], color_temp: [300, 400] },
  invalid: [
    { what: 'no IEEE address', device: (name) => device(name, null), field: 'IEEEAddress' },
    { what: 'an IEEE address of 15 digits', device: (name) => device(name, '0x000b57fffe65432'), field: 'IEEEAddress' },
    {
      what: 'a resource whose property is no converter property',
      device: (name) => device(name),
      profile: () => ({ ...profile, deviceResources: [...profile.deviceResources, { name: 'odd', isHidden: false, properties: { valueType: 'Int64', readWrite: 'R' }, attributes: { property: 'not a property!' } }] }),
      field: 'property',
    },
  ],
  badAttribute: { resource: { name: 'bad', isHidden: false, properties: { valueType: 'Int64', readWrite: 'R' }, attributes: { property: 'bad property!' } }, attribute: 'property', value: 1 },
  push: {
    trigger: () => network.report(BULB, 1, 'genLevelCtrl', { currentLevel: 99 }),
    values: [{ resourceName: 'brightness', value: 99 }],
  },
  // The bulb interviewed in setUp, found again in herdsman's database by each new driver.
  discovery: { names: () => [BULB] },
  holdReads: () => network.holdReads(),
});
