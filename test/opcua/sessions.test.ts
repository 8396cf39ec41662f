/**
 * Sessions and subscriptions against apps/opcua-sim: two devices on one
 * endpoint share one connection, one session and one subscription; autoEvents
 * become monitored items (the server's own counts say so) whose values reach
 * the push path; a server restart is followed by a reconnect (the project's
 * backoff) after which every item exists once again and values resume with no
 * notification pushed twice; an onChange autoEvent's threshold is the
 * server's deadband.
 */
import { AsyncValues } from '@gw/device-sdk/driver';
import { Device, DeviceProfile, parseDeviceProfile, validateDevice, validateDeviceProfile } from '@gw/contracts';
import { once } from 'node:events';
import { OpcuaDriver } from '@gw/drivers/opcua';
import type { RunningOpcuaSim } from '../../apps/opcua-sim/src/simulator';
import { RecordingContext, startedDriver, startSim, testSettings } from './support';

const PROFILE = parseDeviceProfile(`
name: OPCUA-Sessions
deviceResources:
  - { name: Counter, properties: { valueType: Int32, readWrite: R }, attributes: { nodeId: "ns=3;i=1002" } }
  - { name: Random, properties: { valueType: Float64, readWrite: R }, attributes: { nodeId: "ns=3;i=1003" } }
  - { name: Level, properties: { valueType: Float64, readWrite: RW }, attributes: { nodeId: "ns=2;s=Scalar.Double" } }
  - { name: Control, properties: { valueType: Float32, readWrite: RW }, attributes: { nodeId: "ns=2;s=Scalar.Float" } }
  - { name: Analog, properties: { valueType: Float64, readWrite: RW }, attributes: { nodeId: "ns=2;s=Scalar.Analog", deadbandPercent: 10 } }
deviceCommands:
  - { name: Both, readWrite: R, resourceOperations: [{ deviceResource: Counter }, { deviceResource: Random }] }
`);

const pushesOf = (pushed: AsyncValues[], device: string, source: string) => pushed.filter((p) => p.deviceName === device && p.sourceName === source);

describe('OPC UA sessions and subscriptions', () => {
  let sim: RunningOpcuaSim;
  let port: number;
  let driver: OpcuaDriver;
  let context: RecordingContext;
  const profile: DeviceProfile = PROFILE;
  const device = (name: string, autoEvents: Device['autoEvents']) =>
    validateDevice({ name, profileName: profile.name, serviceName: 'device-opcua', protocols: { opcua: { Endpoint: sim.endpointUrl } }, autoEvents });
  // Sessions with a connection (one whose connection was cut stays on the server until it times out).
  const serverSessions = () => sim.server.engine.getSessions().filter((s) => s.status === 'active' && !s.aborted);
  const serverItems = () => serverSessions().reduce((n, s) => n + s.currentMonitoredItemCount, 0);

  beforeAll(async () => {
    sim = await startSim({ tickMs: 100 });
    port = Number(new URL(sim.endpointUrl).port);
    ({ driver, context } = await startedDriver());
  });

  afterAll(async () => {
    await driver?.stop(false);
    await sim?.close();
  });

  it('shares one session and one subscription between two devices on one endpoint', async () => {
    const a = device('press-a', [{ sourceName: 'Both', interval: '100ms', onChange: false }]);
    const b = device('press-b', [{ sourceName: 'Random', interval: '100ms', onChange: false }]);
    await driver.addDevice(a, profile);
    await driver.addDevice(b, profile);
    expect(driver.monitorsAutoEvent(a, profile, a.autoEvents![0])).toBe(true);
    const [ra, rb] = await Promise.all([
      driver.read(a, profile, [{ resource: profile.deviceResources[0], attributes: profile.deviceResources[0].attributes!, valueType: 'Int32' }]),
      driver.read(b, profile, [{ resource: profile.deviceResources[1], attributes: profile.deviceResources[1].attributes!, valueType: 'Float64' }]),
    ]);
    expect(typeof ra[0].value).toBe('number');
    expect(typeof rb[0].value).toBe('number');
    await driver.settled();
    expect(driver.inspect()).toEqual([
      expect.objectContaining({ endpoint: sim.endpointUrl, devices: ['press-a', 'press-b'], state: 'connected', generation: 1, items: 3, subscriptions: 1 }),
    ]);
    expect(serverSessions()).toHaveLength(1);
    expect(serverItems()).toBe(3);

    // A command source is one push per publish, with both resources.
    const both = await context.until((p) => pushesOf(p, 'press-a', 'Both').find((x) => x.values.length === 2));
    expect(both.values.map((v) => v.resourceName)).toEqual(['Counter', 'Random']);
    await context.until((p) => (pushesOf(p, 'press-b', 'Random').length >= 2 ? true : undefined));
  });

  it('after a server restart reconnects, recreates every monitored item once and resumes without pushing anything twice', async () => {
    const before = context.pushed.length;
    await sim.close();
    const restartedNs = Date.now() * 1e6;
    sim = await startSim({ port, tickMs: 100 });
    // Values from the new server (stamped after the old one closed), on the same items.
    await context.until((p) => (p.slice(before).some((x) => x.sourceName === 'Both' && x.values[0].origin! > restartedNs) ? true : undefined));
    await context.until((p) => (pushesOf(p.slice(before), 'press-b', 'Random').length >= 3 ? true : undefined));
    await driver.settled();
    expect(driver.inspect()).toEqual([expect.objectContaining({ devices: ['press-a', 'press-b'], state: 'connected', generation: 2, items: 3, subscriptions: 1 })]);
    expect(serverSessions()).toHaveLength(1);
    expect(serverItems()).toBe(3);

    // No notification pushed twice: per device and source, every origin once.
    for (const [dev, source] of [['press-a', 'Both'], ['press-b', 'Random']]) {
      const origins = pushesOf(context.pushed, dev, source).map((p) => p.values.map((v) => v.origin).join('/'));
      expect({ dev, duplicates: origins.length - new Set(origins).size }).toEqual({ dev, duplicates: 0 });
    }
    expect((await driver.notificationStats())?.bad).toBe(0);
  });

  it('a LOCKED device has no monitored items; unlocked, they are back', async () => {
    const b = device('press-b', [{ sourceName: 'Random', interval: '100ms', onChange: false }]);
    await driver.updateDevice({ ...b, adminState: 'LOCKED' }, profile);
    await driver.settled();
    expect(serverItems()).toBe(2);
    const before = pushesOf(context.pushed, 'press-b', 'Random').length;
    await driver.updateDevice(b, profile);
    await driver.settled();
    expect(serverItems()).toBe(3);
    await context.until((p) => (pushesOf(p, 'press-b', 'Random').length > before ? true : undefined));
  });

  it('removing a device removes its monitored items; the last device closes the session', async () => {
    await driver.removeDevice(device('press-a', []));
    await driver.settled();
    expect(serverItems()).toBe(1);
    expect(driver.inspect()).toEqual([expect.objectContaining({ devices: ['press-b'], items: 1 })]);
    await driver.removeDevice(device('press-b', [])); // closes the session before it resolves
    expect(driver.inspect()).toEqual([]);
    expect(serverSessions()).toHaveLength(0);
  });

  it('fills the subscriptions there are when the server allows no more in a session (BadTooManySubscriptions)', async () => {
    // One item per subscription; node-opcua's server allows 10 subscriptions per session.
    const { driver: small } = await startedDriver({ GW_OPCUA_SUBSCRIPTION_SIZE: '1' });
    try {
      const types = ['Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double', 'String'];
      const many = validateDeviceProfile({
        name: 'Many',
        deviceResources: types.map((t) => ({ name: t, properties: { valueType: 'String', readWrite: 'R' }, attributes: { nodeId: `ns=2;s=Scalar.${t}` } })),
      });
      const d = validateDevice({
        name: 'many',
        profileName: 'Many',
        serviceName: 'device-opcua',
        protocols: { opcua: { Endpoint: sim.endpointUrl } },
        autoEvents: types.map((t) => ({ sourceName: t, interval: '500ms', onChange: false })),
      });
      await small.addDevice(d, many);
      // Once a read has the session, its monitored items are being placed: settled() waits for that.
      await small.read(d, many, [{ resource: many.deviceResources[0], attributes: many.deviceResources[0].attributes!, valueType: 'String' }]);
      await small.settled();
      expect(small.inspect()).toEqual([expect.objectContaining({ items: 12, subscriptions: 10 })]);
    } finally {
      await small.stop(false);
    }
  });

  it('uses an onChange autoEvent threshold as the server-side deadband', async () => {
    sim.set('ns=2;s=Scalar.Double', { dataType: 'Double', value: 0 });
    const d = device('tank', [
      { sourceName: 'Level', interval: '50ms', onChange: true, onChangeThreshold: 1 },
      // No deadband: proves the server sampled every step.
      { sourceName: 'Control', interval: '50ms', onChange: true },
    ]);
    await driver.addDevice(d, profile);
    await driver.settled();
    await context.until((p) => (pushesOf(p, 'tank', 'Level').length >= 1 ? true : undefined));
    const steps = [10, 10.5, 12, 12.9, 11.5, 14];
    for (const [i, value] of steps.entries()) {
      sim.set('ns=2;s=Scalar.Double', { dataType: 'Double', value });
      sim.set('ns=2;s=Scalar.Float', { dataType: 'Float', value: i + 1 });
      await context.until((p) => pushesOf(p, 'tank', 'Control').find((x) => x.values[0].value === i + 1));
    }
    await context.until((p) => pushesOf(p, 'tank', 'Level').find((x) => x.values[0].value === 14));
    expect(pushesOf(context.pushed, 'tank', 'Level').map((p) => p.values[0].value)).toEqual([0, 10, 12, 14]);
    await driver.removeDevice(d);
  });

  it("uses a resource's deadbandPercent as the server-side percent deadband (of the variable's EURange)", async () => {
    sim.set('ns=2;s=Scalar.Analog', { dataType: 'Double', value: 0 });
    const d = device('gauge', [
      { sourceName: 'Analog', interval: '50ms', onChange: true },
      { sourceName: 'Control', interval: '50ms', onChange: true },
    ]);
    await driver.addDevice(d, profile);
    await driver.settled();
    await context.until((p) => (pushesOf(p, 'gauge', 'Analog').length >= 1 ? true : undefined));
    // EURange 0..200, 10 %: a change must exceed 20 from the last value reported.
    const steps = [10, 25, 40, 46, 70];
    for (const [i, value] of steps.entries()) {
      sim.set('ns=2;s=Scalar.Analog', { dataType: 'Double', value });
      sim.set('ns=2;s=Scalar.Float', { dataType: 'Float', value: 100 + i });
      await context.until((p) => pushesOf(p, 'gauge', 'Control').find((x) => x.values[0].value === 100 + i));
    }
    await context.until((p) => pushesOf(p, 'gauge', 'Analog').find((x) => x.values[0].value === 70));
    expect(pushesOf(context.pushed, 'gauge', 'Analog').map((p) => p.values[0].value)).toEqual([0, 25, 46, 70]);
    await driver.removeDevice(d);
  });

  it('a connection lost while the server keeps its values: the items come back once and the unchanged value is not pushed again', async () => {
    // A driver of its own that also hears every notification before the duplicate check.
    const heard = new RecordingContext();
    const own = new OpcuaDriver(testSettings(), { onNotification: (deviceName, sourceName) => heard.pushValues({ deviceName, sourceName, values: [] }) });
    const pushed = new RecordingContext();
    await own.initialize(pushed);
    await own.start();
    try {
      sim.set('ns=2;s=Scalar.Double', { dataType: 'Double', value: 41 }); // not touched by the sim's ticks
      const d = device('steady', [{ sourceName: 'Level', interval: '100ms', onChange: false }]);
      await own.addDevice(d, profile);
      await pushed.until((p) => pushesOf(p, 'steady', 'Level').find((x) => x.values[0].value === 41));
      const levels = () => pushesOf(pushed.pushed, 'steady', 'Level').map((x) => x.values[0].value);
      const before = heard.pushed.length;

      // The server drops the connection; its session, subscription and values stay as they were.
      const [session] = serverSessions();
      session.channel!.abruptlyInterrupt();
      // The first notification after that is the new item's initial value: same stamp, status and value.
      await heard.until((p) => (p.length > before ? true : undefined));
      await new Promise((r) => setImmediate(r)); // the coalescer's flush
      expect(own.inspect()).toEqual([expect.objectContaining({ devices: ['steady'], generation: 2, items: 1 })]);
      expect(levels()).toEqual([41]);
      expect((await own.notificationStats())?.duplicates).toBe(1);

      // A real change afterwards is pushed.
      sim.set('ns=2;s=Scalar.Double', { dataType: 'Double', value: 42 });
      await pushed.until((p) => pushesOf(p, 'steady', 'Level').find((x) => x.values[0].value === 42));
      expect(levels()).toEqual([41, 42]);
    } finally {
      await own.stop(false);
    }
  });

  it('a subscription the server ends (its lifetime ran out: BadTimeout) is created again with its items', async () => {
    const d = device('lapsed', [{ sourceName: 'Random', interval: '100ms', onChange: false }]);
    await driver.addDevice(d, profile);
    await driver.settled();
    await context.until((p) => pushesOf(p, 'lapsed', 'Random')[0]);
    const [session] = serverSessions();
    const [subscription] = session.publishEngine.subscriptions;
    const recreated = once(session, 'new_subscription', { signal: AbortSignal.timeout(10_000) });
    // The server's own path for a subscription nobody published for: BadTimeout to the client, items deleted.
    Object.defineProperty(subscription, 'lifeTimeHasExpired', { get: () => true });
    await recreated;
    await driver.settled();
    expect(session.publishEngine.subscriptions.map((s) => s.id)).not.toContain(subscription.id);
    expect(serverItems()).toBe(1);
    expect(driver.inspect()).toEqual([expect.objectContaining({ devices: ['lapsed'], generation: 1, items: 1, subscriptions: 1, subscriptionsEnded: 1 })]);
    const after = pushesOf(context.pushed, 'lapsed', 'Random').length;
    await context.until((p) => (pushesOf(p, 'lapsed', 'Random').length > after ? true : undefined));
    await driver.removeDevice(d);
  });

  it('a device whose subscription the server refuses is tried again after the back-off, and placed once the server allows it', async () => {
    const capabilities = sim.server.engine.serverCapabilities;
    const allowed = capabilities.maxSubscriptionsPerSession;
    capabilities.maxSubscriptionsPerSession = 0; // every CreateSubscription: BadTooManySubscriptions
    const d = device('refused', [{ sourceName: 'Random', interval: '100ms', onChange: false }]);
    try {
      await driver.addDevice(d, profile);
      await driver.read(d, profile, [{ resource: profile.deviceResources[1], attributes: profile.deviceResources[1].attributes!, valueType: 'Float64' }]);
      await driver.settled(); // the first placement, refused
      expect(driver.inspect()).toEqual([expect.objectContaining({ devices: ['refused'], state: 'connected', items: 0, subscriptions: 0 })]);
    } finally {
      capabilities.maxSubscriptionsPerSession = allowed;
    }
    // Nothing else changes: the monitor's own retry (GW_OPCUA_RECONNECT_MIN..MAX here 100-500 ms) places it.
    await context.until((p) => pushesOf(p, 'refused', 'Random')[0]);
    await driver.settled();
    expect(driver.inspect()).toEqual([expect.objectContaining({ devices: ['refused'], items: 1, subscriptions: 1 })]);
    await driver.removeDevice(d);
  });
});
