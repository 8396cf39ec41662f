/**
 * device-zigbee on a simulated network (support/fake-adapter.ts: herdsman's
 * own Controller, interview and ZCL encoding, the real converters) with a
 * real core-metadata: coordinator state, permit join, join → interview →
 * profile registered once per model → device under its IEEE address,
 * reports → events, PUT → the right ZCL command on the right endpoint, GET →
 * convertGet, unknown attributes counted, coordinator lost → reconnect,
 * availability → operating state.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pollFor, pollUntil } from '../support/poll';
import { EventRecorder } from '../support/event-recorder';
import { startDeviceZigbee, ZigbeeHost } from './host';
import { fakeNetwork, FakeNetwork, installFakeAdapters, MODELS } from './support/fake-adapter';
import { fakeZigbee } from './support/driver';
import type { ZigbeeDriver } from '../../libs/drivers/zigbee/src/zigbee-driver';

const WEATHER = '0x00158d00012345ab';
const WEATHER2 = '0x00158d00012345ac';
const BULB = '0x000b57fffe123456';
const PLUG = '0x00158d0009876543';

let host: ZigbeeHost;
let driver: ZigbeeDriver;
let network: FakeNetwork;
let uninstall: () => void;
const events = new EventRecorder();
const dataDir = mkdtempSync(join(tmpdir(), 'zigbee-network-'));

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
const put = (path: string, body: unknown) => host.call('PUT', path, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

beforeAll(async () => {
  uninstall = installFakeAdapters();
  const id = randomBytes(4).toString('hex');
  network = fakeNetwork(id);
  driver = fakeZigbee(id, { dataDir, reconnectMin: '50ms', reconnectMax: '200ms', channel: 15 });
  host = await startDeviceZigbee(driver);
  await host.bus.subscribe(`${host.topicBase}/events/#`, events.handler);
});

afterAll(async () => {
  await host?.close();
  uninstall?.();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The readings of events published for a device, as {resourceName: value}. */
function readingsOf(device: string): Array<Record<string, string>> {
  return events.received
    .map((r) => (r.envelope.payload as any)?.event ?? r.envelope.payload)
    .filter((e: any) => e?.deviceName === device)
    .map((e: any) => Object.fromEntries(e.readings.map((r: any) => [r.resourceName, r.value])));
}

describe('coordinator', () => {
  it('comes up with firmware, channel and PAN at GET /api/v3/zigbee/coordinator', async () => {
    const state = await pollFor(async () => {
      const { body } = await json(await host.call('GET', '/zigbee/coordinator'));
      return body.coordinator.state === 'up' ? body.coordinator : undefined;
    }, 'coordinator up');
    expect(state).toMatchObject({ state: 'up', channel: 15, panId: 0x1a62, ieeeAddress: network.coordinatorIeee, firmware: { type: 'zStack3x0 (fake)' } });
  });

  it('generated a network key in the data folder (0600), gave it to the adapter, and never put it in a reply', async () => {
    const file = join(dataDir, 'network-key');
    const hex = readFileSync(file, 'utf8').trim();
    expect(hex).toMatch(/^[0-9a-f]{32}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(network.networkKey!).toString('hex')).toBe(hex);
    const text = await (await host.call('GET', '/zigbee/coordinator')).text();
    expect(text).not.toContain(hex);
    expect(statSync(join(dataDir, 'database.db')).isFile()).toBe(true);
  });
});

describe('permit join, interview, registration', () => {
  it('PUT /zigbee/permitjoin opens joining for the seconds asked, bounded; 0 closes it', async () => {
    expect((await put('/zigbee/permitjoin', { seconds: 120 })).status).toBe(200);
    expect(network.permitJoinSeconds).toBe(120);
    const { body } = await json(await host.call('GET', '/zigbee/coordinator'));
    expect(body.coordinator.permitJoin.open).toBe(true);
    const tooLong = await json(await put('/zigbee/permitjoin', { seconds: 255 }));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toContain('seconds');
    expect((await put('/zigbee/permitjoin', { seconds: 0 })).status).toBe(200);
    expect(network.permitJoinSeconds).toBe(0);
    expect((await put('/zigbee/permitjoin', { seconds: 60, via: '0x0000000000000bad' })).status).toBe(404);
  });

  it('a lumi.weather joins: interviewed by herdsman, its generated profile and the device (named by IEEE address) land in metadata', async () => {
    await put('/zigbee/permitjoin', { seconds: 120 });
    network.join(MODELS.weather(WEATHER, 0x1001));
    const device = await pollFor(async () => {
      const r = await host.rest.get(`/device/name/${WEATHER}`);
      return r.status === 200 ? r.body.device : undefined;
    }, 'weather sensor in metadata');
    expect(device).toMatchObject({ profileName: 'zigbee-Aqara-WSDCGQ11LM', serviceName: 'device-zigbee', protocols: { zigbee: { IEEEAddress: WEATHER, Model: 'WSDCGQ11LM', Vendor: 'Aqara', ModelID: 'lumi.weather' } } });
    expect((await host.rest.get('/deviceprofile/name/zigbee-Aqara-WSDCGQ11LM')).status).toBe(200);
    const joined = await json(await host.call('GET', '/zigbee/devices'));
    expect(joined.body.devices).toContainEqual(expect.objectContaining({ ieeeAddress: WEATHER, interview: 'successful', model: 'WSDCGQ11LM' }));
  });

  it('a second device of the same model adds a device, not a profile', async () => {
    network.join(MODELS.weather(WEATHER2, 0x1002));
    await pollUntil(async () => (await host.rest.get(`/device/name/${WEATHER2}`)).status === 200, 'second sensor in metadata');
    expect(host.client.profilesAdded.filter((p) => p === 'zigbee-Aqara-WSDCGQ11LM')).toHaveLength(1);
  });

  it('the bulb and the metering plug join with their own profiles', async () => {
    network.join(MODELS.bulb(BULB, 0x2001));
    network.join(MODELS.plug(PLUG, 0x3001));
    await pollUntil(async () => (await host.rest.get(`/device/name/${BULB}`)).status === 200 && (await host.rest.get(`/device/name/${PLUG}`)).status === 200, 'bulb and plug in metadata');
    expect(host.client.profilesAdded).toEqual(expect.arrayContaining(['zigbee-IKEA-LED1545G12', 'zigbee-Innr-SP_120']));
    // The definition's configure ran, as Zigbee2MQTT runs it: reporting set up on the plug.
    expect(network.sent).toContainEqual(expect.objectContaining({ ieee: PLUG, cluster: 'haElectricalMeasurement', command: 'configReport' }));
  });
});

describe('data', () => {
  it('attribute reports become readings through fromZigbee (the SDK push path)', async () => {
    await pollUntil(() => driver.stats().messages >= 0 && host.service !== undefined, 'service');
    await pollUntil(async () => {
      network.report(WEATHER, 1, 'msTemperatureMeasurement', { measuredValue: 2231 });
      return readingsOf(WEATHER).some((r) => r.temperature !== undefined);
    }, 'temperature event (the device is known to the SDK once metadata told it)');
    expect(Number(readingsOf(WEATHER).find((r) => r.temperature)!.temperature)).toBe(22.31);
    network.report(WEATHER, 1, 'msRelativeHumidity', { measuredValue: 5012 });
    await pollUntil(() => readingsOf(WEATHER).some((r) => r.humidity !== undefined), 'humidity event');
    expect(Number(readingsOf(WEATHER).find((r) => r.humidity)!.humidity)).toBe(50.12);
  });

  it('the plug reports power and energy', async () => {
    await pollUntil(async () => {
      network.report(PLUG, 1, 'haElectricalMeasurement', { activePower: 57 });
      return readingsOf(PLUG).some((r) => r.power !== undefined);
    }, 'power event');
    expect(Number(readingsOf(PLUG).find((r) => r.power)!.power)).toBe(57);
    // Until configure has read the divisor (it runs alongside registration), energy comes unscaled: report again.
    await pollUntil(() => {
      network.report(PLUG, 1, 'seMetering', { currentSummDelivered: 1234 });
      return readingsOf(PLUG).some((r) => Number(r.energy) === 12.34);
    }, `energy event (1234 / divisor 100 kWh): ${JSON.stringify(readingsOf(PLUG))}`);
  });

  it('a report with an attribute nobody converts is counted, not fatal', async () => {
    const before = driver.stats().unknown;
    network.report(WEATHER, 1, 'msTemperatureMeasurement', { '16384': { value: 5, type: 0x20 } });
    await pollUntil(() => driver.stats().unknown > before, 'counted');
    network.report(WEATHER, 1, 'msTemperatureMeasurement', { measuredValue: 1999 });
    await pollUntil(() => readingsOf(WEATHER).some((r) => Number(r.temperature) === 19.99), 'later reports still arrive');
  });

  it('PUT brightness sends genLevelCtrl moveToLevelWithOnOff to endpoint 1; PUT state sends genOnOff on', async () => {
    network.sent.length = 0;
    const res = await put(`/device/name/${BULB}/brightness`, { brightness: '200' });
    expect(res.status).toBe(200);
    expect(network.sent).toContainEqual(expect.objectContaining({ ieee: BULB, endpoint: 1, cluster: 'genLevelCtrl', command: 'moveToLevelWithOnOff', payload: expect.objectContaining({ level: 200 }) }));
    expect(network.devices.get(BULB)!.attributes['1/genLevelCtrl'].currentLevel).toBe(200);
    expect((await put(`/device/name/${BULB}/state`, { state: 'true' })).status).toBe(200);
    expect(network.sent).toContainEqual(expect.objectContaining({ cluster: 'genOnOff', command: 'on', endpoint: 1 }));
    expect((await put(`/device/name/${BULB}/color_temp`, { color_temp: '300' })).status).toBe(200);
    expect(network.sent).toContainEqual(expect.objectContaining({ cluster: 'lightingColorCtrl', command: 'moveToColorTemp', payload: expect.objectContaining({ colortemp: 300 }) }));
  });

  it('GET reads through convertGet: a genLevelCtrl read on the device, its answer through fromZigbee', async () => {
    network.devices.get(BULB)!.attributes['1/genLevelCtrl'].currentLevel = 77;
    network.sent.length = 0;
    const { status, body } = await json(await host.call('GET', `/device/name/${BULB}/brightness`));
    expect(status).toBe(200);
    expect(body.event.readings[0]).toMatchObject({ resourceName: 'brightness', value: '77' });
    expect(network.sent).toContainEqual(expect.objectContaining({ cluster: 'genLevelCtrl', command: 'read' }));
    const state = await json(await host.call('GET', `/device/name/${BULB}/state`));
    expect(state.body.event.readings[0]).toMatchObject({ resourceName: 'state', value: 'true' });
  });
});

describe('availability and reconnection', () => {
  it('an end device silent past GW_ZIGBEE_END_DEVICE_TIMEOUT goes DOWN, and UP when it reports again', async () => {
    await driver.checkAvailability(Date.now() + 26 * 3600_000);
    expect(driver.availabilityOf(WEATHER)).toBe('DOWN');
    await pollUntil(async () => (await host.rest.get(`/device/name/${WEATHER}`)).body.device.operatingState === 'DOWN', 'DOWN in metadata');
    network.report(WEATHER, 1, 'msTemperatureMeasurement', { measuredValue: 2000 });
    await pollUntil(() => driver.availabilityOf(WEATHER) === 'UP', 'UP again');
    await pollUntil(async () => (await host.rest.get(`/device/name/${WEATHER}`)).body.device.operatingState === 'UP', 'UP in metadata');
  });

  it('a silent router is pinged: no answer → DOWN, an answer → UP', async () => {
    network.devices.get(PLUG)!.online = false;
    await driver.checkAvailability(Date.now() + 11 * 60_000);
    expect(driver.availabilityOf(PLUG)).toBe('DOWN');
    network.devices.get(PLUG)!.online = true;
    await driver.checkAvailability(Date.now() + 11 * 60_000);
    expect(driver.availabilityOf(PLUG)).toBe('UP');
  });

  it('the coordinator lost: state down with the reason, reconnected after a backoff, devices served again', async () => {
    const startsBefore = network.starts;
    network.failStarts = 1;
    network.disconnect();
    const down = await pollFor(async () => {
      const { body } = await json(await host.call('GET', '/zigbee/coordinator'));
      return body.coordinator.state === 'down' ? body.coordinator : undefined;
    }, 'down', 5000);
    expect(down.reason).toEqual(expect.any(String));
    await pollUntil(async () => (await json(await host.call('GET', '/zigbee/coordinator'))).body.coordinator.state === 'up', 'up again');
    expect(network.starts).toBeGreaterThanOrEqual(startsBefore + 2);
    expect((await host.call('GET', '/ping')).status).toBe(200);
    network.devices.get(BULB)!.attributes['1/genLevelCtrl'].currentLevel = 12;
    const { body } = await json(await host.call('GET', `/device/name/${BULB}/brightness`));
    expect(body.event.readings[0].value).toBe('12');
  });
});
