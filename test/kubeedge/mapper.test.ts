/**
 * A device service in KubeEdge mapper mode (GW_KUBEEDGE_MAPPER), as the
 * device-service app starts it: virtual driver, a real core-metadata on temp
 * SQLite, the in-process bus, and a fake edgecore (DeviceManagerService from
 * the same DMI v1beta1 proto) on a unix socket in a temp dir. edgecore's
 * calls go to the mapper's DeviceMapperService socket, the one it registered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Device as EdgeXDevice, DeviceProfile } from '@gw/contracts';
import { DRIVERS } from '@gw/drivers';
import { decodeConfigData, Device, DeviceModel, ReportDeviceStatusRequest } from '@gw/kubeedge-dmi';
import { createMessageBus, MemoryBroker, MessageBus } from '@gw/messaging';
import { exportKubeEdge } from '../../apps/cli/src/kubeedge/to-kubeedge';
import { loadDeviceServiceConfig } from '../../apps/device-service/src/config';
import { RunningDeviceService, startDeviceServiceApp } from '../../apps/device-service/src/device-service.app';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { MetadataClient as RestClient } from '../metadata/metadata-client';
import { testSqlite, TestDatabase } from '../support/database';
import { pollUntil } from '../support/poll';
import { quietLogger } from '../support/quiet-logger';
import { configData, dmiObjects, FakeEdgecore } from './fake-edgecore';

const NAMESPACE = 'plant';

function thermostatModel(name = 'thermostat'): DeviceModel {
  return {
    name,
    namespace: NAMESPACE,
    spec: {
      properties: [
        { name: 'temperature', type: 'INT', accessMode: 'ReadOnly', minimum: '0', maximum: '100', unit: 'Cel', description: 'water temperature' },
        { name: 'setpoint', type: 'DOUBLE', accessMode: 'ReadWrite', minimum: '5', maximum: '95' },
      ],
    },
  };
}

/** A device as edgecore sends it: the virtual driver's constant simulation as the temperature's visitor, a desired setpoint. */
function boiler(name: string, desiredSetpoint?: string): Device {
  return {
    name,
    namespace: NAMESPACE,
    spec: {
      deviceModelReference: 'thermostat',
      protocol: { protocolName: 'virtual', configData: configData({ address: '10.0.0.7', port: 502 }) },
      properties: [
        {
          name: 'temperature',
          collectCycle: 100,
          reportToCloud: true,
          visitors: { protocolName: 'virtual', configData: configData({ simulation: 'constant', value: '21' }) },
        },
        {
          name: 'setpoint',
          collectCycle: 100,
          reportToCloud: true,
          desired: desiredSetpoint === undefined ? undefined : { value: desiredSetpoint, metadata: { type: 'double' } },
          visitors: { protocolName: 'virtual', configData: configData({ simulation: 'constant', value: '10' }) },
        },
      ],
    },
    // edgecore copies spec.stateReport here (ConvertDevice): the device's state goes to the cloud.
    status: { reportToCloud: true, reportCycle: 1000 },
  };
}

const twin = (report: ReportDeviceStatusRequest, property: string) => report.reportedDevice.twins?.find((t) => t.propertyName === property);

describe('a device service as a KubeEdge mapper', () => {
  let dir: string;
  let db: TestDatabase;
  let bus: MessageBus;
  let metadata: RunningMetadata;
  let rest: RestClient;
  let service: RunningDeviceService;
  let edgecore: FakeEdgecore;
  let dmiSocket: string;
  let mapperSocket: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-kubeedge-'));
    dmiSocket = join(dir, 'dmi.sock');
    mapperSocket = join(dir, 'device-virtual.sock');
    bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await bus.connect();
    db = testSqlite('metadata.db');
    const topicBase = 'gwtest-kubeedge';
    metadata = await startMetadata({ host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, topicBase }, { bus, logger: quietLogger('core-metadata') });
    rest = new RestClient(metadata.url);
    // The configuration as the variables give it, validated as at boot.
    const config = loadDeviceServiceConfig({
      GW_HOST: '127.0.0.1',
      GW_DEVICE_SERVICE_PORT: '0',
      GW_DEVICE_SERVICE_METADATA_URL: metadata.url,
      GW_TOPIC_BASE: topicBase,
      GW_DATA_DIR: dir,
      GW_KUBEEDGE_MAPPER: 'true',
      GW_KUBEEDGE_DMI_SOCKET: dmiSocket,
      GW_KUBEEDGE_MAPPER_SOCKET: mapperSocket,
      GW_KUBEEDGE_RETRY_MAX: '200ms',
    });
    service = await startDeviceServiceApp(config, { bus, logger: quietLogger('device-virtual') });
    await service.ready;
    edgecore = await FakeEdgecore.start(dmiSocket);
  });

  afterAll(async () => {
    await service?.close();
    await edgecore?.stop();
    await metadata?.close();
    await bus?.close();
    db?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers with edgecore once it is there, naming itself, its protocol and its own socket', async () => {
    const registration = await edgecore.waitFor('register');
    expect(registration.withData).toBe(true);
    expect(registration.mapper).toMatchObject({ name: 'device-virtual', protocol: 'virtual', api_version: 'v1.0.0', state: 'ok' });
    expect(Buffer.from(registration.mapper.address).toString()).toBe(mapperSocket);
  });

  it("takes edgecore's device model and device into core-metadata, and the device service reads it", async () => {
    await expect(edgecore.call('CreateDeviceModel', { model: thermostatModel() })).resolves.toEqual({ deviceModelName: 'thermostat', deviceModelNamespace: NAMESPACE });
    await expect(edgecore.call('RegisterDevice', { device: boiler('boiler-1') })).resolves.toEqual({ deviceName: 'boiler-1', deviceNamespace: NAMESPACE });

    const device = (await rest.get(`/device/name/${encodeURIComponent('plant~boiler-1')}`)).body.device;
    expect(device).toMatchObject({
      serviceName: 'device-virtual',
      profileName: 'plant~thermostat',
      // protocolName `virtual` names the mapper; the virtual driver reads one EdgeX protocol, `other`.
      protocols: { other: { address: '10.0.0.7', port: 502 } },
      properties: { kubeedge: { namespace: NAMESPACE, name: 'boiler-1', deviceModel: 'thermostat' } },
    });
    expect(device.autoEvents).toEqual(expect.arrayContaining([expect.objectContaining({ sourceName: 'temperature', interval: '100ms' })]));
    const profile = (await rest.get(`/deviceprofile/name/${encodeURIComponent('plant~thermostat')}`)).body.profile;
    const temperature = profile.deviceResources.find((r: any) => r.name === 'temperature');
    expect(temperature.properties).toMatchObject({ valueType: 'Int64', readWrite: 'R', units: 'Cel', minimum: 0, maximum: 100 });
    expect(temperature.attributes).toEqual({ simulation: 'constant', value: '21' });
    expect(profile.deviceResources.find((r: any) => r.name === 'setpoint').properties).toMatchObject({ valueType: 'Float64', readWrite: 'RW' });

    await pollUntil(() => service.deviceNames().includes('plant~boiler-1'), 'the device service to load plant~boiler-1');
  });

  it("reports the device's twins to edgecore with the values read from it", async () => {
    const report = await edgecore.waitFor('status', (r) => r.deviceName === 'boiler-1' && twin(r, 'temperature')?.reported?.value === '21');
    expect(report.deviceNamespace).toBe(NAMESPACE);
    expect(twin(report, 'temperature')?.reported?.metadata).toMatchObject({ type: 'int', timestamp: expect.stringMatching(/^\d{13}$/) });
    await edgecore.waitFor('states', (s) => s.deviceName === 'boiler-1' && s.deviceNamespace === NAMESPACE && s.state === 'online');
    // Its operating state follows core-metadata's (DOWN after failed reads; here set by hand).
    expect((await rest.batch('PATCH', '/device', 'device', [{ name: 'plant~boiler-1', operatingState: 'DOWN' }])).body[0].statusCode).toBe(200);
    await edgecore.waitFor('states', (s) => s.deviceName === 'boiler-1' && s.state === 'offline');
    const since = edgecore.count('states');
    await rest.batch('PATCH', '/device', 'device', [{ name: 'plant~boiler-1', operatingState: 'UP' }]);
    await edgecore.waitFor('states', (s) => s.deviceName === 'boiler-1' && s.state === 'online', 15_000, since);
  });

  it('reports the state of a new device once edgecore takes calls again when its rate limit (shared with other mappers) refused it', async () => {
    edgecore.exhaust();
    const refused = edgecore.nextRefused('states');
    await edgecore.call('RegisterDevice', { device: boiler('boiler-5') });
    await refused;
    await edgecore.waitFor('states', (s) => s.deviceName === 'boiler-5' && s.state === 'online');
    await edgecore.call('RemoveDevice', { deviceName: 'boiler-5', deviceNamespace: NAMESPACE });
  });

  it('writes a desired value to the device and reports it back as read from the device', async () => {
    await edgecore.call('UpdateDevice', { device: boiler('boiler-1', '42.5') });
    const report = await edgecore.waitFor(
      'status',
      (r) => r.deviceName === 'boiler-1' && twin(r, 'setpoint')?.reported?.value === '42.5' && twin(r, 'setpoint')?.observedDesired?.value === '42.5',
    );
    expect(twin(report, 'setpoint')?.reported?.metadata?.type).toBe('double');
    // The device itself holds it: a read through the device service's REST API answers the written value (EdgeX writes floats as 4.25e+01).
    const read = await fetch(`${service.url}/api/v3/device/name/${encodeURIComponent('plant~boiler-1')}/setpoint`).then((r) => r.json() as Promise<any>);
    expect(Number(read.event.readings[0].value)).toBe(42.5);
    // GetDevice answers with the twins as reported.
    const { device } = await edgecore.call('GetDevice', { deviceName: 'boiler-1', deviceNamespace: NAMESPACE });
    expect(device.status.twins.find((t: any) => t.propertyName === 'setpoint')).toMatchObject({ reported: { value: '42.5' }, observedDesired: { value: '42.5' } });
    // ... and its protocol as KubeEdge names it: the mapper's protocolName, the EdgeX protocol in configData.edgexProtocol.
    expect(device.spec.protocol.protocolName).toBe('virtual');
    expect(decodeConfigData(device.spec.protocol.configData, 'GetDevice', [])).toEqual({ edgexProtocol: 'other', address: '10.0.0.7', port: 502 });
  });

  it('takes a device as gw export kubeedge writes it: routed to this mapper by protocolName, its EdgeX protocol from configData.edgexProtocol', async () => {
    const profile: DeviceProfile = {
      name: 'Kettle',
      labels: [],
      deviceResources: [{ name: 'Temperature', isHidden: false, properties: { valueType: 'Int64', readWrite: 'R', units: 'Cel' }, attributes: { simulation: 'constant', value: '55' } }],
      deviceCommands: [],
    };
    const kettle: EdgeXDevice = {
      name: 'kettle-1',
      adminState: 'UNLOCKED',
      operatingState: 'UP',
      serviceName: 'device-virtual',
      profileName: 'Kettle',
      protocols: { other: { Address: 'kettle-1' } },
      autoEvents: [{ sourceName: 'Temperature', interval: '200ms', onChange: false }],
    };
    const exported = exportKubeEdge(profile, [kettle], { namespace: NAMESPACE, drivers: DRIVERS });
    const { models, devices } = dmiObjects(exported.objects);
    // edgecore hands it to the mapper that registered with its protocolName (the driver's name).
    expect(devices[0].spec?.protocol?.protocolName).toBe(edgecore.registrations.at(-1)?.mapper.protocol);
    await edgecore.call('CreateDeviceModel', { model: models[0] });
    await edgecore.call('RegisterDevice', { device: devices[0] });

    const device = (await rest.get(`/device/name/${encodeURIComponent('plant~kettle-1')}`)).body.device;
    expect(device.protocols).toEqual({ other: { Address: 'kettle-1' } });
    await edgecore.waitFor('status', (r) => r.deviceName === 'kettle-1' && twin(r, 'Temperature')?.reported?.value === '55');
    // GetDevice gives back the protocol edgecore sent.
    const back = (await edgecore.call('GetDevice', { deviceName: 'kettle-1', deviceNamespace: NAMESPACE })).device;
    expect(back.spec.protocol.protocolName).toBe(devices[0].spec?.protocol?.protocolName);
    expect(decodeConfigData(back.spec.protocol.configData, 'GetDevice', [])).toEqual({ edgexProtocol: 'other', Address: 'kettle-1' });
    await edgecore.call('RemoveDevice', { deviceName: 'kettle-1', deviceNamespace: NAMESPACE });
  });

  it('refuses a device whose EdgeX protocol the driver does not read, naming configData.edgexProtocol, and adds nothing', async () => {
    const modbus = boiler('boiler-m');
    modbus.spec!.protocol = { protocolName: 'virtual', configData: configData({ edgexProtocol: 'modbus-tcp', Address: '10.0.0.9' }) };
    await expect(edgecore.call('RegisterDevice', { device: modbus })).rejects.toMatchObject({
      code: 3,
      details: 'device plant/boiler-m: spec.protocol.configData.edgexProtocol: "modbus-tcp" is not a protocol this driver reads (other)',
    });
    expect((await rest.get(`/device/name/${encodeURIComponent('plant~boiler-m')}`)).status).toBe(404);
  });

  it('UpdateDeviceModel changes the profile and keeps the attributes the visitors gave; RemoveDeviceModel removes an unused one', async () => {
    const model = thermostatModel();
    model.spec!.properties!.push({ name: 'pressure', type: 'FLOAT', accessMode: 'ReadOnly', unit: 'bar' });
    await edgecore.call('UpdateDeviceModel', { model });
    const profile = (await rest.get(`/deviceprofile/name/${encodeURIComponent('plant~thermostat')}`)).body.profile;
    expect(profile.deviceResources.map((r: any) => r.name)).toEqual(['temperature', 'setpoint', 'pressure']);
    expect(profile.deviceResources.find((r: any) => r.name === 'pressure').properties).toMatchObject({ valueType: 'Float32', readWrite: 'R', units: 'bar' });
    expect(profile.deviceResources.find((r: any) => r.name === 'temperature').attributes).toEqual({ simulation: 'constant', value: '21' });

    // A profile of the same name not made from a KubeEdge model is not the model's to remove.
    const own = { name: 'plant~mine', manufacturer: 'acme', labels: ['lab'], deviceResources: [{ name: 'level', isHidden: false, properties: { valueType: 'Int64', readWrite: 'R' } }], deviceCommands: [] };
    expect((await rest.batch('POST', '/deviceprofile', 'profile', [own])).body[0].statusCode).toBe(201);
    await expect(edgecore.call('RemoveDeviceModel', { modelName: 'mine', modelNamespace: NAMESPACE })).rejects.toMatchObject({
      code: 9,
      details: expect.stringContaining('not made from a KubeEdge device model'),
    });
    expect((await rest.get(`/deviceprofile/name/${encodeURIComponent('plant~mine')}`)).status).toBe(200);

    await edgecore.call('CreateDeviceModel', { model: thermostatModel('spare') });
    expect((await rest.get(`/deviceprofile/name/${encodeURIComponent('plant~spare')}`)).status).toBe(200);
    await edgecore.call('RemoveDeviceModel', { modelName: 'spare', modelNamespace: NAMESPACE });
    expect((await rest.get(`/deviceprofile/name/${encodeURIComponent('plant~spare')}`)).status).toBe(404);
  });

  it('refuses a device of an unknown model and a model with a bad type, naming the field', async () => {
    await expect(edgecore.call('RegisterDevice', { device: { ...boiler('boiler-x'), spec: { ...boiler('boiler-x').spec, deviceModelReference: 'pump' } } })).rejects.toMatchObject({
      details: expect.stringContaining('plant~pump'),
    });
    await expect(edgecore.call('RegisterDevice', {})).rejects.toMatchObject({ code: 3, details: 'device is missing' });
    await expect(edgecore.call('CreateDeviceModel', {})).rejects.toMatchObject({ code: 3, details: 'model is missing' });
    const bad = thermostatModel('bad');
    bad.spec!.properties![0].type = 'DECIMAL';
    await expect(edgecore.call('CreateDeviceModel', { model: bad })).rejects.toMatchObject({
      details: expect.stringMatching(/device model plant\/bad: spec\.properties\[0\] \(temperature\)\.type: expected one of INT, .*got "DECIMAL"/),
    });
  });

  it('RemoveDevice removes it from core-metadata and from the device service', async () => {
    await edgecore.call('RegisterDevice', { device: boiler('boiler-3') });
    expect((await rest.get(`/device/name/${encodeURIComponent('plant~boiler-3')}`)).status).toBe(200);
    await edgecore.call('RemoveDevice', { deviceName: 'boiler-3', deviceNamespace: NAMESPACE });
    expect((await rest.get(`/device/name/${encodeURIComponent('plant~boiler-3')}`)).status).toBe(404);
    await pollUntil(() => !service.deviceNames().includes('plant~boiler-3'), 'the device service to drop plant~boiler-3');
  });

  it('registers again when edgecore restarts, and takes the devices edgecore then holds', async () => {
    // A device of this service that the mapper did not make (no kubeedge tag) is the user's: the sync leaves it.
    const users = { name: 'users-own', serviceName: 'device-virtual', profileName: 'plant~mine', adminState: 'UNLOCKED', operatingState: 'UP', protocols: { other: { address: 'x' } } };
    expect((await rest.batch('POST', '/device', 'device', [users])).body[0].statusCode).toBe(201);
    await edgecore.stop();
    // edgecore comes back holding boiler-2 only (boiler-1 was deleted in the cloud meanwhile).
    edgecore = await FakeEdgecore.start(dmiSocket, { models: [thermostatModel()], devices: [boiler('boiler-2', '30')] });
    const registration = await edgecore.waitFor('register');
    expect(registration.mapper.name).toBe('device-virtual');
    await pollUntil(async () => (await rest.get(`/device/name/${encodeURIComponent('plant~boiler-2')}`)).status === 200, 'plant~boiler-2 in core-metadata');
    await pollUntil(async () => (await rest.get(`/device/name/${encodeURIComponent('plant~boiler-1')}`)).status === 404, 'plant~boiler-1 to be removed');
    expect((await rest.get('/device/name/users-own')).status).toBe(200);
    // Its state and twins go to the new edgecore, its desired value applied.
    await edgecore.waitFor('states', (s) => s.deviceName === 'boiler-2' && s.state === 'online');
    await edgecore.waitFor('status', (r) => r.deviceName === 'boiler-2' && twin(r, 'setpoint')?.reported?.value === '30');
  });

  it("applies edgecore's devices once core-metadata is back when it was away at the registration", async () => {
    const port = Number(new URL(metadata.url).port);
    await metadata.close();
    await edgecore.stop();
    edgecore = await FakeEdgecore.start(dmiSocket, { models: [thermostatModel()], devices: [boiler('boiler-2', '30'), boiler('boiler-4')] });
    await edgecore.waitFor('register');
    // The new edgecore knows no device state: boiler-2's (known from before) goes again, core-metadata away or not.
    await edgecore.waitFor('states', (s) => s.deviceName === 'boiler-2' && s.state === 'online');
    metadata = await startMetadata({ host: '127.0.0.1', port, database: db.config, maxResultCount: 1000, topicBase: 'gwtest-kubeedge' }, { bus, logger: quietLogger('core-metadata') });
    await pollUntil(async () => (await rest.get(`/device/name/${encodeURIComponent('plant~boiler-4')}`)).status === 200, 'plant~boiler-4 in core-metadata');
    await edgecore.waitFor('status', (r) => r.deviceName === 'boiler-4' && twin(r, 'temperature')?.reported?.value === '21');
  });
});
