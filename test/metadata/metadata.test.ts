import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'yaml';
import { DeviceProfile, parseDeviceList, parseDeviceProfile, parseProvisionWatcher } from '@gw/contracts';
import { MessageBus, createMessageBus } from '@gw/messaging';
import { fixture } from '../../libs/contracts/fixtures';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { loadMetadataConfig } from '../../apps/metadata/src/config';
import { countBlockOperations } from '../../apps/metadata/src/domain/profile-limits';
import { TestDatabase, testDatabases, testSqlite } from '../support/database';
import { MetadataClient, withoutServerFields } from './metadata-client';
import { EventRecorder } from '../support/event-recorder';
import { quietLogger } from '../support/quiet-logger';

const SERVICE = { name: 'device-demo', baseAddress: 'http://localhost:59999', adminState: 'UNLOCKED' };

interface Harness {
  metadata: RunningMetadata;
  client: MetadataClient;
}

async function boot(db: TestDatabase, bus: MessageBus, folders = {}): Promise<Harness> {
  const metadata = await startMetadata(
    { host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, folders, topicBase: 'edgex' },
    { bus, logger: quietLogger() },
  );
  return { metadata, client: new MetadataClient(metadata.url) };
}

describe.each(testDatabases())('metadata on $name', (db) => {
  let bus: MessageBus;
  let h: Harness;
  const events = new EventRecorder();

  beforeAll(async () => {
    bus = createMessageBus({ type: 'memory' });
    await bus.connect();
    await bus.subscribe('edgex/system-events/#', events.handler);
    h = await boot(db, bus);
  });

  afterAll(async () => {
    await h?.metadata.close();
    await bus?.close();
    await db.cleanup();
  });

  const api = () => h.client;

  it('stores EdgeX-shaped profiles (YAML upload and JSON), devices and watchers and returns them unchanged', async () => {
    const service = await api().batch('POST', '/deviceservice', 'service', [SERVICE]);
    expect(service.status).toBe(207);
    expect(service.body[0]).toMatchObject({ apiVersion: 'v3', statusCode: 201 });
    expect(service.body[0].id).toEqual(expect.any(String));

    const yaml = fixture('demo-actuator.profile.yaml');
    const uploaded = await api().upload('POST', yaml, 'demo-actuator.profile.yaml');
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ apiVersion: 'v3', statusCode: 201, id: expect.any(String) });

    const modbus = parseDeviceProfile(fixture('boiler.modbus.profile.yaml'));
    const added = await api().batch('POST', '/deviceprofile', 'profile', [modbus]);
    expect(added.body.map((r) => r.statusCode)).toEqual([201]);

    const demo = await api().get('/deviceprofile/name/Demo-Actuator');
    expect(demo.status).toBe(200);
    expect(withoutServerFields(demo.body.profile)).toEqual(parseDeviceProfile(yaml));
    expect(demo.body.profile.id).toBe(uploaded.body.id);
    const boiler = await api().get('/deviceprofile/name/Boiler-Modbus-Profile');
    expect(withoutServerFields(boiler.body.profile)).toEqual(modbus);

    const devices = parseDeviceList(fixture('demo-actuator.devices.yaml')).map((d) => ({ ...d, serviceName: SERVICE.name }));
    const addedDevices = await api().batch('POST', '/device', 'device', devices);
    expect(addedDevices.body.map((r) => r.statusCode)).toEqual([201, 201]);
    for (const device of devices) {
      const got = await api().get(`/device/name/${device.name}`);
      expect(withoutServerFields(got.body.device)).toEqual(device);
      const byId = await api().get(`/device/id/${got.body.device.id}`);
      expect(byId.body.device).toEqual(got.body.device);
    }

    const watcher = parseProvisionWatcher(fixture('demo-actuator.provision-watcher.yaml'));
    // The key as device-sdk-go sends it (go-mod-core-contracts: provisionWatcher); lower case works too.
    const addedWatcher = await api().batch('POST', '/provisionwatcher', 'provisionWatcher', [watcher]);
    expect(addedWatcher.body.map((r) => r.statusCode)).toEqual([201]);
    const gotWatcher = await api().get(`/provisionwatcher/name/${watcher.name}`);
    expect(withoutServerFields(gotWatcher.body.provisionWatcher)).toEqual(watcher);
  });

  it('answers 400 naming the field and line of bad YAML, and keeps serving', async () => {
    const cases: Array<{ yaml: string; expected: RegExp }> = [
      { yaml: 'name: Bad-Indent\ndeviceResources:\n  - name: A\n   properties: {}\n', expected: /line 4|:4\b/ },
      {
        yaml: 'name: Bad-Type\ndeviceResources:\n  - name: A\n    properties:\n      valueType: Float128\n      readWrite: R\n',
        expected: /:5: deviceResources\[0\]\.properties\.valueType/,
      },
      {
        yaml: [
          'name: Bad-Command',
          'deviceResources:',
          '  - name: A',
          '    properties: { valueType: Int16, readWrite: R }',
          'deviceCommands:',
          '  - name: C',
          '    readWrite: R',
          '    resourceOperations:',
          '      - { deviceResource: Missing }',
        ].join('\n'),
        expected: /:9: deviceCommands\[0\]\.resourceOperations\[0\]\.deviceResource/,
      },
      {
        yaml: [
          'name: Bad-Duplicate',
          'deviceResources:',
          '  - name: A',
          '    properties: { valueType: Int16, readWrite: R }',
          '  - name: A',
          '    properties: { valueType: Int16, readWrite: R }',
        ].join('\n'),
        expected: /:5: deviceResources\[1\]\.name/,
      },
    ];
    for (const { yaml, expected } of cases) {
      const reply = await api().upload('POST', yaml, 'bad.yaml');
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ apiVersion: 'v3', statusCode: 400 });
      expect(reply.body.message).toMatch(/bad\.yaml/);
      expect(reply.body.message).toMatch(expected);
    }
    const badDuration = await api().batch('POST', '/device', 'device', [
      { name: 'Bad-Interval', serviceName: SERVICE.name, profileName: 'Demo-Actuator', protocols: {}, autoEvents: [{ interval: '20 seconds', sourceName: 'Relay' }] },
    ]);
    expect(badDuration.body[0].statusCode).toBe(400);
    expect(badDuration.body[0].message).toMatch(/\[0\]\.device\.autoEvents\[0\]\.interval/);

    expect((await api().get('/ping')).status).toBe(200);
    expect((await api().get('/deviceprofile/name/Bad-Type')).status).toBe(404);
  });

  it('answers each item of a batch on its own (207) and refuses unknown profiles and services', async () => {
    const reply = await api().batch('POST', '/device', 'device', [
      { name: 'Good-One', serviceName: SERVICE.name, profileName: 'Demo-Actuator', protocols: { other: { Address: 'x' } }, labels: ['line-2'] },
      { name: 'No-Profile', serviceName: SERVICE.name, profileName: 'Nope', protocols: {} },
      { name: 'No-Service', serviceName: 'device-nope', profileName: 'Demo-Actuator', protocols: {} },
      { name: 'Good-One', serviceName: SERVICE.name, profileName: 'Demo-Actuator', protocols: {} },
      { name: 'Bad Name', serviceName: SERVICE.name, protocols: {} },
      { name: 'Wrong-Source', serviceName: SERVICE.name, profileName: 'Demo-Actuator', protocols: {}, autoEvents: [{ interval: '1s', sourceName: 'Nothing' }] },
    ]);
    expect(reply.status).toBe(207);
    expect(reply.body.map((r) => r.statusCode)).toEqual([201, 404, 404, 409, 400, 400]);
    expect(reply.body[1].message).toMatch(/device profile 'Nope' does not exist/);
    expect(reply.body[2].message).toMatch(/device service 'device-nope' does not exist/);
    expect(reply.body[5].message).toMatch(/autoEvents\[0\]\.sourceName/);

    // requestId as EdgeX validates it: empty or a UUID; anything else refuses the item and is not echoed.
    const ids = await api().call(
      'POST',
      '/device',
      [
        { apiVersion: 'v3', requestId: 'not-a-uuid', device: { name: 'Id-Bad', serviceName: SERVICE.name, profileName: 'Demo-Actuator', protocols: {} } },
        { apiVersion: 'v3', requestId: { an: 'object' }, device: { name: 'Id-Object', serviceName: SERVICE.name, profileName: 'Demo-Actuator', protocols: {} } },
        { apiVersion: 'v3', requestId: '5b2f64c4-6b86-4a66-a1a6-7f1b1a7c3f01', device: { name: 'Id-Good', serviceName: SERVICE.name, profileName: 'Demo-Actuator', protocols: {} } },
      ],
    );
    expect(ids.body.map((r: { statusCode: number }) => r.statusCode)).toEqual([400, 400, 201]);
    expect(ids.body[0]).not.toHaveProperty('requestId');
    expect(ids.body[0].message).toMatch(/^\[0\]\.requestId: must be empty or a UUID, got "not-a-uuid"/);
    expect(ids.body[1].message).toMatch(/\[1\]\.requestId: must be empty or a UUID, got object/);
    expect(ids.body[2].requestId).toBe('5b2f64c4-6b86-4a66-a1a6-7f1b1a7c3f01');
    expect((await api().call('DELETE', '/device/name/Id-Good')).status).toBe(200);

    const notArray = await api().post('/device', { device: {} });
    expect(notArray.status).toBe(400);
    const malformed = await api().call('POST', '/device', '[{"apiVersion": "v3", "device": {', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(400);
  });

  it('reads JSON as EdgeX does (keys in any case, unknown fields ignored) and warns an uploader of ignored YAML keys', async () => {
    // A watcher as device-sdk-go sends it: Go field names, capitalised, and a field we do not know.
    const watcher = await api().call('POST', '/provisionwatcher', [
      {
        ApiVersion: 'v3',
        ProvisionWatcher: {
          Name: 'Go-Shaped-Watcher',
          ServiceName: SERVICE.name,
          Identifiers: { Address: '10\\.0\\..*' },
          DiscoveredDevice: { ProfileName: 'Demo-Actuator', Properties: { Line: '2' } },
          Owner: 'not an EdgeX field',
        },
      },
    ]);
    expect(watcher.body.map((r: { statusCode: number }) => r.statusCode)).toEqual([201]);
    const stored = await api().get('/provisionwatcher/name/Go-Shaped-Watcher');
    expect(stored.body.provisionWatcher).toMatchObject({ serviceName: SERVICE.name, discoveredDevice: { profileName: 'Demo-Actuator', properties: { Line: '2' } } });
    expect(stored.body.provisionWatcher).not.toHaveProperty('Owner');
    expect((await api().call('DELETE', '/provisionwatcher/name/Go-Shaped-Watcher')).status).toBe(200);

    // YAML keys match exactly, as yaml.v3 does; one no profile has is ignored, and the answer says so.
    const typo = fixture('demo-actuator.profile.yaml').replace('name: "Demo-Actuator"', 'name: "Typo-Actuator"').replace(/^(\s+)valueType: /m, '$1valueTyp: Bool\n$1valueType: ');
    const uploaded = await api().upload('POST', typo, 'typo.profile.yaml');
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.message).toMatch(/^ignored unknown field\(s\), as EdgeX does \(a typo\?\): deviceResources\[0\]\.properties\.valueTyp$/);
    expect((await api().call('DELETE', '/deviceprofile/name/Typo-Actuator')).status).toBe(200);
  });

  it('refuses over-long names and names with control, bidi or lone-surrogate characters: 400 naming the field and why', async () => {
    const device = (name: string) => ({ name, serviceName: SERVICE.name, profileName: 'Demo-Actuator', protocols: {} });
    const devices = await api().batch('POST', '/device', 'device', [
      device('x'.repeat(1_000_000)),
      device('Bell\u0007'),
      device('nul\u0000'),
      device('invoice\u202Etxt.exe'),
      device('lone\uD800'),
      device('d'.repeat(255)),
    ]);
    expect(devices.status).toBe(207);
    expect(devices.body.map((r) => r.statusCode)).toEqual([400, 400, 400, 400, 400, 201]);
    expect(devices.body[0].message).toMatch(/\[0\]\.device\.name: at most 255 characters/);
    expect(devices.body[1].message).toMatch(/\[1\]\.device\.name: contains a control character \(U\+0007\) at position 5/);
    expect(devices.body[2].message).toMatch(/device\.name: contains a control character \(U\+0000\) at position 4/);
    expect(devices.body[3].message).toMatch(/device\.name: contains a bidirectional control character \(U\+202E\) at position 8/);
    expect(devices.body[4].message).toMatch(/device\.name: contains an unpaired surrogate \(U\+D800\) at position 5/);
    expect(devices.body[0].message.length).toBeLessThan(1000);

    const services = await api().batch('POST', '/deviceservice', 'service', [{ ...SERVICE, name: 'svc\u0085' }]);
    expect(services.body[0].statusCode).toBe(400);
    expect(services.body[0].message).toMatch(/service\.name: contains a control character \(U\+0085\)/);

    const profile = { name: 'Bidi\u2066', deviceResources: [{ name: 'A', properties: { valueType: 'Int16', readWrite: 'R' } }] };
    const profiles = await api().batch('POST', '/deviceprofile', 'profile', [profile]);
    expect(profiles.body[0].statusCode).toBe(400);
    expect(profiles.body[0].message).toMatch(/profile\.name: contains a bidirectional control character \(U\+2066\)/);

    const uploaded = await api().upload('POST', ['name: Upload-Bad', 'deviceResources:', `  - name: "${'r'.repeat(300)}"`, '    properties: { valueType: Int16, readWrite: R }'].join('\n'), 'long.yaml');
    expect(uploaded.status).toBe(400);
    expect(uploaded.body.message).toMatch(/long\.yaml:3: deviceResources\[0\]\.name: at most 255 characters/);

    const watchers = await api().batch('POST', '/provisionwatcher', 'provisionwatcher', [
      { name: 'Watch\u007F', identifiers: { Address: 'x' }, serviceName: SERVICE.name, discoveredDevice: { profileName: 'Demo-Actuator' } },
    ]);
    expect(watchers.body[0].statusCode).toBe(400);
    expect(watchers.body[0].message).toMatch(/name: contains a control character \(U\+007F\) at position 6/);

    expect((await api().get('/device/all?limit=1000')).body.devices.map((d: { name: string }) => d.name)).not.toContain('Bell\u0007');
    expect((await api().delete(`/device/name/${'d'.repeat(255)}`)).status).toBe(200);
  });

  it('keeps referential integrity: profiles and services in use cannot be deleted', async () => {
    expect((await api().delete('/deviceprofile/name/Demo-Actuator')).status).toBe(409);
    expect((await api().delete('/deviceservice/name/device-demo')).status).toBe(409);
    expect((await api().delete('/deviceprofile/name/Demo-Actuator/resource/Relay')).status).toBe(409);

    // Removing a source that a device's autoEvent reads is refused too.
    const profile = (await api().get('/deviceprofile/name/Demo-Actuator')).body.profile;
    const withoutSnapshot = { ...profile, deviceResources: profile.deviceResources.filter((r: { name: string }) => r.name !== 'Snapshot') };
    withoutSnapshot.deviceCommands = profile.deviceCommands.filter((c: { resourceOperations: Array<{ deviceResource: string }> }) =>
      c.resourceOperations.every((op) => op.deviceResource !== 'Snapshot'),
    );
    const update = await api().batch('PUT', '/deviceprofile', 'profile', [withoutSnapshot]);
    expect(update.body[0].statusCode).toBe(409);
    expect(update.body[0].message).toMatch(/Demo-Actuator01/);

    expect((await api().delete('/deviceprofile/name/Boiler-Modbus-Profile')).status).toBe(200);
    expect((await api().get('/deviceprofile/name/Boiler-Modbus-Profile')).status).toBe(404);
    expect((await api().delete('/deviceprofile/name/Boiler-Modbus-Profile')).status).toBe(404);
  });

  it('refuses patches that name nothing or carry the wrong shapes, changing nothing', async () => {
    const before = (await api().get('/deviceprofile/name/Demo-Actuator')).body.profile;
    const nameless = await api().batch('PATCH', '/deviceprofile/basicinfo', 'basicinfo', [{ description: 'hijacked' }]);
    expect(nameless.body[0].statusCode).toBe(400);
    expect(nameless.body[0].message).toMatch(/\[0\]\.basicinfo\.name/);
    const badTags = await api().patch('/deviceprofile/name/Demo-Actuator/tags', { deviceResources: { Relay: 1 } });
    expect(badTags.status).toBe(400);
    expect(badTags.body.message).toMatch(/body\.deviceResources/);
    const nameless2 = await api().batch('PATCH', '/device', 'device', [{ adminState: 'LOCKED' }]);
    expect(nameless2.body[0].statusCode).toBe(400);
    expect((await api().get('/deviceprofile/name/Demo-Actuator')).body.profile).toEqual(before);
  });

  it('answers concurrent adds of one name with exactly one 201 and 409s, never a 500', async () => {
    const attempts = Array.from({ length: 12 }, () =>
      api().batch('POST', '/deviceservice', 'service', [{ name: 'device-race', baseAddress: 'http://x', adminState: 'UNLOCKED' }]),
    );
    const statuses = (await Promise.all(attempts)).map((r) => r.body[0].statusCode).sort();
    expect(statuses).toEqual([201, ...Array(11).fill(409)]);
    expect((await api().delete('/deviceservice/name/device-race')).status).toBe(200);
  });

  it('pages, filters by label and reference, and answers 416 past the end', async () => {
    const all = await api().get('/device/all?limit=-1');
    expect(all.body.totalCount).toBe(3);
    expect(all.body.devices).toHaveLength(3);
    const names = all.body.devices.map((d: { name: string }) => d.name);

    const second = await api().get('/device/all?offset=1&limit=1');
    expect(second.body).toMatchObject({ totalCount: 3 });
    expect(second.body.devices.map((d: { name: string }) => d.name)).toEqual([names[1]]);

    const labelled = await api().get('/device/all?labels=line-2,bench');
    expect(labelled.body.devices.map((d: { name: string }) => d.name).sort()).toEqual(['Demo-Actuator01', 'Good-One']);

    expect((await api().get('/device/profile/name/Demo-Actuator')).body.totalCount).toBe(2);
    expect((await api().get('/device/service/name/device-demo')).body.totalCount).toBe(3);
    expect((await api().get('/device/all?offset=3')).status).toBe(416);
    expect((await api().get('/device/all?limit=abc')).status).toBe(400);

    const byMaker = await api().get('/deviceprofile/manufacturer/Gateway%20Demo%20Works/model/GA-7');
    expect(byMaker.body.profiles.map((p: { name: string }) => p.name)).toEqual(['Demo-Actuator']);
    const basic = await api().get('/deviceprofile/basicinfo/all');
    expect(basic.body.profiles[0]).not.toHaveProperty('deviceResources');
    expect((await api().get('/device/check/name/Good-One')).status).toBe(200);
    expect((await api().get('/device/check/name/Nobody')).status).toBe(404);
  });

  it('patches devices, profile parts and watchers, and publishes a system event for every change', async () => {
    events.clear();
    const patched = await api().batch('PATCH', '/device', 'device', [{ name: 'Good-One', adminState: 'LOCKED' }]);
    expect(patched.body.map((r) => r.statusCode)).toEqual([200]);
    expect((await api().get('/device/name/Good-One')).body.device.adminState).toBe('LOCKED');

    const resource = { name: 'Humidity', properties: { valueType: 'Float32', readWrite: 'R', units: '%' } };
    const addedResource = await api().call('POST', '/deviceprofile/resource', [{ apiVersion: 'v3', profileName: 'Demo-Actuator', resource }]);
    expect(addedResource.body.map((r: { statusCode: number }) => r.statusCode)).toEqual([201]);
    expect((await api().get('/deviceresource/profile/Demo-Actuator/resource/Humidity')).body.resource).toMatchObject(resource);

    const basic = await api().batch('PATCH', '/deviceprofile/basicinfo', 'basicinfo', [{ name: 'Demo-Actuator', model: 'GA-8' }]);
    expect(basic.body[0].statusCode).toBe(200);
    expect((await api().get('/deviceprofile/name/Demo-Actuator')).body.profile.model).toBe('GA-8');

    await api().delete('/device/name/Good-One');
    await events.waitFor(4);
    expect(events.topics()).toEqual([
      'edgex/system-events/core-metadata/device/update/device-demo/Demo-Actuator',
      'edgex/system-events/core-metadata/deviceprofile/update/core-metadata/Demo-Actuator',
      'edgex/system-events/core-metadata/deviceprofile/update/core-metadata/Demo-Actuator',
      'edgex/system-events/core-metadata/device/delete/device-demo/Demo-Actuator',
    ]);
    expect(events.received[0].envelope.payload).toMatchObject({ type: 'device', action: 'update', source: 'core-metadata', details: { name: 'Good-One', adminState: 'LOCKED' } });
  });
});

describe('metadata resource folders', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('loads profiles, devices and watchers at boot idempotently; devices wait for their device service', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gw-md-folders-'));
    dirs.push(root);
    mkdirSync(join(root, 'profiles'));
    mkdirSync(join(root, 'devices', 'device-demo'), { recursive: true });
    mkdirSync(join(root, 'watchers'));
    writeFileSync(join(root, 'profiles', 'demo.yaml'), fixture('demo-actuator.profile.yaml'));
    writeFileSync(join(root, 'profiles', 'broken.yaml'), 'name: Broken\ndeviceResources: [\n');
    writeFileSync(join(root, 'devices', 'device-demo', 'demo.yaml'), fixture('demo-actuator.devices.yaml'));
    writeFileSync(join(root, 'watchers', 'demo.yaml'), fixture('demo-actuator.provision-watcher.yaml'));
    const folders = { profilesDir: join(root, 'profiles'), devicesDir: join(root, 'devices'), provisionWatchersDir: join(root, 'watchers') };

    const [db] = testDatabases();
    const bus = createMessageBus({ type: 'memory' });
    await bus.connect();
    try {
      let h = await boot(db, bus, folders);
      expect(h.metadata.loader.report).toEqual({ added: 1, kept: 0, waiting: 3, rejected: 1 });
      expect((await h.client.get('/deviceprofile/name/Demo-Actuator')).status).toBe(200);
      expect((await h.client.get('/device/all')).body.totalCount).toBe(0);

      await h.client.batch('POST', '/deviceservice', 'service', [SERVICE]);
      expect((await h.client.get('/device/service/name/device-demo')).body.totalCount).toBe(2);
      expect((await h.client.get('/provisionwatcher/all')).body.totalCount).toBe(1);
      await h.metadata.close();

      h = await boot(db, bus, folders);
      expect(h.metadata.loader.report).toEqual({ added: 0, kept: 4, waiting: 0, rejected: 1 });
      expect((await h.client.get('/device/all')).body.totalCount).toBe(2);
      await h.metadata.close();
    } finally {
      await bus.close();
      await db.cleanup();
    }
  });
});

describe('metadata profile size limits', () => {
  const db = testSqlite();
  let bus: MessageBus;
  let metadata: RunningMetadata;
  let api: MetadataClient;

  const resource = (i: number) => ({ name: `R${i}`, properties: { valueType: 'Int32', readWrite: 'RW' } });
  const command = (i: number) => ({ name: `C${i}`, readWrite: 'R', resourceOperations: [{ deviceResource: 'R0' }] });
  const profile = (name: string, resources: number, commands = 0) => ({
    name,
    deviceResources: Array.from({ length: resources }, (_, i) => resource(i)),
    deviceCommands: Array.from({ length: commands }, (_, i) => command(i)),
  });

  beforeAll(async () => {
    bus = createMessageBus({ type: 'memory' });
    await bus.connect();
    const config = loadMetadataConfig({
      GW_METADATA_MAX_PROFILE_RESOURCES: '3',
      GW_MAX_PROFILE_COMMANDS: '2',
      GW_METADATA_MAX_PROFILE_OPERATIONS: '4',
    });
    expect([config.maxProfileResources, config.maxProfileCommands, config.maxProfileOperations]).toEqual([3, 2, 4]);
    metadata = await startMetadata(
      { ...config, host: '127.0.0.1', port: 0, database: db.config },
      { bus, logger: quietLogger() },
    );
    api = new MetadataClient(metadata.url);
  });

  afterAll(async () => {
    await metadata?.close();
    await bus?.close();
    await db.cleanup();
  });

  it('default to 5,000 resources, 5,000 commands and 10,000 resourceOperations per profile', () => {
    const config = loadMetadataConfig({});
    expect([config.maxProfileResources, config.maxProfileCommands, config.maxProfileOperations]).toEqual([5000, 5000, 10000]);
  });

  it('accept a JSON profile at the limits and refuse one over with 413 naming the limit and its variable', async () => {
    const res = await api.batch('POST', '/deviceprofile', 'profile', [profile('At-Limit', 3, 2), profile('Over', 4), profile('Over-Commands', 3, 3)]);
    expect(res.status).toBe(207);
    expect(res.body[0]).toMatchObject({ statusCode: 201 });
    expect(res.body[1]).toEqual({
      apiVersion: 'v3',
      statusCode: 413,
      message: '[1].profile: 4 deviceResources, more than the 3 a profile may have (GW_METADATA_MAX_PROFILE_RESOURCES)',
    });
    expect(res.body[2]).toMatchObject({ statusCode: 413, message: expect.stringContaining('3 deviceCommands, more than the 2') });
    expect((await api.get('/deviceprofile/name/Over')).status).toBe(404);
  });

  it('refuse an upload over the limit before parsing it (block-style YAML, JSON, large flow-style YAML), and accept one at it', async () => {
    const block = (name: string, n: number) =>
      `name: ${name}\ndeviceResources:\n${Array.from({ length: n }, (_, i) => `- name: R${i}\n  properties: {valueType: Int32, readWrite: RW}\n`).join('')}`;
    const flow = (name: string, n: number) =>
      `name: ${name}\ndeviceResources: [${Array.from({ length: n }, (_, i) => `{name: R${i}, properties: {valueType: Int32, readWrite: RW}}`).join(', ')}]\n`;
    // The YAML parser is the cost the limits are there to avoid: it must not run for these. (Spied on its
    // class: `import * as yaml` is a copy of yaml's exports, where a spy on parseDocument sees no call.)
    const parser = jest.spyOn(yaml.Parser.prototype, 'parse');
    try {
      const over = await api.upload('POST', block('Yaml-Over', 4), 'big.yaml');
      expect(over.status).toBe(413);
      expect(over.body).toEqual({
        apiVersion: 'v3',
        statusCode: 413,
        message: 'big.yaml: 4 deviceResources, more than the 3 a profile may have (GW_METADATA_MAX_PROFILE_RESOURCES)',
      });
      const json = JSON.stringify(profile('Json-Over', 4));
      expect(await api.upload('POST', json, 'big.json')).toMatchObject({ status: 413, body: { message: expect.stringContaining('big.json: 4 deviceResources, more than the 3') } });
      expect(await api.upload('POST', flow('Flow-Large', 5_000), 'large.yaml')).toMatchObject({
        status: 413,
        body: { message: expect.stringMatching(/^large\.yaml: deviceResources not written as a block list .* may be at most 262144 bytes/) },
      });
      expect(parser).not.toHaveBeenCalled();
    } finally {
      parser.mockRestore();
    }
    // A small flow-style list is counted once parsed.
    expect(await api.upload('POST', flow('Yaml-Flow', 4), 'flow.yaml')).toMatchObject({ status: 413, body: { message: expect.stringContaining('flow.yaml: 4 deviceResources') } });
    expect((await api.upload('POST', block('Yaml-At-Limit', 3), 'ok.yaml')).status).toBe(201);
    expect((await api.upload('POST', JSON.stringify(profile('Json-At-Limit', 3, 2)), 'ok.json')).status).toBe(201);
    expect((await api.get('/deviceprofile/name/Json-At-Limit')).body.profile.deviceCommands).toHaveLength(2);
  });

  it('refuse resourceOperations over GW_METADATA_MAX_PROFILE_OPERATIONS: block-style YAML before parsing, JSON and flow style before validation', async () => {
    // Two commands with 1 + `more` operations: 4 at the limit, 5 over it.
    const ops = (n: number) => Array.from({ length: n }, (_, i) => ({ deviceResource: `R${i % 3}` }));
    const withOps = (name: string, more: number) => ({
      ...profile(name, 3),
      deviceCommands: [
        { name: 'C0', readWrite: 'R', resourceOperations: ops(1) },
        { name: 'C1', readWrite: 'R', resourceOperations: ops(more) },
      ],
    });
    const block = (name: string, more: number) => yaml.stringify(withOps(name, more), { collectionStyle: 'block' });
    const flow = (name: string, more: number) => block(name, more).replace(/resourceOperations:\n((?:\s+- deviceResource: \w+\n)+)/g, (_all, items: string) =>
      `resourceOperations: [${items.trim().split('\n').map((item) => `{${item.trim().slice(2)}}`).join(', ')}]\n`);
    expect(flow('F', 2)).toContain('resourceOperations: [{deviceResource: R0}, {deviceResource: R1}]');
    const message = (where: string) => `${where}: 5 resourceOperations, more than the 4 a profile may have (GW_METADATA_MAX_PROFILE_OPERATIONS)`;

    const parser = jest.spyOn(yaml.Parser.prototype, 'parse');
    const validator = jest.spyOn(DeviceProfile, 'safeParse');
    try {
      expect(await api.upload('POST', block('Ops-Block', 4), 'ops.yaml')).toMatchObject({ status: 413, body: { message: message('ops.yaml') } });
      expect(parser).not.toHaveBeenCalled();
      expect(await api.upload('POST', flow('Ops-Flow', 4), 'flow.yaml')).toMatchObject({ status: 413, body: { message: message('flow.yaml') } });
      expect(parser).toHaveBeenCalled();
      const json = await api.batch('POST', '/deviceprofile', 'profile', [withOps('Ops-Json', 4)]);
      expect(json.body[0]).toEqual({ apiVersion: 'v3', statusCode: 413, message: message('[0].profile') });
      expect(validator).not.toHaveBeenCalled();
      expect((await api.upload('POST', flow('Ops-Flow-At-Limit', 3), 'ok.yaml')).status).toBe(201);
      expect(validator).toHaveBeenCalled(); // the spy sees the validation it would have seen above
    } finally {
      parser.mockRestore();
      validator.mockRestore();
    }
    expect((await api.upload('POST', block('Ops-Block-At-Limit', 3), 'ok.yaml')).status).toBe(201);
    expect((await api.get('/deviceprofile/name/Ops-Flow-At-Limit')).body.profile.deviceCommands[1].resourceOperations).toHaveLength(3);
  });

  it('count the resourceOperations of EdgeX-style profiles before parsing exactly as the parser does', () => {
    for (const file of ['demo-actuator.profile.yaml', 'boiler.modbus.profile.yaml']) {
      const text = fixture(file);
      const parsedOps = parseDeviceProfile(text).deviceCommands.reduce((sum, c) => sum + c.resourceOperations.length, 0);
      expect(parsedOps).toBeGreaterThan(1);
      expect(countBlockOperations(text)).toBe(parsedOps);
    }
  });

  it('refuse a profile whose YAML aliases would expand it far beyond its text, with 400 naming the alias and its line, before expanding it', async () => {
    // The reviewer's upload in small: one long shared list of operations, aliased by each command.
    const shared = Array.from({ length: 20_000 }, () => '  - {deviceResource: R0}\n').join('');
    const text = `name: Alias-Bomb\nshared: &ops\n${shared}deviceCommands:\n- {name: C0, readWrite: R, resourceOperations: *ops}\n- {name: C1, readWrite: R, resourceOperations: *ops}\n`;
    const build = jest.spyOn(yaml.Document.prototype, 'toJS');
    try {
      const res = await api.upload('POST', text, 'bomb.yaml');
      expect(res).toMatchObject({ status: 400, body: { apiVersion: 'v3', statusCode: 400 } });
      expect(res.body.message).toMatch(/^bomb\.yaml:20005: alias \*ops expands the document past \d+ nodes: aliases may add at most as many nodes as the text has/);
      expect(build).not.toHaveBeenCalled();
    } finally {
      build.mockRestore();
    }
    expect((await api.get('/deviceprofile/name/Alias-Bomb')).status).toBe(404);
  });

  it('refuse adding a resource to a profile at the limit', async () => {
    const res = await api.post('/deviceprofile/resource', [{ apiVersion: 'v3', profileName: 'At-Limit', resource: resource(9) }]);
    expect(res.body[0]).toMatchObject({ statusCode: 413, message: expect.stringContaining('4 deviceResources, more than the 3') });
    expect((await api.get('/deviceprofile/name/At-Limit')).body.profile.deviceResources).toHaveLength(3);
  });
});
