/**
 * The device service against a real core-metadata on the in-process bus: what
 * an operator and core-command rely on, end to end through REST and the bus.
 */
import { randomUUID } from 'node:crypto';
import { parseDeviceProfile } from '@gw/contracts';
import { newEnvelope } from '@gw/messaging';
import { Collector, pollUntil } from '../messaging/helpers';
import { Gate } from './fake-driver';
import { Harness, bootHarness, testDevice } from './harness';
import { TEST_PROFILE_YAML } from './test-profile';

describe('device service (in-process bus, SQLite metadata)', () => {
  let h: Harness;
  const systemEvents = new Collector();
  const events = new Collector();

  beforeAll(async () => {
    h = await bootHarness({
      before: async (rest, serviceName) => {
        const added = await rest.batch('POST', '/device', 'device', [testDevice(serviceName, 'Preloaded')]);
        expect(added.body[0].statusCode).toBe(201);
      },
    });
    h.driver.set('Preloaded', 'Temperature', 215);
    h.driver.set('Preloaded', 'Setpoint', 20);
    await h.bus.subscribe(h.topics.join('system-events', '#'), systemEvents.handler);
    await h.bus.subscribe(h.topics.join('events', 'device', '#'), events.handler);
  });

  afterAll(async () => {
    await h?.close();
  });

  const eventsOf = (device: string, source?: string) =>
    events.received
      .filter((r) => r.topic === h.topics.deviceEvent(h.serviceName, 'Test-Sensor', device, source ?? r.topic.split('/').pop()!))
      .map((r) => r.envelope.payload as any);

  const addDevice = async (name: string, extra: Record<string, unknown> = {}) => {
    const reply = await h.rest.batch('POST', '/device', 'device', [testDevice(h.serviceName, name, extra)]);
    expect(reply.body[0]).toMatchObject({ statusCode: 201 });
    await pollUntil(() => h.service.deviceNames().includes(name), `${name} known to the device service`);
  };

  const operatingStateReported = (device: string, state: string) =>
    systemEvents.until(
      (all) => all.some((r) => r.topic.includes('/device/update/') && r.envelope.payload && (r.envelope.payload as any).details.name === device && (r.envelope.payload as any).details.operatingState === state),
      `${device} reported ${state}`,
    );

  it('registers itself in metadata with its address and keeps what an operator set', async () => {
    const reply = await h.rest.get(`/deviceservice/name/${h.serviceName}`);
    expect(reply.body.service).toMatchObject({ name: h.serviceName, baseAddress: h.service.baseAddress, adminState: 'UNLOCKED', labels: ['kept'] });
    expect(h.service.baseAddress).toBe(`http://localhost:${new URL(h.service.url).port}`);
    expect(h.driver.lifecycle.slice(0, 3)).toEqual(['initialize', 'start', 'add:Preloaded']);
  });

  it('serves the devices it found in metadata at start: GET a command returns the transformed readings', async () => {
    const reply = await h.api.get('/device/name/Preloaded/Climate');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ apiVersion: 'v3', statusCode: 200 });
    const { event } = reply.body;
    expect(event).toMatchObject({ apiVersion: 'v3', deviceName: 'Preloaded', profileName: 'Test-Sensor', sourceName: 'Climate' });
    expect(event.id).toEqual(expect.any(String));
    expect(event.origin).toBeGreaterThan(Date.now() * 1e6 - 60e9);
    expect(event.readings.map((r: any) => [r.resourceName, r.valueType])).toEqual([
      ['Temperature', 'Float32'],
      ['Setpoint', 'Float64'],
    ]);
    expect(Number(event.readings[0].value)).toBeCloseTo(21.5, 4);
    expect(event.readings[0].units).toBe('degC');
    expect(Number(event.readings[1].value)).toBe(20);
    // One driver call for both resources of the command.
    expect(h.driver.reads.at(-1)).toEqual({ device: 'Preloaded', resources: ['Temperature', 'Setpoint'] });
  });

  it('honours ds-returnevent and ds-pushevent', async () => {
    const quiet = await h.api.get('/device/name/Preloaded/Temperature?ds-returnevent=false');
    expect(quiet.status).toBe(200);
    expect(quiet.body).toEqual({ apiVersion: 'v3', statusCode: 200 });

    const before = eventsOf('Preloaded', 'Temperature').length;
    const pushed = await h.api.get('/device/name/Preloaded/Temperature?ds-pushevent=true');
    expect(pushed.status).toBe(200);
    await events.until(() => eventsOf('Preloaded', 'Temperature').length > before, 'pushed event');
    const published = eventsOf('Preloaded', 'Temperature').at(-1);
    expect(published).toMatchObject({ apiVersion: 'v3', requestId: expect.any(String) });
    expect(published.event).toEqual(pushed.body.event);

    const bad = await h.api.get('/device/name/Preloaded/Temperature?ds-pushevent=maybe');
    expect(bad.status).toBe(400);
  });

  it('writes with PUT: parses, range-checks, applies mappings and defaultValues', async () => {
    const put = await h.api.put('/device/name/Preloaded/Setpoint', { Setpoint: '42.5' });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ apiVersion: 'v3', statusCode: 200 });
    expect(h.driver.writes.at(-1)).toEqual({ device: 'Preloaded', values: { Setpoint: 42.5 } });
    const back = await h.api.get('/device/name/Preloaded/Setpoint');
    expect(Number(back.body.event.readings[0].value)).toBe(42.5);

    // SetMode: "ON" is mapped back to the device's "1"; Switch is left out and takes the operation's defaultValue.
    expect((await h.api.put('/device/name/Preloaded/SetMode', { Mode: 'ON' })).status).toBe(200);
    expect(h.driver.writes.at(-1)).toEqual({ device: 'Preloaded', values: { Mode: '1', Switch: true } });
    const mode = await h.api.get('/device/name/Preloaded/SetMode');
    expect(mode.body.event.readings.map((r: any) => r.value)).toEqual(['ON', 'true']);
  });

  it('refuses what the profile does not allow: 405 for readWrite, 400 for range and bad input, 404 for unknown names', async () => {
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['PUT', 'Temperature', { Temperature: '1' }, 405, /read-only/],
      ['PUT', 'Climate', { Setpoint: '1' }, 405, /read-only/],
      ['GET', 'Alarm', undefined, 405, /write-only/],
      ['PUT', 'Setpoint', { Setpoint: '150' }, 400, /Setpoint/],
      ['PUT', 'Setpoint', { Setpoint: '-1' }, 400, /Setpoint/],
      ['PUT', 'Setpoint', { Setpoint: 'warm' }, 400, /Setpoint/],
      ['PUT', 'Setpoint', { Setpiont: '5' }, 400, /Setpiont/],
      ['GET', 'NoSuchCommand', undefined, 404, /NoSuchCommand/],
    ];
    const writes = h.driver.writes.length;
    for (const [method, command, body, status, message] of cases) {
      const reply = await h.api.call(method, `/device/name/Preloaded/${command}`, body);
      expect({ command, status: reply.status }).toEqual({ command, status });
      expect(reply.body).toMatchObject({ apiVersion: 'v3', statusCode: status });
      expect(reply.body.message).toMatch(message);
    }
    const unknownDevice = await h.api.get('/device/name/Nobody/Climate');
    expect(unknownDevice.status).toBe(404);
    expect(h.driver.writes).toHaveLength(writes); // nothing refused reached the driver
  });

  it('answers commands over the bus on the response topic, echoing the requestId', async () => {
    const ask = (device: string, command: string, method: 'get' | 'set', payload: unknown, queryParams?: Record<string, string>) => {
      const requestID = randomUUID();
      return h.bus.request(h.topics.commandRequest(h.serviceName, device, command, method), newEnvelope(payload, { requestID, queryParams }), {
        responseTopic: h.topics.response(h.serviceName, requestID),
        timeoutMs: 5_000,
      }).then((reply) => ({ requestID, reply }));
    };

    const get = await ask('Preloaded', 'Climate', 'get', {}, { 'ds-pushevent': 'false', 'ds-returnevent': 'true' });
    expect(get.reply.requestID).toBe(get.requestID);
    expect(get.reply.errorCode).toBe(0);
    expect(get.reply.payload).toMatchObject({ apiVersion: 'v3', requestId: get.requestID, statusCode: 200, event: { deviceName: 'Preloaded', sourceName: 'Climate' } });

    const noEvent = await ask('Preloaded', 'Climate', 'get', {}, { 'ds-returnevent': 'false' });
    expect(noEvent.reply.payload).toEqual({ apiVersion: 'v3', requestId: noEvent.requestID, statusCode: 200 });

    const set = await ask('Preloaded', 'Setpoint', 'set', { Setpoint: '55' });
    expect(set.reply.errorCode).toBe(0);
    expect(set.reply.payload).toEqual({ apiVersion: 'v3', requestId: set.requestID, statusCode: 200 });
    expect(h.driver.writes.at(-1)).toEqual({ device: 'Preloaded', values: { Setpoint: 55 } });

    const missing = await ask('Nobody', 'Climate', 'get', {});
    expect(missing.reply.errorCode).toBe(1);
    expect(missing.reply.payload).toMatchObject({ apiVersion: 'v3', requestId: missing.requestID, statusCode: 404, message: expect.stringMatching(/Nobody/) });

    const readOnly = await ask('Preloaded', 'Temperature', 'set', { Temperature: '3' });
    expect(readOnly.reply.payload).toMatchObject({ statusCode: 405 });
    const outOfRange = await ask('Preloaded', 'Setpoint', 'set', { Setpoint: '1000' });
    expect(outOfRange.reply.payload).toMatchObject({ statusCode: 400 });
  });

  it('publishes autoEvents as EdgeX events with transformed readings, and follows add, update and delete in metadata', async () => {
    h.driver.set('Auto', 'Temperature', 300);
    h.driver.set('Auto', 'Setpoint', 10);
    await addDevice('Auto', { autoEvents: [{ interval: '30ms', sourceName: 'Temperature' }] });
    await events.until(() => eventsOf('Auto', 'Temperature').length >= 2, 'two autoEvents of Auto');
    const [first] = eventsOf('Auto', 'Temperature');
    expect(first).toMatchObject({ apiVersion: 'v3', requestId: expect.any(String) });
    expect(first.event).toMatchObject({ deviceName: 'Auto', profileName: 'Test-Sensor', sourceName: 'Temperature' });
    expect(first.event.readings).toHaveLength(1);
    expect(first.event.readings[0]).toMatchObject({ deviceName: 'Auto', resourceName: 'Temperature', profileName: 'Test-Sensor', valueType: 'Float32', units: 'degC' });
    expect(Number(first.event.readings[0].value)).toBeCloseTo(30, 4);

    // Update: the autoEvent now reads the Climate command.
    const patched = await h.rest.batch('PATCH', '/device', 'device', [{ name: 'Auto', autoEvents: [{ interval: '30ms', sourceName: 'Climate' }] }]);
    expect(patched.body[0].statusCode).toBe(200);
    await events.until(() => eventsOf('Auto', 'Climate').length >= 1, 'Climate autoEvent after the update');
    expect(eventsOf('Auto', 'Climate')[0].event.readings).toHaveLength(2);

    // Delete: the schedule stops, the driver is told.
    const schedules = h.service.stats().autoEvents.devices;
    expect((await h.rest.delete('/device/name/Auto')).status).toBe(200);
    await pollUntil(() => !h.service.deviceNames().includes('Auto'), 'Auto removed from the device service');
    expect(h.service.stats().autoEvents.devices).toBe(schedules - 1);
    expect(h.driver.lifecycle).toEqual(expect.arrayContaining(['add:Auto', 'update:Auto', 'remove:Auto']));
    expect((await h.api.get('/device/name/Auto/Temperature')).status).toBe(404);
  });

  it('reads everything a device has due at the same time in one driver call', async () => {
    h.driver.set('Coalesced', 'Temperature', 1);
    h.driver.set('Coalesced', 'Setpoint', 2);
    h.driver.set('Coalesced', 'Status', 'OK');
    await addDevice('Coalesced', {
      autoEvents: [
        { interval: '40ms', sourceName: 'Temperature' },
        { interval: '40ms', sourceName: 'Climate' },
        { interval: '40ms', sourceName: 'Status' },
      ],
    });
    await events.until(() => eventsOf('Coalesced', 'Status').length >= 2, 'two rounds of Coalesced');
    const reads = h.driver.reads.filter((r) => r.device === 'Coalesced');
    expect(reads[0].resources).toEqual(['Temperature', 'Temperature', 'Setpoint', 'Status']);
    expect(new Set(reads.map((r) => r.resources.length))).toEqual(new Set([4]));
    await h.rest.delete('/device/name/Coalesced');
  });

  it('skips autoEvent ticks while a slow device is still answering, instead of piling up reads', async () => {
    h.driver.set('Slow', 'Temperature', 1);
    const gate = new Gate();
    await addDevice('Slow', { autoEvents: [{ interval: '10ms', sourceName: 'Temperature' }] });
    await pollUntil(() => h.driver.readsOf('Slow') >= 1, 'first read of Slow');
    h.driver.gate = gate.promise;
    const reads = h.driver.readsOf('Slow');
    const skipped = h.service.stats().autoEvents.skipped;
    await pollUntil(() => h.driver.readsOf('Slow') === reads + 1, 'a read that hangs');
    await pollUntil(() => h.service.stats().autoEvents.skipped >= skipped + 5, 'five skipped ticks');
    // However many ticks went by, only the one read is outstanding.
    expect(h.driver.readsOf('Slow')).toBe(reads + 1);
    h.driver.gate = undefined;
    gate.open();
    const published = eventsOf('Slow', 'Temperature').length;
    await events.until(() => eventsOf('Slow', 'Temperature').length > published, 'Slow publishing again');
    await h.rest.delete('/device/name/Slow');
  });

  it('publishes onChange autoEvents only when the value moves past the threshold', async () => {
    h.driver.set('Changing', 'Setpoint', 10);
    await addDevice('Changing', { autoEvents: [{ interval: '20ms', sourceName: 'Setpoint', onChange: true, onChangeThreshold: 1 }] });
    await events.until(() => eventsOf('Changing', 'Setpoint').length >= 1, 'first onChange event');
    const reads = h.driver.readsOf('Changing');
    h.driver.set('Changing', 'Setpoint', 10.5); // within the threshold
    await pollUntil(() => h.driver.readsOf('Changing') >= reads + 4, 'four more reads');
    expect(eventsOf('Changing', 'Setpoint')).toHaveLength(1);
    h.driver.set('Changing', 'Setpoint', 12);
    await events.until(() => eventsOf('Changing', 'Setpoint').length >= 2, 'second onChange event');
    expect(Number(eventsOf('Changing', 'Setpoint')[1].event.readings[0].value)).toBe(12);
    await h.rest.delete('/device/name/Changing');
  });

  it('follows profile changes and devices moving to another service', async () => {
    const profile = { ...parseDeviceProfile(TEST_PROFILE_YAML), name: 'Test-Sensor-B' };
    expect((await h.rest.batch('POST', '/deviceprofile', 'profile', [profile])).body[0].statusCode).toBe(201);
    h.driver.set('Profiled', 'Temperature', 40);
    await addDevice('Profiled', { profileName: 'Test-Sensor-B' });
    expect(Number((await h.api.get('/device/name/Profiled/Temperature')).body.event.readings[0].value)).toBeCloseTo(4, 4);

    const rescaled = structuredClone(profile);
    rescaled.deviceResources[0].properties.scale = 0.5;
    expect((await h.rest.batch('PUT', '/deviceprofile', 'profile', [rescaled])).body[0].statusCode).toBe(200);
    await pollUntil(
      async () => Number((await h.api.get('/device/name/Profiled/Temperature')).body.event.readings[0].value) === 20,
      'the new scale applied',
    );

    await h.rest.batch('POST', '/deviceservice', 'service', [{ name: `${h.serviceName}-other`, baseAddress: 'http://other:1', adminState: 'UNLOCKED' }]);
    await h.rest.batch('PATCH', '/device', 'device', [{ name: 'Profiled', serviceName: `${h.serviceName}-other` }]);
    await pollUntil(() => !h.service.deviceNames().includes('Profiled'), 'Profiled moved away');
    expect((await h.api.get('/device/name/Profiled/Temperature')).status).toBe(404);
    expect(h.driver.lifecycle).toContain('remove:Profiled');

    // The profile changes while none of this service's devices uses it; a device added later must get the new one.
    const quartered = structuredClone(profile);
    quartered.deviceResources[0].properties.scale = 0.25;
    expect((await h.rest.batch('PUT', '/deviceprofile', 'profile', [quartered])).body[0].statusCode).toBe(200);
    h.driver.set('Profiled-2', 'Temperature', 40);
    await addDevice('Profiled-2', { profileName: 'Test-Sensor-B' });
    expect(Number((await h.api.get('/device/name/Profiled-2/Temperature')).body.event.readings[0].value)).toBeCloseTo(10, 4);
  });

  it('LOCKED devices refuse commands with 423 and run no autoEvents; unlocking resumes them', async () => {
    h.driver.set('Lockable', 'Temperature', 100);
    await addDevice('Lockable', { autoEvents: [{ interval: '20ms', sourceName: 'Temperature' }] });
    await events.until(() => eventsOf('Lockable', 'Temperature').length >= 1, 'Lockable publishing');
    const schedules = h.service.stats().autoEvents.devices;

    await h.rest.batch('PATCH', '/device', 'device', [{ name: 'Lockable', adminState: 'LOCKED' }]);
    await pollUntil(async () => (await h.api.get('/device/name/Lockable/Temperature')).status === 423, 'GET answers 423');
    expect(h.service.stats().autoEvents.devices).toBe(schedules - 1);
    const locked = await h.api.put('/device/name/Lockable/Setpoint', { Setpoint: '1' });
    expect(locked.status).toBe(423);
    expect(locked.body.message).toMatch(/LOCKED/);

    const published = eventsOf('Lockable', 'Temperature').length;
    await h.rest.batch('PATCH', '/device', 'device', [{ name: 'Lockable', adminState: 'UNLOCKED' }]);
    await events.until(() => eventsOf('Lockable', 'Temperature').length > published, 'autoEvents after unlocking');
    await h.rest.delete('/device/name/Lockable');
  });

  it('a LOCKED device service refuses every command', async () => {
    await h.rest.batch('PATCH', '/deviceservice', 'service', [{ name: h.serviceName, adminState: 'LOCKED' }]);
    try {
      await pollUntil(async () => (await h.api.get('/device/name/Preloaded/Temperature')).status === 423, 'service LOCKED: 423');
      expect((await h.api.post('/discovery', undefined)).status).toBe(423);
    } finally {
      await h.rest.batch('PATCH', '/deviceservice', 'service', [{ name: h.serviceName, adminState: 'UNLOCKED' }]);
    }
    await pollUntil(async () => (await h.api.get('/device/name/Preloaded/Temperature')).status === 200, 'service UNLOCKED again');
  });

  it('marks a device DOWN in metadata after 3 consecutive failures and UP when it answers again', async () => {
    h.driver.set('Flaky', 'Temperature', 1);
    await addDevice('Flaky');
    h.driver.failures.set('Flaky', 3);
    for (let i = 0; i < 2; i++) expect((await h.api.get('/device/name/Flaky/Temperature')).status).toBe(503);
    expect((await h.rest.get('/device/name/Flaky')).body.device.operatingState).toBe('UP');
    expect((await h.api.get('/device/name/Flaky/Temperature')).status).toBe(503);
    await operatingStateReported('Flaky', 'DOWN');
    expect((await h.rest.get('/device/name/Flaky')).body.device.operatingState).toBe('DOWN');

    // A DOWN device is still probed; the first answer brings it back.
    expect((await h.api.get('/device/name/Flaky/Temperature')).status).toBe(200);
    await operatingStateReported('Flaky', 'UP');
    expect((await h.rest.get('/device/name/Flaky')).body.device.operatingState).toBe('UP');
  });

  it('marks a device DOWN at once when a reading breaks its assertion', async () => {
    h.driver.set('Asserted', 'Status', 'FAULT');
    await addDevice('Asserted');
    const reply = await h.api.get('/device/name/Asserted/Status');
    expect(reply.status).toBe(500);
    expect(reply.body.message).toMatch(/assertion/);
    await operatingStateReported('Asserted', 'DOWN');
    h.driver.set('Asserted', 'Status', 'OK');
    expect((await h.api.get('/device/name/Asserted/Status')).status).toBe(200);
    await operatingStateReported('Asserted', 'UP');
  });

  it('publishes values the driver pushes, through the same transforms', async () => {
    await addDevice('Pusher');
    h.driver.context!.pushValues({ deviceName: 'Pusher', sourceName: 'Temperature', values: [{ resourceName: 'Temperature', value: 123 }] });
    await events.until(() => eventsOf('Pusher', 'Temperature').length >= 1, 'pushed event');
    const { event } = eventsOf('Pusher', 'Temperature')[0];
    expect(event).toMatchObject({ deviceName: 'Pusher', sourceName: 'Temperature' });
    expect(Number(event.readings[0].value)).toBeCloseTo(12.3, 4);
    // Unknown devices are dropped and counted, never thrown into the driver.
    const dropped = h.service.stats().push.dropped;
    h.driver.context!.pushValues({ deviceName: 'Ghost', sourceName: 'Temperature', values: [{ resourceName: 'Temperature', value: 1 }] });
    expect(h.service.stats().push.dropped).toBe(dropped + 1);
  });

  it('scans a device for a profile (POST /profilescan, EdgeX 4): the draft is added to metadata and the device moved to it', async () => {
    await addDevice('Scanned');
    const started = await h.api.post('/profilescan', { apiVersion: 'v3', deviceName: 'Scanned', profileName: 'Scanned-Profile', options: { resources: ['Level', 'Flow'] } });
    expect(started).toMatchObject({ status: 202, body: { statusCode: 202, message: 'Device ProfileScan is triggered' } });
    await pollUntil(async () => (await h.rest.get('/device/name/Scanned')).body.device.profileName === 'Scanned-Profile', 'the device moved to its scanned profile');
    const profile = (await h.rest.get('/deviceprofile/name/Scanned-Profile')).body.profile;
    expect(profile.deviceResources.map((r: { name: string }) => r.name)).toEqual(['Level', 'Flow']);

    expect((await h.api.post('/profilescan', { apiVersion: 'v3', deviceName: 'Nobody' })).status).toBe(404);
    expect((await h.api.post('/profilescan', { apiVersion: 'v3' })).body.message).toBe('deviceName: is required');
    expect((await h.api.delete('/profilescan/device/name/Scanned')).status).toBe(404); // none running now
    const scan = h.driver.scanProfile;
    h.driver.scanProfile = undefined;
    try {
      const refused = await h.api.post('/profilescan', { apiVersion: 'v3', deviceName: 'Scanned' });
      expect(refused).toMatchObject({ status: 501, body: { message: expect.stringMatching(/cannot scan a device for a profile/) } });
    } finally {
      h.driver.scanProfile = scan;
    }
  });

  it('gives the driver the secrets stored with POST /api/v3/secret (for ${secret:NAME/KEY} references)', async () => {
    const stored = await h.api.post('/secret', { apiVersion: 'v3', secretName: 'plc-login', secretData: [{ key: 'password', value: 'hunter2' }] });
    expect(stored.status).toBe(201);
    expect(h.driver.context!.secrets!.read('plc-login')).toEqual({ password: 'hunter2' });
  });

  it('validates devices with the driver (POST /validate/device)', async () => {
    const good = await h.api.post('/validate/device', { apiVersion: 'v3', requestId: 'b2b2b2b2-0000-4000-8000-000000000001', device: testDevice(h.serviceName, 'Candidate') });
    expect(good.status).toBe(200);
    expect(good.body).toEqual({ apiVersion: 'v3', requestId: 'b2b2b2b2-0000-4000-8000-000000000001', statusCode: 200 });
    const bad = await h.api.post('/validate/device', { apiVersion: 'v3', device: { ...testDevice(h.serviceName, 'Candidate'), protocols: { other: {} } } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/protocols\.fake\.Address/);
    const malformed = await h.api.post('/validate/device', { apiVersion: 'v3', device: { name: 'has space' } });
    expect(malformed.status).toBe(400);
  });

  it('discovers devices through the provision watchers, respecting blockingIdentifiers and existing devices', async () => {
    const watcher = {
      name: `${h.serviceName}-watcher`,
      serviceName: h.serviceName,
      labels: ['discovered'],
      identifiers: { Address: 'sim-[0-9]+' },
      blockingIdentifiers: { Address: ['sim-99'] },
      adminState: 'UNLOCKED',
      discoveredDevice: {
        profileName: 'Test-Sensor',
        adminState: 'LOCKED',
        autoEvents: [{ interval: '1m', sourceName: 'Temperature' }],
        properties: { site: 'hall-3' },
      },
    };
    expect((await h.rest.batch('POST', '/provisionwatcher', 'provisionwatcher', [watcher])).body[0].statusCode).toBe(201);
    h.driver.discovered = [
      { name: 'Sim-1', protocols: { fake: { Address: 'sim-1' } }, labels: ['from-driver'], properties: { firmware: '1.2' } },
      { name: 'Sim-99', protocols: { fake: { Address: 'sim-99' } } },
      { name: 'Other-1', protocols: { fake: { Address: 'other-1' } } },
      { name: 'Preloaded', protocols: { fake: { Address: 'sim-7' } } },
      { name: 'Sim-1000x', protocols: { fake: { Address: 'sim-1000x' } } },
    ];
    // The watcher reaches the service as a system event; discovery started before it would find no watcher.
    await pollUntil(async () => (await h.service.discover()).added.length > 0, 'discovery with the watcher');

    const sim1 = await h.rest.get('/device/name/Sim-1');
    expect(sim1.body.device).toMatchObject({
      name: 'Sim-1',
      serviceName: h.serviceName,
      profileName: 'Test-Sensor',
      adminState: 'LOCKED',
      autoEvents: [{ interval: '1m', sourceName: 'Temperature' }],
      protocols: { fake: { Address: 'sim-1' } },
      properties: { firmware: '1.2', site: 'hall-3' },
    });
    expect(sim1.body.device.labels.sort()).toEqual(['discovered', 'from-driver']);
    for (const name of ['Sim-99', 'Other-1', 'Sim-1000x']) expect((await h.rest.get(`/device/name/${name}`)).status).toBe(404);

    // A second run finds Sim-1 and Preloaded existing and adds nothing; POST /discovery answers 202 at once.
    const again = await h.service.discover();
    expect(again).toEqual({ found: 5, added: [], existing: 2, unmatched: 3, failed: 0 });
    const post = await h.api.post('/discovery', undefined);
    expect(post.status).toBe(202);
    expect(post.body).toMatchObject({ apiVersion: 'v3', statusCode: 202, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    await h.service.discover(); // joins that run: it is over before the next test
  });

  it('stops a discovery under way on DELETE /discovery/requestId/{id} (404 for another id) and adds nothing it finds', async () => {
    h.driver.holdDiscovery = true;
    h.driver.discoverySignal = undefined;
    h.driver.discovered = [{ name: 'Sim-2', protocols: { fake: { Address: 'sim-2' } } }];
    const post = await h.api.post('/discovery', undefined);
    expect(post.status).toBe(202);
    await pollUntil(() => h.driver.discoverySignal !== undefined, 'the driver searching');

    const other = await h.api.delete('/discovery/requestId/00000000-0000-4000-8000-000000000000');
    expect(other.status).toBe(404);
    expect(other.body.message).toMatch(/no discovery with request id 00000000-0000-4000-8000-000000000000 is running/);
    expect((await h.api.delete(`/discovery/requestId/${post.body.requestId}`)).status).toBe(200);
    expect(h.driver.discoverySignal!.aborted).toBe(true);
    expect((await h.rest.get('/device/name/Sim-2')).status).toBe(404);
    // Nothing runs now: DELETE /discovery has nothing to stop, and says so with a 200 as EdgeX does.
    expect((await h.api.delete('/discovery')).status).toBe(200);
    h.driver.holdDiscovery = false;
  });
});
