/**
 * The BLE driver on real noble over fake bindings: reads (byte maps and the
 * standard GATT decoders, in request order), writes, notifications pushed
 * and resumed after a reconnect, advertised values, RSSI and connection
 * state, the connection limit, the connect timeout, and the adapter powering
 * off and on without a restart.
 */
import { Device, ErrorKind, GatewayError, ManualClock, parseDeviceProfile, settle } from '@gw/contracts';
import { requestsFor, writesFor } from '../drivers/driver-conformance';
import { BleDriver } from '../../libs/drivers/ble/src/ble-driver';
import { nobleOnBindings } from '../../libs/drivers/ble/src/noble-types';
import { FakeBindings } from './fake-bindings';
import { CUSTOM_SERVICE, RecordingContext, Rig, SENSOR_MAC, SENSOR_PROFILE, sensorPeripheral, settings, startRig } from './support';

const device = (name: string, mac = SENSOR_MAC, extra: Partial<Device> = {}): Device =>
  ({ name, adminState: 'UNLOCKED', operatingState: 'UP', serviceName: 'device-ble', profileName: SENSOR_PROFILE.name, protocols: { BLE: { MAC: mac } }, ...extra }) as Device;

const rejection = async (work: Promise<unknown>): Promise<GatewayError> => {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(err)}`);
  return err;
};

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

describe('BLE driver over fake bindings', () => {
  it('reads byte maps and standard characteristics in request order, one connection for the lot', async () => {
    rig = await startRig([sensorPeripheral()]);
    const d = device('thermo');
    await rig.driver.addDevice(d, SENSOR_PROFILE);
    const names = ['Level', 'Battery', 'Humidity', 'Status', 'Counter', 'Temperature'];
    const results = await rig.driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, names));
    expect(results.map((r, i) => [names[i], r.value])).toEqual([
      ['Level', 10],
      ['Battery', 87],
      ['Humidity', 50.04],
      ['Status', 1],
      ['Counter', 0x1234],
      ['Temperature', Math.fround(20.9)],
    ]);
    expect(rig.bindings.connects).toBe(1);
    // Still connected: the next read needs no new connection.
    await rig.driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Battery']));
    expect(rig.bindings.connects).toBe(1);
  });

  it('writes big endian Int16 with a response and a write-without-response characteristic without one, and reads back', async () => {
    rig = await startRig([sensorPeripheral()]);
    const d = device('writer');
    await rig.driver.addDevice(d, SENSOR_PROFILE);
    await rig.driver.write(d, SENSOR_PROFILE, writesFor(SENSOR_PROFILE, { Setpoint: -2, Trigger: 7 }));
    expect(rig.bindings.writes.map((w) => [w.characteristic, [...w.data], w.withoutResponse])).toEqual([
      ['fff2', [0xff, 0xfe], false],
      ['fff4', [7], true],
    ]);
    expect((await rig.driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Setpoint'])))[0].value).toBe(-2);
  });

  it('writes configuration bits and bytes past byte 0 by reading, patching and writing back, several in one write', async () => {
    rig = await startRig([sensorPeripheral()]);
    const profile = parseDeviceProfile(`
name: Bits
deviceResources:
  - { name: Enable, properties: { valueType: Bool, readWrite: RW }, attributes: { characteristicUuid: "FFF2", rawType: Uint16, bitShift: 0 } }
  - { name: Fast, properties: { valueType: Bool, readWrite: RW }, attributes: { characteristicUuid: "FFF2", rawType: Uint16, bitShift: 9 } }
  - { name: Tail, properties: { valueType: Uint8, readWrite: RW }, attributes: { characteristicUuid: "FFF1", startByte: 6 } }
`);
    const d = device('bits');
    await rig.driver.addDevice(d, profile);
    await rig.driver.write(d, profile, writesFor(profile, { Enable: true, Fast: true, Tail: 0x99 }));
    expect(rig.bindings.writes.map((w) => [w.characteristic, [...w.data]])).toEqual([
      ['fff2', [0x01, 0x02]],
      ['fff1', [0x01, 0x34, 0x12, 0x00, 0x00, 0x20, 0x99]],
    ]);
    await rig.driver.write(d, profile, writesFor(profile, { Enable: false }));
    expect([...rig.bindings.writes[2].data]).toEqual([0x00, 0x02]);
    expect((await rig.driver.read(d, profile, requestsFor(profile, ['Enable', 'Fast', 'Tail']))).map((r) => r.value)).toEqual([false, true, 0x99]);
  });

  it('refuses reading what only notifies and writing what is only read (405 naming the characteristic), keeping the connection', async () => {
    rig = await startRig([sensorPeripheral()]);
    const profile = parseDeviceProfile(`
name: Refused
deviceResources:
  - { name: Pulses, properties: { valueType: Uint32, readWrite: R }, attributes: { characteristicUuid: "FFF3", notify: true } }
  - { name: Humidity, properties: { valueType: Uint16, readWrite: RW }, attributes: { characteristicUuid: "2A6F", rawType: Uint16 } }
  - { name: Armed, properties: { valueType: Bool, readWrite: RW }, attributes: { characteristicUuid: "FFF4", bitShift: 1 } }
`);
    const d = device('refusing');
    await rig.driver.addDevice(d, profile);
    await rig.bindings.whenSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3');
    const read = await rejection(rig.driver.read(d, profile, requestsFor(profile, ['Pulses'])));
    expect([read.kind, read.message]).toEqual([
      ErrorKind.NotAllowed,
      'device "refusing" resource "Pulses": attribute characteristicUuid: characteristic fff3 cannot be read (its values come only as notifications: with notify: true they are pushed); it offers notify',
    ]);
    const write = await rejection(rig.driver.write(d, profile, writesFor(profile, { Humidity: 1 })));
    expect([write.kind, write.message]).toEqual([ErrorKind.NotAllowed, 'device "refusing" resource "Humidity": attribute characteristicUuid: characteristic 2a6f cannot be written; it offers read']);
    const patch = await rejection(rig.driver.write(d, profile, writesFor(profile, { Armed: true })));
    expect([patch.kind, patch.message]).toEqual([
      ErrorKind.NotAllowed,
      'device "refusing" resource "Armed": attribute characteristicUuid: characteristic fff4 cannot be read, and writing part of it (startByte past 0, bitShift) reads it first; it offers writeWithoutResponse',
    ]);
    expect(rig.bindings.writes).toEqual([]);
    expect(rig.bindings.readsOf.get('fff3') ?? 0).toBe(0);
    // Nothing was asked of the device: still the first connection, still subscribed.
    expect([rig.bindings.connects, rig.bindings.isSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3')]).toEqual([1, true]);
  });

  it('subscribes notify resources when the device is added and pushes notifications under the autoEvent source', async () => {
    rig = await startRig([sensorPeripheral()]);
    const d = device('notifier', SENSOR_MAC, { autoEvents: [{ sourceName: 'Pulses', interval: '1s', onChange: false }] });
    expect(rig.driver.monitorsAutoEvent(d, SENSOR_PROFILE, { sourceName: 'Pulses', interval: '1s', onChange: false })).toBe(true);
    expect(rig.driver.monitorsAutoEvent(d, SENSOR_PROFILE, { sourceName: 'Battery', interval: '1s', onChange: false })).toBe(false);
    expect(rig.driver.monitorsAutoEvent(d, SENSOR_PROFILE, { sourceName: 'Climate', interval: '1s', onChange: false })).toBe(false); // Humidity is polled
    await rig.driver.addDevice(d, SENSOR_PROFILE);
    const bindings = rig.bindings;
    await bindings.whenSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3');
    const pushed = rig.context.next((v) => v.sourceName === 'Pulses', 'Pulses');
    expect(bindings.sendNotification(SENSOR_MAC, CUSTOM_SERVICE, 'fff3', Buffer.from([0x10, 0x27, 0, 0]))).toBe(true);
    expect(await pushed).toEqual({ deviceName: 'notifier', sourceName: 'Pulses', values: [{ resourceName: 'Pulses', value: 10_000 }] });
    // Temperature notifies too (no autoEvent: pushed under its own name), decoded by the standard decoder.
    const temperature = rig.context.next((v) => v.sourceName === 'Temperature', 'Temperature');
    bindings.sendNotification(SENSOR_MAC, '181a', '2a6e', Buffer.from([0xc4, 0x09]));
    expect((await temperature).values).toEqual([{ resourceName: 'Temperature', value: 25 }]);
  });

  it('warns once about a notify resource the device cannot notify, subscribes the others and keeps the connection', async () => {
    const clock = new ManualClock();
    rig = await startRig([sensorPeripheral()], {}, { clock });
    const profile = parseDeviceProfile(`
name: PartlyNotifying
deviceResources:
  - { name: Pulses, properties: { valueType: Uint32, readWrite: R }, attributes: { characteristicUuid: "FFF3", notify: true } }
  - { name: Missing, properties: { valueType: Uint8, readWrite: R }, attributes: { characteristicUuid: "BEEF", notify: true } }
  - { name: Humidity, properties: { valueType: Uint16, readWrite: R }, attributes: { characteristicUuid: "2A6F", rawType: Uint16, notify: true } }
`);
    await rig.driver.addDevice(device('partly'), profile);
    await clock.advance(0);
    await rig.bindings.whenSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3');
    const pushed = rig.context.next((v) => v.sourceName === 'Pulses', 'Pulses');
    rig.bindings.sendNotification(SENSOR_MAC, CUSTOM_SERVICE, 'fff3', Buffer.from([3, 0, 0, 0]));
    expect((await pushed).values).toEqual([{ resourceName: 'Pulses', value: 3 }]);
    await clock.advance(60_000); // GW_BLE_RECONNECT_MAX many times over: nothing to reconnect
    expect([rig.bindings.connects, rig.driver.linkOf('partly')!.state]).toEqual([1, 'connected']);
    const warned = rig.context.warnings.filter((w) => w.startsWith('BLE resource not subscribed'));
    expect(warned).toHaveLength(2);
    expect(warned[0]).toContain('resource \\"Missing\\": attribute characteristicUuid: the device has no characteristic beef');
    expect(warned[1]).toContain('resource \\"Humidity\\": attribute notify: characteristic 2a6f neither notifies nor indicates (it offers read)');
  });

  it('applies a changed notify list by reconnecting at once, not after a backoff (nothing failed)', async () => {
    const clock = new ManualClock();
    rig = await startRig([sensorPeripheral()], { reconnectMin: '30s', reconnectMax: '60s' }, { clock });
    const only = (names: string[]) => ({ ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.filter((r) => names.includes(r.name)) });
    const d = device('changing');
    const connected = rig.context.next((v) => v.sourceName === 'Connection' && v.values[0].value === 'connected', 'connected');
    await rig.driver.addDevice(d, only(['Pulses', 'Connection']));
    await clock.advance(0);
    await connected;
    const again = rig.context.next((v) => v.sourceName === 'Connection' && v.values[0].value === 'connected', 'connected with the new list');
    await rig.driver.updateDevice(d, only(['Pulses', 'Temperature', 'Connection']));
    await rig.bindings.whenDisconnected(SENSOR_MAC);
    await clock.advance(0); // no time passes: GW_BLE_RECONNECT_MIN (30 s) is not waited
    await again;
    expect([rig.bindings.connects, rig.bindings.isSubscribed(SENSOR_MAC, '181a', '2a6e'), rig.bindings.isSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3')]).toEqual([2, true, true]);
  });

  it('reconnects with backoff after the device drops and resumes notifications', async () => {
    rig = await startRig([sensorPeripheral()]);
    const bindings = rig.bindings;
    const connected = rig.context.next((v) => v.sourceName === 'Connection' && v.values[0].value === 'connected', 'connected');
    await rig.driver.addDevice(device('dropper'), SENSOR_PROFILE);
    await connected; // subscribed, then connected
    expect(bindings.isSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3')).toBe(true);
    const states: string[] = [];
    const lost = rig.context.next((v) => v.sourceName === 'Connection' && v.values[0].value === 'disconnected', 'disconnected');
    bindings.dropConnection(SENSOR_MAC);
    await lost;
    expect(bindings.isSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3')).toBe(false);
    await rig.context.next((v) => v.sourceName === 'Connection' && v.values[0].value === 'connected', 'reconnected');
    await bindings.whenSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3');
    const pushed = rig.context.next((v) => v.sourceName === 'Pulses', 'Pulses after the reconnect');
    bindings.sendNotification(SENSOR_MAC, CUSTOM_SERVICE, 'fff3', Buffer.from([5, 0, 0, 0]));
    expect((await pushed).values).toEqual([{ resourceName: 'Pulses', value: 5 }]);
    expect(bindings.connects).toBe(2);
    states.push(...rig.context.pushed.filter((v) => v.sourceName === 'Connection').map((v) => String(v.values[0].value)));
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
  });

  it('never calls connected a connection lost as its last subscription is confirmed, and connects again', async () => {
    // The device goes away just after confirming the last subscription (Pulses): at once, or a few
    // promise hops later (while the driver is still taking the answer in), one device per timing.
    const macs = Array.from({ length: 8 }, (_, hops) => `C0:FF:EE:00:00:3${hops}`);
    const ids = macs.map((m) => m.replace(/:/g, '').toLowerCase());
    rig = await startRig(macs.map((m) => sensorPeripheral(m)), { maxConnections: macs.length });
    const bindings = rig.bindings;
    const dropped = new Set<string>();
    bindings.on('notify', (id: string, _service: string, uuid: string, on: boolean) => {
      const hops = ids.indexOf(id);
      if (hops < 0 || dropped.has(id) || uuid !== 'fff3' || !on) return;
      void (async () => {
        for (let i = 0; i < hops; i++) await null;
        bindings.dropConnection(macs[hops]);
        dropped.add(id);
      })();
    });
    const untrue: string[] = []; // "connected" reported while the device was not
    for (const [hops, mac] of macs.entries()) {
      const name = `flaky-${hops}`;
      const again = rig.context.next((v) => {
        if (v.deviceName !== name || v.sourceName !== 'Connection' || v.values[0].value !== 'connected') return false;
        if (!bindings.isConnected(mac)) untrue.push(name);
        return !bindings.isConnected(mac) || dropped.has(ids[hops]);
      }, `${name} connected after the drop`);
      await rig.driver.addDevice(device(name, mac), SENSOR_PROFILE);
      await again;
      expect([name, bindings.isConnected(mac), bindings.isSubscribed(mac, CUSTOM_SERVICE, 'fff3')]).toEqual([name, true, true]);
    }
    expect(untrue).toEqual([]);
    expect(bindings.connects).toBe(2 * macs.length);
  });

  it('waits GW_BLE_RECONNECT_MIN (±20%) before reconnecting a lost device, doubling while it stays away', async () => {
    const clock = new ManualClock();
    rig = await startRig([sensorPeripheral()], { reconnectMin: '1s', reconnectMax: '8s', connectTimeout: '500ms' }, { clock });
    const bindings = rig.bindings;
    const states: Array<[string, number]> = [];
    const push = rig.context.pushValues.bind(rig.context);
    rig.context.pushValues = (v) => {
      if (v.sourceName === 'Connection') states.push([String(v.values[0].value), clock.monotonicMs()]);
      push(v);
    };
    const only = { ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.filter((r) => ['Pulses', 'Connection'].includes(r.name)) };
    const first = rig.context.next((v) => v.sourceName === 'Connection' && v.values[0].value === 'connected', 'connected');
    await rig.driver.addDevice(device('away'), only);
    await clock.advance(0);
    await first;
    // Lost, and out of range (its connects hang until the 500 ms connect timeout).
    bindings.peripherals.get('c0ffee000001')!.connectHangs = true;
    bindings.dropConnection(SENSOR_MAC);
    await clock.advance(12_000); // three tries and their timeouts, even at +20%
    // From each disconnect to the next try: 1 s, 2 s, 4 s, each ±20%.
    const waits = states.flatMap(([state, at], i) => (state === 'disconnected' && states[i + 1]?.[0] === 'connecting' ? [states[i + 1][1] - at] : []));
    expect(waits.length).toBeGreaterThanOrEqual(3);
    for (const [i, base] of [1_000, 2_000, 4_000].entries()) expect([i, waits[i] >= base * 0.8 && waits[i] <= base * 1.2]).toEqual([i, true]);
  });

  it('reads advertised values without connecting, pushes them as heard, and reports RSSI and connection state', async () => {
    // Pushes at most every 50 ms; the last value heard in an interval is pushed at its end.
    rig = await startRig([sensorPeripheral()], { advertisementInterval: '50ms' });
    const d = device('beacon');
    const profile = { ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.filter((r) => ['BeaconTemp', 'RSSI', 'Connection'].includes(r.name)) };
    const pushed = rig.context.next((v) => v.deviceName === 'beacon' && v.sourceName === 'BeaconTemp', 'an advertised value');
    await rig.driver.addDevice(d, profile);
    expect(rig.driver.adapter.status().scanning).toBe(true);
    expect((await pushed).values).toEqual([{ resourceName: 'BeaconTemp', value: 1000 }]);
    const values = await rig.driver.read(d, profile, requestsFor(profile, ['BeaconTemp', 'RSSI', 'Connection']));
    expect(values.map((v) => v.value)).toEqual([1000, -58, 'disconnected']);
    expect(rig.bindings.connects).toBe(0);
    // A new advertisement carries a new value.
    const next = rig.context.next((v) => v.sourceName === 'BeaconTemp' && v.values[0].value === 1500, 'the new value');
    rig.bindings.advertise(SENSOR_MAC, { manufacturerData: Buffer.from([0x59, 0x00, 0x01, 0xdc, 0x05]), rssi: -70 });
    await next;
    expect((await rig.driver.read(d, profile, requestsFor(profile, ['RSSI'])))[0].value).toBe(-70);
    // Without advertised resources the scan stops.
    await rig.driver.removeDevice(d);
    expect(rig.driver.adapter.status().scanning).toBe(false);
  });

  it('runs one GATT exchange at a time per device, devices side by side, in request order', async () => {
    const other = 'C0:FF:EE:00:00:02';
    rig = await startRig([sensorPeripheral(), sensorPeripheral(other)]);
    const profile = { ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.filter((r) => ['Battery', 'Humidity', 'Setpoint'].includes(r.name)) };
    const [a, b] = [device('serial-a'), device('serial-b', other)];
    for (const d of [a, b]) await rig.driver.addDevice(d, profile);
    const release = rig.bindings.holdReads(); // every read waits: a second exchange on one device would show
    const both = rig.bindings.next('readHeld', () => rig!.bindings.maxInFlight === 2, 'a read of each device in flight');
    const work = [a, b].flatMap((d) => [
      rig!.driver.read(d, profile, requestsFor(profile, ['Battery', 'Humidity'])),
      rig!.driver.write(d, profile, writesFor(profile, { Setpoint: 7 })),
      rig!.driver.read(d, profile, requestsFor(profile, ['Setpoint'])),
    ]);
    await both;
    release();
    const results = await Promise.all(work);
    expect([rig.bindings.maxInFlightPerDevice, rig.bindings.maxInFlight]).toEqual([1, 2]);
    // The read queued after the write sees it.
    expect([results[2], results[5]].map((r) => (r as Array<{ value: unknown }>)[0].value)).toEqual([7, 7]);
  });

  it('keeps at most maxConnections devices connected, handing idle connections to waiting devices', async () => {
    const macs = ['C0:FF:EE:00:00:11', 'C0:FF:EE:00:00:12', 'C0:FF:EE:00:00:13', 'C0:FF:EE:00:00:14', 'C0:FF:EE:00:00:15'];
    rig = await startRig(macs.map((m, i) => sensorPeripheral(m, `T${i}`)), { maxConnections: 2 });
    const devices = macs.map((m, i) => device(`pooled-${i}`, m));
    const profile = { ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.filter((r) => r.name === 'Battery') };
    for (const d of devices) await rig.driver.addDevice(d, profile);
    const rounds = await Promise.all([0, 1].flatMap(() => devices.map((d) => rig!.driver.read(d, profile, requestsFor(profile, ['Battery'])))));
    expect(rounds.map((r) => r[0].value)).toEqual(new Array(10).fill(87));
    expect(rig.bindings.maxConcurrent).toBe(2);
    expect(rig.driver.slots.peak).toBe(2);
    expect(rig.driver.slots.inUse).toBeLessThanOrEqual(2);
  });

  it('hands an idle connection\'s slot to a waiting device only once it has disconnected', async () => {
    rig = await startRig([sensorPeripheral('C0:FF:EE:00:00:21', 'A'), sensorPeripheral('C0:FF:EE:00:00:22', 'B')], { maxConnections: 1 });
    const profile = { ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.filter((r) => r.name === 'Battery') };
    const [a, b] = [device('idle-a', 'C0:FF:EE:00:00:21'), device('needs-b', 'C0:FF:EE:00:00:22')];
    for (const d of [a, b]) await rig.driver.addDevice(d, profile);
    await rig.driver.read(a, profile, requestsFor(profile, ['Battery']));
    const release = rig.bindings.holdDisconnects();
    const asked = rig.bindings.next('disconnectAsked', () => true, 'idle-a asked to disconnect');
    const readB = rig.driver.read(b, profile, requestsFor(profile, ['Battery']));
    await asked;
    await settle();
    // idle-a is still connected: needs-b waits for its slot rather than making a second connection.
    expect([rig.bindings.connects, rig.bindings.isConnected('C0:FF:EE:00:00:21'), rig.driver.slots.inUse]).toEqual([1, true, 1]);
    release();
    expect((await readB)[0].value).toBe(87);
    expect([rig.bindings.connects, rig.bindings.maxConcurrent]).toEqual([2, 1]);
  });

  it('refuses a connection that does not come up within the connect timeout, and frees its slot', async () => {
    rig = await startRig([{ ...sensorPeripheral(), connectHangs: true }, sensorPeripheral('C0:FF:EE:00:00:02')], { connectTimeout: '200ms', maxConnections: 1 });
    // Polled resources only: an idle connection gives its slot away.
    const profile = { ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.filter((r) => r.name === 'Battery') };
    const d = device('hanging');
    await rig.driver.addDevice(d, profile);
    const err = await rejection(rig.driver.read(d, profile, requestsFor(profile, ['Battery'])));
    expect(err.kind).toBe(ErrorKind.Timeout);
    expect(err.message).toMatch(/connecting to C0:FF:EE:00:00:01: no answer within \d+ ms/);
    expect(rig.driver.slots.inUse).toBe(0);
    const other = device('other', 'C0:FF:EE:00:00:02');
    await rig.driver.addDevice(other, profile);
    expect((await rig.driver.read(other, profile, requestsFor(profile, ['Battery'])))[0].value).toBe(87);
    // A device never heard advertising times out naming its address.
    const ghost = device('ghost', 'C0:FF:EE:00:00:99');
    await rig.driver.addDevice(ghost, profile);
    expect((await rejection(rig.driver.read(ghost, profile, requestsFor(profile, ['Battery'])))).message).toContain('C0:FF:EE:00:00:99 was not heard advertising');
  });

  it('survives the adapter powering off and on: 503 naming the adapter meanwhile, then reconnected and notifying', async () => {
    rig = await startRig([sensorPeripheral()]);
    const bindings = rig.bindings;
    const d = device('powered');
    await rig.driver.addDevice(d, SENSOR_PROFILE);
    await bindings.whenSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3');
    const lost = rig.context.next((v) => v.sourceName === 'Connection' && v.values[0].value === 'disconnected', 'disconnected');
    bindings.powerOff();
    await lost;
    expect(rig.driver.adapter.status()).toMatchObject({ adapter: 'hci0', state: 'poweredOff', powered: false });
    const err = await rejection(rig.driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Battery'])));
    expect(err.kind).toBe(ErrorKind.ServiceUnavailable);
    expect(err.message).toContain('BLE adapter hci0 is poweredOff');
    const back = rig.context.next((v) => v.sourceName === 'Connection' && v.values[0].value === 'connected', 'reconnected');
    bindings.powerOn();
    await back;
    await bindings.whenSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3');
    const pushed = rig.context.next((v) => v.sourceName === 'Pulses', 'Pulses after power on');
    bindings.sendNotification(SENSOR_MAC, CUSTOM_SERVICE, 'fff3', Buffer.from([9, 0, 0, 0]));
    expect((await pushed).values[0].value).toBe(9);
    expect((await rig.driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Battery'])))[0].value).toBe(87);
  });

  it('pushes advertised values at most once per interval, the last one heard at its end', async () => {
    const clock = new ManualClock();
    rig = await startRig([sensorPeripheral()], { advertisementInterval: '300ms' }, { clock });
    const profile = { ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.filter((r) => r.name === 'BeaconTemp') };
    const first = rig.context.next((v) => v.sourceName === 'BeaconTemp', 'the first advertised value');
    await rig.driver.addDevice(device('throttled'), profile);
    await first;
    const pushedValues = () => rig!.context.pushed.map((v) => v.values[0].value);
    await clock.advance(100);
    for (let i = 1; i <= 5; i++) rig.bindings.advertise(SENSOR_MAC, { manufacturerData: Buffer.from([0x59, 0x00, 0x01, i, 0]) });
    await clock.advance(199); // 1 ms before the interval ends: nothing more pushed
    expect(pushedValues()).toEqual([1000]);
    await clock.advance(1);
    expect(pushedValues()).toEqual([1000, 5]); // the last one heard, at the end of the interval
    await clock.advance(300);
    rig.bindings.advertise(SENSOR_MAC, { manufacturerData: Buffer.from([0x59, 0x00, 0x01, 6, 0]) });
    expect(pushedValues()).toEqual([1000, 5, 6]); // a whole interval later: at once
  });

  it('drops a connection whose GATT exchange times out; the next read connects again', async () => {
    rig = await startRig([sensorPeripheral()], { gattTimeout: '100ms' });
    const profile = { ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.filter((r) => r.name === 'Battery') };
    const d = device('stuck');
    await rig.driver.addDevice(d, profile);
    await rig.driver.read(d, profile, requestsFor(profile, ['Battery']));
    const release = rig.bindings.holdReads();
    const err = await rejection(rig.driver.read(d, profile, requestsFor(profile, ['Battery'])));
    release();
    expect(err.kind).toBe(ErrorKind.Timeout);
    expect(err.message).toMatch(/reading 1 resource\(s\) of device "stuck" \(device "stuck"\): no answer within 100 ms/);
    await rig.bindings.whenDisconnected(SENSOR_MAC);
    expect((await rig.driver.read(d, profile, requestsFor(profile, ['Battery'])))[0].value).toBe(87);
    expect(rig.bindings.connects).toBe(2);
  });

  it('bounds the operations waiting for one device and refuses writes to what is only read', async () => {
    rig = await startRig([sensorPeripheral()], { maxQueue: 2 });
    const d = device('queued');
    await rig.driver.addDevice(d, SENSOR_PROFILE);
    await rig.driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Battery']));
    const release = rig.bindings.holdReads();
    const held = rig.bindings.next('readHeld', () => true, 'the read in flight');
    const inFlight = rig.driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Battery']));
    await held;
    const reads = [inFlight, ...[1, 2].map(() => rig!.driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Battery'])))];
    const refused = await rejection(rig.driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Battery'])));
    expect(refused.kind).toBe(ErrorKind.ServiceUnavailable);
    expect(refused.message).toContain('2 operations already wait for device "queued" (GW_BLE_MAX_QUEUE)');
    release();
    expect((await Promise.all(reads)).map((r) => r[0].value)).toEqual([87, 87, 87]);
    const notAllowed = await rejection(rig.driver.write(d, SENSOR_PROFILE, writesFor(SENSOR_PROFILE, { BeaconTemp: 1 })));
    expect([notAllowed.kind, notAllowed.message]).toEqual([ErrorKind.NotAllowed, 'device "queued" resource "BeaconTemp": source advertisement is read only']);
  });

  it('remembers a bounded number of advertising devices, in noble\'s and its bindings\' tables too', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ address: `C0:FF:EE:00:01:${i.toString(16).padStart(2, '0')}`, name: `Tag${i}`, services: {} }));
    rig = await startRig([sensorPeripheral(), ...many], {}, { maxKnownDevices: 10 });
    const profile = { ...SENSOR_PROFILE, deviceResources: SENSOR_PROFILE.deviceResources.filter((r) => r.name === 'BeaconTemp') };
    const pushed = rig.context.next((v) => v.sourceName === 'BeaconTemp', 'the beacon');
    await rig.driver.addDevice(device('tags'), profile); // keeps the scan running
    await pushed;
    for (const p of many) rig.bindings.advertise(p.address);
    expect(rig.driver.adapter.status().knownDevices).toBe(10); // heard synchronously
    const noble = (rig.driver.adapter as unknown as { noble: Record<string, Record<string, unknown>> }).noble;
    expect(Object.keys(noble._peripherals).length).toBeLessThanOrEqual(11);
    expect(Object.keys(noble._discoveredPeripheralUUids).length).toBeLessThanOrEqual(11);
    expect(Object.keys(rig.bindings._gap._discoveries).length).toBeLessThanOrEqual(11);
  });

  it('counts notifications that do not fit their attributes, logs them at most once a minute, and pushes nothing for them', async () => {
    rig = await startRig([sensorPeripheral()]);
    await rig.driver.addDevice(device('garbled'), SENSOR_PROFILE);
    const bindings = rig.bindings;
    await bindings.whenSubscribed(SENSOR_MAC, CUSTOM_SERVICE, 'fff3');
    const before = rig.context.pushed.length;
    for (let i = 0; i < 3; i++) bindings.sendNotification(SENSOR_MAC, CUSTOM_SERVICE, 'fff3', Buffer.from([1]));
    expect(rig.driver.decodeFailures).toBe(3); // notifications reach the driver synchronously
    expect(rig.context.pushed.length).toBe(before);
    const logged = rig.context.warnings.filter((w) => w.startsWith('BLE value not decoded'));
    expect(logged).toHaveLength(1); // once a minute per resource, however often the device sends
    expect(logged[0]).toMatch(/"resource":"Pulses".*sent 1 byte\(s\), the attributes need 4/);
  });

  it('discovery reads Device Information of at most GW_BLE_SCAN_DEVICE_INFO_MAX devices', async () => {
    rig = await startRig([sensorPeripheral(), sensorPeripheral('C0:FF:EE:00:00:02', 'Thermo-2')], { scanDeviceInfoMax: 1, scanDuration: '100ms' });
    const found = await rig.driver.discover();
    expect(found.map((d) => d.name).sort()).toEqual(['Thermo-1-C0FFEE000001', 'Thermo-2-C0FFEE000002']);
    expect(found.filter((d) => d.labels?.includes('ACME Sensors'))).toHaveLength(1);
    expect(rig.bindings.connects).toBe(1);
    await Promise.all([...rig.bindings.peripherals.values()].map((p) => rig!.bindings.whenDisconnected(p.address))); // closed after reading
  });

  it('discovery goes on when reading one device\'s Device Information fails in noble (a plain Error)', async () => {
    const broken = sensorPeripheral('C0:FF:EE:00:00:02', 'Thermo-2');
    broken.services['180a']['2a29'].readThrows = "Cannot read properties of undefined (reading '2a29')";
    rig = await startRig([sensorPeripheral(), broken], { scanDuration: '100ms' });
    const found = await rig.driver.discover();
    expect(found.map((d) => [d.name, d.labels])).toEqual(
      expect.arrayContaining([
        ['Thermo-1-C0FFEE000001', ['ble', 'ACME Sensors', 'TH-100']],
        ['Thermo-2-C0FFEE000002', ['ble']],
      ]),
    );
    expect(rig.context.warnings.filter((w) => w.startsWith('BLE Device Information not read'))).toEqual([
      expect.stringContaining('"device":"C0:FF:EE:00:00:02","err":"Cannot read properties of undefined'),
    ]);
  });

  it('runs at most four scans at once, refusing more with a 503', async () => {
    rig = await startRig([sensorPeripheral()]);
    const { scan, MAX_CONCURRENT_SCANS } = await import('../../libs/drivers/ble/src/discovery');
    const scans = Array.from({ length: MAX_CONCURRENT_SCANS }, () => scan(rig!.driver, { durationMs: 100 }));
    const refused = await rejection(scan(rig.driver, { durationMs: 100 }));
    expect([refused.kind, refused.message]).toEqual([ErrorKind.ServiceUnavailable, 'scanning: 4 scans are already running; try again when one has ended']);
    expect((await Promise.all(scans)).map((found) => found.map((d) => d.mac))).toEqual(new Array(4).fill([SENSOR_MAC]));
    expect((await scan(rig.driver, { durationMs: 10 })).length).toBeLessThanOrEqual(1); // room again
    expect(rig.driver.adapter.status().scanning).toBe(false);
  });

  it('opens the adapter GW_BLE_HCI_DEVICE names, and names it when it cannot (the real HCI load here: no Bluetooth)', async () => {
    const driver = new BleDriver(settings({ hciDevice: '1' }));
    await driver.initialize(new RecordingContext());
    await driver.start();
    try {
      expect(driver.adapter.status()).toMatchObject({ adapter: 'hci1', powered: false, failures: 1 });
      expect(driver.adapter.status().state).toMatch(/^unavailable: EAFNOSUPPORT/);
      const d = device('nowhere');
      await driver.addDevice(d, SENSOR_PROFILE);
      const err = await rejection(driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Battery'])));
      expect([err.kind, err.message]).toEqual([ErrorKind.ServiceUnavailable, expect.stringContaining('BLE adapter hci1 is unavailable: EAFNOSUPPORT')]);
    } finally {
      await driver.stop(true);
    }
  });

  it('names why noble could not start its bindings (bindRaw ENODEV on a wrong hciN), answers 503 with it and tries a new noble', async () => {
    const clock = new ManualClock();
    const bindings = new FakeBindings([sensorPeripheral()]);
    const enodev = () => Object.assign(new Error('bind ENODEV, No such device'), { code: 'ENODEV', errno: -19, syscall: 'bind' });
    bindings.initFailures.push(enodev(), enodev());
    let loads = 0;
    const driver = new BleDriver(settings({ hciDevice: '3' }), { clock, loadNoble: () => (loads++, nobleOnBindings(bindings)) });
    await driver.initialize(new RecordingContext());
    await driver.start();
    try {
      expect(driver.adapter.status()).toMatchObject({ adapter: 'hci3', powered: false, failures: 1, state: expect.stringMatching(/^unavailable: bind ENODEV.*no such adapter: check GW_BLE_HCI_DEVICE/) });
      const d = device('elsewhere');
      await driver.addDevice(d, SENSOR_PROFILE);
      const err = await rejection(driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Battery'])));
      expect([err.kind, err.message]).toEqual([ErrorKind.ServiceUnavailable, expect.stringContaining('BLE adapter hci3 is unavailable: bind ENODEV')]);
      // Each try is a new noble (a noble starts its bindings once): the third opens the adapter.
      await clock.advance(60); // adapterRetryMin 50 ms, +20% jitter at most
      expect(driver.adapter.status()).toMatchObject({ failures: 2, state: expect.stringMatching(/^unavailable: bind ENODEV/) });
      await clock.advance(120);
      expect(loads).toBe(3);
      expect(driver.adapter.status()).toMatchObject({ state: 'poweredOn', powered: true });
      expect((await driver.read(d, SENSOR_PROFILE, requestsFor(SENSOR_PROFILE, ['Battery'])))[0].value).toBe(87);
    } finally {
      await driver.stop(true);
    }
  });

  it('names a characteristic the device does not have', async () => {
    rig = await startRig([sensorPeripheral()]);
    const d = device('missing');
    await rig.driver.addDevice(d, SENSOR_PROFILE);
    const resource = { name: 'Nope', isHidden: false, properties: { valueType: 'Uint8' as const, readWrite: 'R' as const }, attributes: { characteristicUuid: 'beef' } };
    const err = await rejection(rig.driver.read(d, SENSOR_PROFILE, [{ resource, attributes: resource.attributes, valueType: 'Uint8' }]));
    expect(err.kind).toBe(ErrorKind.ContractInvalid);
    expect(err.message).toMatch(/device "missing" resource "Nope": attribute characteristicUuid: the device has no characteristic beef/);
  });
});
