/**
 * What a user decides about a joined ZigBee device: provision watchers that
 * match it by Model, Vendor, ModelID and IEEE address (the protocol
 * properties the driver's discover() proposes, through the SDK's POST
 * /api/v3/discovery), and its name in core-metadata, which the user may
 * change: the driver finds devices by IEEE address, so reports reach the
 * device under its new name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pollUntil } from '../support/poll';
import { EventRecorder } from '../support/event-recorder';
import { startDeviceZigbee, ZigbeeHost } from './host';
import { fakeNetwork, FakeNetwork, installFakeAdapters, MODELS } from './support/fake-adapter';
import { fakeZigbee } from './support/driver';

const WEATHER = '0x00158d0001abcd01';
const BULB = '0x000b57fffeabcd02';

let host: ZigbeeHost;
let network: FakeNetwork;
let uninstall: () => void;
const events = new EventRecorder();
const dataDir = mkdtempSync(join(tmpdir(), 'zigbee-naming-'));

beforeAll(async () => {
  uninstall = installFakeAdapters();
  const id = randomBytes(4).toString('hex');
  network = fakeNetwork(id);
  host = await startDeviceZigbee(fakeZigbee(id, { dataDir }));
  await host.bus.subscribe(`${host.topicBase}/events/#`, events.handler);
  await pollUntil(async () => (await host.call('PUT', '/zigbee/permitjoin', { body: '{"seconds":120}', headers: { 'content-type': 'application/json' } })).status === 200, 'coordinator up, joining open');
  network.join(MODELS.weather(WEATHER, 0x1101));
  network.join(MODELS.bulb(BULB, 0x2101));
  await pollUntil(async () => host.service.deviceNames().includes(WEATHER) && host.service.deviceNames().includes(BULB), 'both devices registered and known to device-zigbee');
});

afterAll(async () => {
  await host?.close();
  uninstall?.();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Temperatures published for a device. */
function temperaturesOf(device: string): number[] {
  return events.received
    .map((r) => (r.envelope.payload as any)?.event ?? r.envelope.payload)
    .filter((e: any) => e?.deviceName === device)
    .flatMap((e: any) => e.readings.filter((r: any) => r.resourceName === 'temperature').map((r: any) => Number(r.value)));
}

/** Reports `value` (hundredths of °C) until an event with it reaches `device`. */
async function reportReaches(device: string, value: number): Promise<void> {
  await pollUntil(() => {
    network.report(WEATHER, 1, 'msTemperatureMeasurement', { measuredValue: value });
    return temperaturesOf(device).includes(value / 100);
  }, `temperature ${value / 100} reaches ${device}`);
}

async function deleteFromMetadata(name: string): Promise<void> {
  expect((await host.rest.delete(`/device/name/${name}`)).status).toBe(200);
  await pollUntil(() => !host.service.deviceNames().includes(name), `${name} gone from device-zigbee`);
}

async function addWatcher(watcher: Record<string, unknown>): Promise<void> {
  const reply = await host.rest.batch('POST', '/provisionwatcher', 'provisionWatcher', [{ serviceName: 'device-zigbee', adminState: 'UNLOCKED', ...watcher }]);
  expect(reply.body[0]).toMatchObject({ statusCode: 201 });
}

describe('provision watchers', () => {
  it('a watcher on Model, Vendor, ModelID and IEEEAddress adds a joined device that is not registered; one naming another vendor does not', async () => {
    // Joined and interviewed, but not (any more) in metadata: the user deleted both registrations.
    await deleteFromMetadata(WEATHER);
    await deleteFromMetadata(BULB);
    await addWatcher({ name: 'philips-bulbs', identifiers: { Vendor: 'Philips', Model: 'LED1545G12' }, discoveredDevice: { profileName: 'zigbee-IKEA-LED1545G12', adminState: 'UNLOCKED' } });
    await addWatcher({
      name: 'aqara-weather',
      identifiers: { Vendor: 'Aqara', Model: 'WSDCGQ11LM', ModelID: 'lumi\\.weather', IEEEAddress: '0x00158d[0-9a-f]{10}' },
      labels: ['greenhouse'],
      discoveredDevice: { profileName: 'zigbee-Aqara-WSDCGQ11LM', adminState: 'UNLOCKED' },
    });
    // POST /api/v3/discovery until the watchers (announced by metadata) have reached the service and matched.
    await pollUntil(async () => {
      expect((await host.call('POST', '/discovery')).status).toBe(202);
      return (await host.rest.get(`/device/name/${WEATHER}`)).status === 200;
    }, 'the weather sensor added by the aqara-weather watcher');
    const { device } = (await host.rest.get(`/device/name/${WEATHER}`)).body;
    expect(device).toMatchObject({
      serviceName: 'device-zigbee',
      profileName: 'zigbee-Aqara-WSDCGQ11LM',
      labels: expect.arrayContaining(['zigbee', 'Aqara', 'WSDCGQ11LM', 'greenhouse']),
      protocols: { zigbee: { IEEEAddress: WEATHER, Model: 'WSDCGQ11LM', Vendor: 'Aqara', ModelID: 'lumi.weather' } },
    });
    await pollUntil(() => host.service.deviceNames().includes(WEATHER), 'the added sensor reaches device-zigbee');
    await reportReaches(WEATHER, 2345);

    // Both watchers are loaded now; the IKEA bulb matches neither (philips-bulbs names another vendor).
    const result = await host.service.discover();
    expect(result).toMatchObject({ found: 2, existing: 1, unmatched: 1, added: [] });
    expect((await host.rest.get(`/device/name/${BULB}`)).status).toBe(404);

    // The same watcher naming the bulb's vendor adds it: the vendor was what kept it out.
    await addWatcher({ name: 'ikea-bulbs', identifiers: { Vendor: 'IKEA', Model: 'LED1545G12', IEEEAddress: BULB }, discoveredDevice: { profileName: 'zigbee-IKEA-LED1545G12', adminState: 'UNLOCKED' } });
    await pollUntil(async () => {
      await host.call('POST', '/discovery');
      return (await host.rest.get(`/device/name/${BULB}`)).status === 200;
    }, 'the bulb added by the ikea-bulbs watcher');
  });
});

describe('the name is the user\'s', () => {
  it('renamed in metadata (PATCH by id): reports reach the device under its new name', async () => {
    const { device } = (await host.rest.get(`/device/name/${WEATHER}`)).body;
    const patched = await host.rest.batch('PATCH', '/device', 'device', [{ id: device.id, name: 'greenhouse-sensor', description: 'greenhouse, north wall', labels: ['greenhouse'] }]);
    expect(patched.body[0]).toMatchObject({ statusCode: 200 });
    await pollUntil(() => host.service.deviceNames().includes('greenhouse-sensor') && !host.service.deviceNames().includes(WEATHER), 'renamed in device-zigbee');
    await reportReaches('greenhouse-sensor', 2456);
    const read = await host.call('GET', '/device/name/greenhouse-sensor/temperature');
    expect(read.status).toBe(200);
    const reading = ((await read.json()) as any).event.readings[0];
    expect(reading.deviceName).toBe('greenhouse-sensor');
    expect(Number(reading.value)).toBe(24.56);
  });

  it('deleted and added again under another name with the same IEEEAddress: reports reach the new device', async () => {
    const { device } = (await host.rest.get('/device/name/greenhouse-sensor')).body;
    await deleteFromMetadata('greenhouse-sensor');
    const { id: _id, created: _c, modified: _m, ...rest } = device;
    const added = await host.rest.batch('POST', '/device', 'device', [{ ...rest, name: 'cellar-sensor' }]);
    expect(added.body[0]).toMatchObject({ statusCode: 201 });
    await pollUntil(() => host.service.deviceNames().includes('cellar-sensor'), 'cellar-sensor in device-zigbee');
    await reportReaches('cellar-sensor', 1234);
    expect(temperaturesOf('greenhouse-sensor')).not.toContain(12.34);
  });
});
