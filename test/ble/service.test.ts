/**
 * device-ble through the device service: without Bluetooth in the kernel
 * (this machine: noble's HCI socket throws EAFNOSUPPORT) the service stays
 * up, GET /api/v3/ble/adapter says why, device commands answer 503 naming
 * the adapter, and the adapter is tried again until it comes; with one
 * (fake bindings under real noble) a scan finds devices, a profile is
 * drafted from a device's services, a provision watcher adds the device and
 * its commands read.
 */
import { stringify } from 'yaml';
import { loadDriverSettings } from '@gw/device-sdk/driver-host';
import { bleDriver } from '@gw/drivers/ble';
import { BleDriver } from '../../libs/drivers/ble/src/ble-driver';
import { nobleOnBindings } from '../../libs/drivers/ble/src/noble-types';
import { pollUntil } from '../support/poll';
import { FakeBindings } from './fake-bindings';
import { BleHost, startDeviceBle } from './host';
import { CUSTOM_SERVICE, SENSOR_MAC, SENSOR_PROFILE, sensorPeripheral, settings, waitPowered } from './support';

const json = async (res: Response) => (await res.json()) as Record<string, any>;

let host: BleHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

const profileYaml = () => stringify({ ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.map(({ isHidden: _h, ...r }) => r) });

async function addThermo(h: BleHost, name = 'thermo'): Promise<void> {
  expect((await h.rest.upload('POST', profileYaml())).body).toMatchObject({ statusCode: 201 });
  const device = { name, serviceName: 'device-ble', profileName: SENSOR_PROFILE.name, adminState: 'UNLOCKED', operatingState: 'UP', protocols: { BLE: { MAC: SENSOR_MAC } } };
  expect((await h.rest.batch('POST', '/device', 'device', [device])).body[0]).toMatchObject({ statusCode: 201 });
  await pollUntil(() => h.service.deviceNames().includes(name), `${name} reaches device-ble`);
}

describe('device-ble without a Bluetooth adapter', () => {
  it('stays up, reports the adapter unavailable with the reason, answers 503 naming it and keeps trying', async () => {
    const driver = await bleDriver.create(loadDriverSettings(bleDriver, { GW_BLE_ADAPTER_RETRY_MIN: '50ms', GW_BLE_ADAPTER_RETRY_MAX: '100ms' }) as never);
    host = await startDeviceBle(driver);
    const status = await json(await host.call('GET', '/ble/adapter'));
    expect(status).toMatchObject({ apiVersion: 'v3', statusCode: 200, adapter: 'hci0', powered: false, scanning: false, connections: { inUse: 0, max: 5 } });
    expect(status.state).toMatch(/^unavailable: EAFNOSUPPORT.*no Bluetooth socket support/);

    await addThermo(host);
    const read = await host.call('GET', '/device/name/thermo/Battery');
    expect(read.status).toBe(503);
    expect((await json(read)).message).toMatch(/BLE adapter hci0 is unavailable: EAFNOSUPPORT/);
    const scan = await host.call('POST', '/ble/scan', { body: '{}', headers: { 'content-type': 'application/json' } });
    expect(scan.status).toBe(503);
    expect((await fetch(`${host.service.url}/api/v3/ble/adapter`)).status).toBe(401);
    expect((await fetch(`${host.service.url}/api/v3/ping`)).status).toBe(200);
    // Tried again with backoff, not once.
    await pollUntil(async () => (await json(await host!.call('GET', '/ble/adapter'))).failures >= 3, 'three tries of the adapter');
  });

  it('opens the adapter once it can, without a restart, and then serves the devices', async () => {
    const bindings = new FakeBindings([sensorPeripheral()]);
    let tries = 0;
    const driver = new BleDriver(settings(), {
      loadNoble: async () => {
        if (++tries < 3) throw Object.assign(new Error('socket: Address family not supported by protocol'), { code: 'EAFNOSUPPORT' });
        return nobleOnBindings(bindings);
      },
    });
    host = await startDeviceBle(driver);
    await addThermo(host);
    await pollUntil(async () => (await json(await host!.call('GET', '/ble/adapter'))).state === 'poweredOn', 'the adapter powered on');
    expect(tries).toBe(3);
    const status = await json(await host.call('GET', '/ble/adapter'));
    expect(status).toMatchObject({ powered: true, address: '00:1a:7d:da:71:13' });
    const read = await host.call('GET', '/device/name/thermo/Battery');
    expect(read.status).toBe(200);
    expect((await json(read)).event.readings[0]).toMatchObject({ resourceName: 'Battery', value: '87', valueType: 'Uint8' });
  });
});

describe('device-ble notifications', () => {
  it('publishes notifications as events through the SDK (transforms applied) and does not poll the autoEvent on them', async () => {
    const bindings = new FakeBindings([sensorPeripheral()]);
    const driver = new BleDriver(settings(), { loadNoble: () => nobleOnBindings(bindings) });
    host = await startDeviceBle(driver);
    const events: Array<{ topic: string; readings: Array<{ resourceName: string; value: string }> }> = [];
    await host.bus.subscribe(`${host.topicBase}/events/device/device-ble/#`, (envelope, topic) => {
      events.push({ topic, readings: (envelope.payload as any).event.readings });
    });
    const profile = {
      ...SENSOR_PROFILE,
      name: 'BLE-Counter',
      deviceResources: SENSOR_PROFILE.deviceResources
        .filter((r) => r.name === 'Pulses')
        .map(({ isHidden: _h, ...r }) => ({ ...r, properties: { ...r.properties, valueType: 'Float64', scale: 0.5 }, attributes: { ...r.attributes, rawType: 'Uint32' } })),
      deviceCommands: [],
    };
    expect((await host.rest.upload('POST', stringify(profile))).body).toMatchObject({ statusCode: 201 });
    const device = {
      name: 'counter',
      serviceName: 'device-ble',
      profileName: 'BLE-Counter',
      adminState: 'UNLOCKED',
      operatingState: 'UP',
      protocols: { BLE: { MAC: SENSOR_MAC } },
      autoEvents: [{ sourceName: 'Pulses', interval: '50ms', onChange: false }],
    };
    expect((await host.rest.batch('POST', '/device', 'device', [device])).body[0]).toMatchObject({ statusCode: 201 });
    await bindings.whenSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3');
    bindings.sendNotification(SENSOR_MAC, CUSTOM_SERVICE, 'fff3', Buffer.from([10, 0, 0, 0]));
    bindings.sendNotification(SENSOR_MAC, CUSTOM_SERVICE, 'fff3', Buffer.from([11, 0, 0, 0]));
    await pollUntil(() => events.length >= 2, 'two events');
    expect(events.map((e) => e.topic)).toEqual(new Array(2).fill(`${host.topicBase}/events/device/device-ble/BLE-Counter/counter/Pulses`));
    expect(events.map((e) => Number(e.readings[0].value))).toEqual([5, 5.5]);
    expect(bindings.readsOf.get('fff3') ?? 0).toBe(0); // pushed, never polled
  });
});

describe('device-ble discovery', () => {
  it('scans with filters, drafts a profile from the services, and a provision watcher adds the device whose commands read', async () => {
    const bindings = new FakeBindings([
      sensorPeripheral(),
      { ...sensorPeripheral('C0:FF:EE:00:00:02', 'Other'), rssi: -95 },
      { address: 'C0:FF:EE:00:00:03', name: 'Thermo-far', rssi: -99, services: {} },
    ]);
    const driver = new BleDriver(settings({ scanDuration: '200ms', scanMinRssi: -90 }), { loadNoble: () => nobleOnBindings(bindings) });
    host = await startDeviceBle(driver);
    await waitPowered(driver);

    const scanned = await json(await host.call('POST', '/ble/scan', { body: JSON.stringify({ duration: '150ms', nameRegex: 'Thermo-.*', minRssi: -100 }), headers: { 'content-type': 'application/json' } }));
    expect(scanned.devices.map((d: { mac: string }) => d.mac).sort()).toEqual(['C0:FF:EE:00:00:01', 'C0:FF:EE:00:00:03']);
    expect(scanned.devices.find((d: { mac: string }) => d.mac === SENSOR_MAC)).toMatchObject({ name: 'Thermo-1', rssi: -58, serviceUuids: ['181a'], manufacturerId: 0x59 });
    const bad = await host.call('POST', '/ble/scan', { body: JSON.stringify({ duration: '5m' }), headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).message).toContain('duration');

    const services = await json(await host.call('GET', `/ble/services?mac=${SENSOR_MAC}`));
    expect(services.services.map((s: { uuid: string }) => s.uuid)).toContain('180f');

    const connectsBefore = bindings.connects;
    const draft = await host.call('GET', `/ble/profiledraft?mac=${SENSOR_MAC}&name=Thermo-Draft`);
    expect(draft.status).toBe(200);
    expect(bindings.connects - connectsBefore).toBe(1); // services and Device Information over one connection
    const yaml = await draft.text();
    expect(yaml).toContain('characteristicUuid: 2a19');
    const uploaded = await host.rest.upload('POST', yaml, 'draft.yaml');
    expect(uploaded.body).toMatchObject({ statusCode: 201 });
    const stored = (await host.rest.get('/deviceprofile/name/Thermo-Draft')).body.profile;
    expect(stored).toMatchObject({ manufacturer: 'ACME Sensors', model: 'TH-100' });
    expect(stored.deviceResources.find((r: { name: string }) => r.name === 'BatteryLevel')).toMatchObject({ properties: { valueType: 'Uint8', units: '%' } });

    const watcher = {
      name: 'acme-thermometers',
      serviceName: 'device-ble',
      identifiers: { Name: 'Thermo-.*', Manufacturer: 'ACME.*', ServiceUUIDs: '.*181a.*' },
      adminState: 'UNLOCKED',
      discoveredDevice: { profileName: 'Thermo-Draft', adminState: 'UNLOCKED' },
    };
    expect((await host.rest.batch('POST', '/provisionwatcher', 'provisionwatcher', [watcher])).body[0]).toMatchObject({ statusCode: 201 });
    const result = await host.service.discover();
    expect(result.found).toBe(1); // Thermo-far is below GW_BLE_SCAN_MIN_RSSI, Other too
    const name = 'Thermo-1-C0FFEE000001';
    await pollUntil(() => host!.service.deviceNames().includes(name), 'the discovered device reaches device-ble');
    const device = (await host.rest.get(`/device/name/${name}`)).body.device;
    expect(device).toMatchObject({ profileName: 'Thermo-Draft', labels: expect.arrayContaining(['ble', 'ACME Sensors', 'TH-100']), protocols: { BLE: { MAC: SENSOR_MAC, Name: 'Thermo-1', Manufacturer: 'ACME Sensors' } } });
    const read = await host.call('GET', `/device/name/${name}/BatteryLevel`);
    expect(read.status).toBe(200);
    expect((await json(read)).event.readings[0]).toMatchObject({ value: '87' });
  });
});
