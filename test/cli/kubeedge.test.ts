/**
 * `gw export kubeedge` and `gw import kubeedge` as a user runs them (the real
 * binary against a running gateway): the objects printed pass KubeEdge's own
 * CRD schemas (test/fixtures/kubeedge, strict about unknown fields as kubectl
 * apply is), carry the profile and devices the way README describes, and an
 * export imported back gives the same profile and devices where the mapping
 * is lossless.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { call, RESOURCES, testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { schemaErrors } from './kubeedge-schemas';
import { gw, requireFreshCliBuild } from './run-gw';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A profile every field of which KubeEdge can carry. */
const LOSSLESS_PROFILE = {
  name: 'Ke-Pump',
  description: 'Pump with a level sensor',
  manufacturer: 'Acme',
  model: 'P-9',
  labels: ['pumps', 'hall-2'],
  deviceResources: [
    { name: 'Level', description: 'Tank level', isHidden: false, properties: { valueType: 'Float32', readWrite: 'R', units: 'm', minimum: 0, maximum: 12.5 }, attributes: { primaryTable: 'INPUT_REGISTERS', startingAddress: 0, isWordSwap: true } },
    { name: 'Flow', isHidden: false, properties: { valueType: 'Float64', readWrite: 'R', units: 'm3/h' }, attributes: { primaryTable: 'INPUT_REGISTERS', startingAddress: 2 } },
    { name: 'Speed', isHidden: false, properties: { valueType: 'Int64', readWrite: 'RW', minimum: 0, maximum: 3000, units: 'rpm' }, attributes: { primaryTable: 'HOLDING_REGISTERS', startingAddress: 10 } },
    { name: 'Running', isHidden: false, properties: { valueType: 'Bool', readWrite: 'RW' }, attributes: { primaryTable: 'COILS', startingAddress: 0 } },
    { name: 'Serial', isHidden: false, properties: { valueType: 'String', readWrite: 'R' }, attributes: { primaryTable: 'HOLDING_REGISTERS', startingAddress: 20, stringRegisterSize: 8 } },
  ],
  deviceCommands: [
    { name: 'Levels', isHidden: false, readWrite: 'R', resourceOperations: [{ deviceResource: 'Level' }, { deviceResource: 'Flow' }] },
    { name: 'Drive', isHidden: false, readWrite: 'RW', resourceOperations: [{ deviceResource: 'Speed' }, { deviceResource: 'Running' }] },
  ],
};

const LOSSLESS_DEVICES = ['Ke-Pump-01', 'Ke-Pump-02'].map((name, i) => ({
  name,
  description: `Pump ${i + 1}`,
  adminState: 'UNLOCKED',
  operatingState: 'UP',
  labels: ['pumps'],
  serviceName: 'device-modbus',
  profileName: 'Ke-Pump',
  protocols: { 'modbus-tcp': { Address: `10.0.0.${i + 1}`, Port: '502', UnitID: '1' } },
  autoEvents: [
    { sourceName: 'Levels', interval: '2s', onChange: false },
    { sourceName: 'Running', interval: '500ms', onChange: false },
  ],
}));

/** What metadata adds to a stored object (ids, times, the API version): not part of what a user wrote. */
function stored<T extends Record<string, any>>(value: T): Partial<T> {
  const { id: _id, created: _created, modified: _modified, apiVersion: _apiVersion, ...rest } = value;
  return rest as Partial<T>;
}

describe('gw export kubeedge / gw import kubeedge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cli-kubeedge-'));
  let gateway: RunningGateway;
  let env: Record<string, string>;
  let metadata: string;

  beforeAll(async () => {
    requireFreshCliBuild();
    gateway = await startGateway(testGatewayConfig(join(dir, 'data')), quietLogger('gateway'));
    metadata = `${gateway.metadata.url}/api/v3`;
    env = { GW_METADATA_URL: gateway.metadata.url };
    // The Modbus sample meter (its profile is loaded at start from resources/profiles); the folder it is copied to names its service.
    const meters = parse(readFileSync(join(RESOURCES, 'examples/device-modbus/energy-meter.devices.yaml'), 'utf8'));
    for (const device of meters.deviceList) device.serviceName = 'device-modbus';
    writeFileSync(join(dir, 'energy-meter.devices.yaml'), stringify(meters));
    expect(await gw(['device', 'add', '-f', join(dir, 'energy-meter.devices.yaml')], env)).toMatchObject({ code: 0, stderr: '' });
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function exported(args: string[]): Promise<{ objects: any[]; stderr: string }> {
    const result = await gw(['export', 'kubeedge', ...args], env);
    expect(result.code).toBe(0);
    return { objects: parseAllDocuments(result.stdout).map((d) => d.toJS()), stderr: result.stderr };
  }

  it("prints a profile and its devices as objects KubeEdge's CRD schemas accept", async () => {
    const { objects, stderr } = await exported(['--profile', 'Energy-Meter-Modbus', '--namespace', 'plant-1', '--node', 'edge-node-1']);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['DeviceModel/energy-meter-modbus', 'Device/energy-meter-01']);
    for (const object of objects) {
      expect({ object: object.metadata.name, errors: schemaErrors(object) }).toEqual({ object: object.metadata.name, errors: [] });
      expect(object).toMatchObject({ apiVersion: 'devices.kubeedge.io/v1beta1', metadata: { namespace: 'plant-1' } });
      expect(object.metadata.name).toMatch(DNS_SUBDOMAIN);
    }
    const [model, device] = objects;
    expect(model.metadata.annotations).toMatchObject({ 'edgexfoundry.org/name': 'Energy-Meter-Modbus', 'edgexfoundry.org/manufacturer': 'Demo Meters', 'edgexfoundry.org/model': 'EM-3P' });
    // protocolName names the mapper (the driver, one per device service); the EdgeX protocol travels in configData.edgexProtocol.
    expect(model.spec.protocol).toBe('modbus');
    const property = (name: string) => model.spec.properties.find((p: { name: string }) => p.name === name);
    expect(property('VoltageL1')).toEqual({ name: 'VoltageL1', description: 'Phase 1 voltage, V', type: 'FLOAT', accessMode: 'ReadOnly', unit: 'V' });
    expect(property('EnergyImported')).toMatchObject({ type: 'INT', accessMode: 'ReadOnly', unit: 'Wh' });
    expect(property('Alarm')).toMatchObject({ type: 'BOOLEAN', accessMode: 'ReadOnly' });
    expect(property('CurrentLimit')).toMatchObject({ type: 'INT', accessMode: 'ReadWrite', minimum: '1', maximum: '100', unit: 'A' });

    expect(device.spec).toMatchObject({
      deviceModelRef: { name: 'energy-meter-modbus' },
      nodeName: 'edge-node-1',
      protocol: { protocolName: 'modbus', configData: { edgexProtocol: 'modbus-tcp', Address: '127.0.0.1', Port: 1502, UnitID: 1, Timeout: '2s', IdleTimeout: 5 } },
    });
    const deviceProperty = (name: string) => device.spec.properties.find((p: { name: string }) => p.name === name);
    // Visitors carry the resource's attributes; the autoEvent on the Voltages command gives its resources their cycle.
    expect(deviceProperty('VoltageL1')).toEqual({
      name: 'VoltageL1',
      visitors: { protocolName: 'modbus', configData: { primaryTable: 'INPUT_REGISTERS', startingAddress: 0, isWordSwap: true } },
      collectCycle: 1000,
      reportCycle: 1000,
      reportToCloud: true,
    });
    // No desired value is written: an empty one would be a write of ''.
    expect(deviceProperty('CurrentLimit').desired).toBeUndefined();
    expect(deviceProperty('CurrentLimit')).toMatchObject({ name: 'CurrentLimit', reportToCloud: true });
    expect(device.spec.methods).toContainEqual({ name: 'Voltages', propertyNames: ['VoltageL1', 'VoltageL2', 'VoltageL3'] });
    // What KubeEdge cannot carry is said, not silently dropped.
    expect(stderr).toMatch(/^gw: note: Frequency: scale has no field in a KubeEdge DeviceModel; left out$/m);
    expect(stderr).toMatch(/^gw: note: EnergyImported: valueType Uint32 is INT in KubeEdge \(imported back as Int64\)$/m);
  });

  it('the schemas used above refuse what KubeEdge refuses (a wrong type, an unknown field)', async () => {
    const [model, device] = (await exported(['--profile', 'Energy-Meter-Modbus'])).objects;
    model.spec.properties[0].type = 'FLOAT32';
    expect(schemaErrors(model)).toEqual([expect.stringMatching(/^\/spec\/properties\/0\/type: must be equal to one of the allowed values/)]);
    device.spec.deviceModelReference = device.spec.deviceModelRef;
    expect(schemaErrors(device)).toEqual(['/spec: must NOT have additional properties (deviceModelReference)']);
  });

  it('imports an export back into the same profile and devices (the lossless case)', async () => {
    expect((await call('POST', `${metadata}/deviceprofile`, [{ apiVersion: 'v3', profile: LOSSLESS_PROFILE }])).body[0].statusCode).toBe(201);
    const added = await call('POST', `${metadata}/device`, LOSSLESS_DEVICES.map((device) => ({ apiVersion: 'v3', device })));
    expect(added.body.map((o: { statusCode: number }) => o.statusCode)).toEqual([201, 201]);
    const before = {
      profile: stored((await call('GET', `${metadata}/deviceprofile/name/Ke-Pump`)).body.profile),
      devices: ((await call('GET', `${metadata}/device/profile/name/Ke-Pump`)).body.devices as any[]).map(stored).sort((a, b) => a.name.localeCompare(b.name)),
    };

    const exportResult = await gw(['export', 'kubeedge', '--profile', 'Ke-Pump'], env);
    expect(exportResult).toMatchObject({ code: 0, stderr: '' }); // nothing lost: no notes
    const file = join(dir, 'ke-pump.kubeedge.yaml');
    writeFileSync(file, exportResult.stdout);
    for (const object of parseAllDocuments(exportResult.stdout).map((d) => d.toJS())) expect(schemaErrors(object)).toEqual([]);

    // --dry-run prints what would be added, as EdgeX YAML.
    const dryRun = await gw(['import', 'kubeedge', '-f', file, '--dry-run'], env);
    expect(dryRun.code).toBe(0);
    const [profileDoc, deviceDoc] = parseAllDocuments(dryRun.stdout).map((d) => d.toJS());
    expect(profileDoc).toEqual(before.profile);
    expect(deviceDoc.deviceList.sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name))).toEqual(before.devices);

    for (const name of ['Ke-Pump-01', 'Ke-Pump-02']) expect((await gw(['device', 'rm', name], env)).code).toBe(0);
    expect((await gw(['profile', 'rm', 'Ke-Pump'], env)).code).toBe(0);

    const imported = await gw(['import', 'kubeedge', '-f', file], env);
    expect(imported).toMatchObject({ code: 0, stdout: 'added profile Ke-Pump\nadded device Ke-Pump-01\nadded device Ke-Pump-02\n', stderr: '' });
    const after = {
      profile: stored((await call('GET', `${metadata}/deviceprofile/name/Ke-Pump`)).body.profile),
      devices: ((await call('GET', `${metadata}/device/profile/name/Ke-Pump`)).body.devices as any[]).map(stored).sort((a, b) => a.name.localeCompare(b.name)),
    };
    expect(after).toEqual(before);
  });

  it('gives back what KubeEdge cannot carry as README says: integer widths as Int64, transforms gone, the rest kept', async () => {
    const result = await gw(['export', 'kubeedge', '--profile', 'Energy-Meter-Modbus'], env);
    writeFileSync(join(dir, 'meter.kubeedge.yaml'), result.stdout);
    const dryRun = await gw(['import', 'kubeedge', '-f', join(dir, 'meter.kubeedge.yaml'), '--dry-run'], env);
    expect(dryRun.code).toBe(0);
    const [profile, devices] = parseAllDocuments(dryRun.stdout).map((d) => d.toJS());
    const original = (await call('GET', `${metadata}/deviceprofile/name/Energy-Meter-Modbus`)).body.profile;
    const resource = (p: any, name: string) => p.deviceResources.find((r: { name: string }) => r.name === name);
    expect(resource(profile, 'EnergyImported').properties.valueType).toBe('Int64'); // was Uint32
    expect(resource(profile, 'CurrentLimit').properties).toEqual({ valueType: 'Int64', readWrite: 'RW', minimum: 1, maximum: 100, units: 'A' }); // was Uint16
    expect(resource(original, 'Frequency').properties.scale).toBe(0.01);
    expect(resource(profile, 'Frequency').properties).toEqual({ valueType: 'Float32', readWrite: 'R', units: 'Hz' }); // scale left out
    for (const name of ['VoltageL1', 'Alarm', 'Relay']) expect(resource(profile, name)).toEqual(resource(original, name));
    expect(profile.deviceCommands).toEqual(original.deviceCommands);
    // The autoEvents on the two commands come back as they were.
    expect(devices.deviceList[0].autoEvents).toEqual([
      { sourceName: 'Voltages', interval: '1s', onChange: false },
      { sourceName: 'Power', interval: '1s', onChange: false },
    ]);
  });

  it('imports KubeEdge objects written by hand (no annotations): names, types, cycles and visitors as the mapper mode reads them', async () => {
    const file = join(dir, 'thermostat.yaml');
    writeFileSync(
      file,
      [
        { apiVersion: 'devices.kubeedge.io/v1beta1', kind: 'DeviceModel', metadata: { name: 'thermostat', namespace: 'hall-3' }, spec: { protocol: 'modbus', properties: [
          { name: 'temperature', type: 'FLOAT', accessMode: 'ReadOnly', unit: 'degC', minimum: '-40', maximum: '85' },
          { name: 'setpoint', type: 'INT', accessMode: 'ReadWrite' },
        ] } },
        { apiVersion: 'devices.kubeedge.io/v1beta1', kind: 'Device', metadata: { name: 'thermostat-7', namespace: 'hall-3' }, spec: {
          deviceModelRef: { name: 'thermostat' },
          protocol: { protocolName: 'modbus', configData: { edgexProtocol: 'modbus-tcp', Address: '10.1.1.7', Port: '502', UnitID: '1' } },
          properties: [
            { name: 'temperature', collectCycle: 10000, reportCycle: 10000, visitors: { protocolName: 'modbus', configData: { primaryTable: 'INPUT_REGISTERS', startingAddress: 1 } } },
            { name: 'setpoint', desired: { value: '21' }, visitors: { protocolName: 'modbus', configData: { primaryTable: 'HOLDING_REGISTERS', startingAddress: 5 } } },
          ],
        } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated' } },
      ].map((o) => stringify(o)).join('---\n'),
    );
    const dryRun = await gw(['import', 'kubeedge', '-f', file, '--dry-run', '--service', 'device-modbus'], env);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stderr).toMatch(/^gw: note: thermostat\.yaml#3: ConfigMap ignored/m);
    expect(dryRun.stderr).toMatch(/^gw: note: thermostat\.yaml#2: desired values of setpoint are not written/m);
    const [profile, devices] = parseAllDocuments(dryRun.stdout).map((d) => d.toJS());
    expect(profile).toMatchObject({
      name: 'hall-3~thermostat',
      deviceResources: [
        { name: 'temperature', properties: { valueType: 'Float32', readWrite: 'R', units: 'degC', minimum: -40, maximum: 85 }, attributes: { primaryTable: 'INPUT_REGISTERS', startingAddress: 1 } },
        { name: 'setpoint', properties: { valueType: 'Int64', readWrite: 'RW' }, attributes: { primaryTable: 'HOLDING_REGISTERS', startingAddress: 5 } },
      ],
    });
    // Outside the default namespace a name is namespace~name, as in the mapper mode; a Device's model is in its namespace.
    expect(devices.deviceList).toEqual([
      expect.objectContaining({
        name: 'hall-3~thermostat-7',
        profileName: 'hall-3~thermostat',
        serviceName: 'device-modbus',
        protocols: { 'modbus-tcp': { Address: '10.1.1.7', Port: '502', UnitID: '1' } },
        autoEvents: [{ sourceName: 'temperature', interval: '10s', onChange: false }],
      }),
    ]);
  });

  it('refuses a file that is not KubeEdge v1beta1, naming the document (exit 2)', async () => {
    const file = join(dir, 'old.yaml');
    writeFileSync(file, readFileSync(join(dir, 'ke-pump.kubeedge.yaml'), 'utf8').replace(/devices\.kubeedge\.io\/v1beta1/g, 'devices.kubeedge.io/v1alpha2'));
    const refused = await gw(['import', 'kubeedge', '-f', file], env);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toBe('gw: old.yaml#1: apiVersion: expected devices.kubeedge.io/v1beta1, got "devices.kubeedge.io/v1alpha2"\n');

    const noService = join(dir, 'no-service.yaml');
    const docs = parseAllDocuments(readFileSync(join(dir, 'ke-pump.kubeedge.yaml'), 'utf8')).map((d) => d.toJS());
    for (const doc of docs) if (doc.kind === 'Device') delete doc.metadata.annotations['edgexfoundry.org/service'];
    writeFileSync(noService, docs.map((d) => stringify(d)).join('---\n'));
    const missing = await gw(['import', 'kubeedge', '-f', noService, '--dry-run'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^gw: no-service\.yaml#2: no device service: give --service NAME/);
  });

  it('refuses a namespace or node that is not a Kubernetes name before asking anyone (exit 2); --protocol names the mapper', async () => {
    expect(await gw(['export', 'kubeedge', '--profile', 'Energy-Meter-Modbus', '--namespace', 'Bad_NS'], env)).toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(/^gw: --namespace: "Bad_NS" is not a Kubernetes namespace \(lowercase letters, digits and '-'.*\)\n$/),
    });
    expect(await gw(['export', 'kubeedge', '--profile', 'Energy-Meter-Modbus', '--node', 'Edge Node'], env)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^gw: --node: "Edge Node" is not a Kubernetes node name/) });
    const [, device] = (await exported(['--profile', 'Energy-Meter-Modbus', '--protocol', 'modbus-line-2'])).objects;
    expect(device.spec.protocol).toMatchObject({ protocolName: 'modbus-line-2', configData: { edgexProtocol: 'modbus-tcp' } });
  });

  it('exits 1 with metadata\'s message for a profile it does not have', async () => {
    const missing = await gw(['export', 'kubeedge', '--profile', 'No-Such-Profile'], env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/No-Such-Profile.*\(404 from GET /);
  });
});

