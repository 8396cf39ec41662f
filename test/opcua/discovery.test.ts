/**
 * OPC UA discovery against an in-process node-opcua server with a small plant
 * address space: the browse API (bounded, configured servers only), a
 * profile draft that core-metadata takes as it is, and discovery proposing
 * objects that a provision watcher turns into devices with that profile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DataType, OPCUACertificateManager, OPCUAServer, setErrorLogger, setWarningLogger, standardUnits, VariantArrayType } from 'node-opcua';
import { loadDriverSettings } from '@gw/device-sdk/driver-host';
import { opcuaDriver } from '@gw/drivers/opcua';
import { opcuaSettings, OpcuaSettings } from '../../libs/drivers/opcua/src/descriptor';
import { discoverDevices } from '../../libs/drivers/opcua/src/discovery/discover';
import { discoveryRoutes } from '../../libs/drivers/opcua/src/discovery/routes';
import { createPki, Pki } from '../../libs/drivers/opcua/src/security';
import { freePort } from '../support/brokers';
import { pollUntil } from '../messaging/helpers';
import { RoutesHost, startDeviceOpcua, startRoutesHost } from './routes-host';

// node-opcua's console output (certificate dumps, PKCS#1 notes) would bury the test output.
setWarningLogger(() => undefined);
setErrorLogger(() => undefined);

let dir: string;
let server: OPCUAServer;
let serverManager: OPCUACertificateManager;
let url: string;
/** `ns=<index>;` of the plant namespace. */
let NS: string;
let deadUrl: string;
let settings: OpcuaSettings;
let pki: Pki | undefined;
let host: RoutesHost;
const warnings: string[] = [];

const pkiOnce = async () => (pki ??= await createPki(settings));
const json = async (res: Response) => (await res.json()) as Record<string, any>;
const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

async function startPlantServer(port: number): Promise<OPCUAServer> {
  // its own user PKI too: node-opcua's default is ~/.config
  const plantServer = new OPCUAServer({ port, serverCertificateManager: serverManager, userCertificateManager: serverManager });
  await plantServer.initialize();
  const addressSpace = plantServer.engine.addressSpace!;
  const ns = addressSpace.registerNamespace('urn:test:plant');
  const objects = addressSpace.rootFolder.objects;
  const plant = ns.addFolder(objects, { browseName: 'Plant', nodeId: 's=Plant' });
  const press = ns.addObject({ organizedBy: plant, browseName: 'Press1', nodeId: 's=Plant.Press1' });
  const rw = { accessLevel: 'CurrentRead | CurrentWrite', userAccessLevel: 'CurrentRead | CurrentWrite' };
  const ro = { accessLevel: 'CurrentRead', userAccessLevel: 'CurrentRead' };
  ns.addAnalogDataItem({
    componentOf: press,
    browseName: 'Temperature',
    nodeId: 's=Plant.Press1.Temperature',
    dataType: 'Double',
    engineeringUnits: standardUnits.degree_celsius,
    engineeringUnitsRange: { low: 0, high: 200 },
    value: { dataType: DataType.Double, value: 21.5 },
    description: 'Platen temperature',
    accessLevel: 'CurrentRead',
    userAccessLevel: 'CurrentRead',
  } as never);
  ns.addVariable({ componentOf: press, browseName: 'Setpoint', nodeId: 's=Plant.Press1.Setpoint', dataType: 'Float', ...rw, value: { dataType: DataType.Float, value: 80 } } as never);
  ns.addVariable({
    componentOf: press,
    browseName: 'Stroke Counts',
    nodeId: 's=Plant.Press1.Counts',
    dataType: 'Int32',
    valueRank: 1,
    arrayDimensions: [3],
    ...ro,
    value: { dataType: DataType.Int32, arrayType: VariantArrayType.Array, value: new Int32Array([1, 2, 3]) },
  } as never);
  ns.addVariable({ componentOf: press, browseName: 'Label', nodeId: 's=Plant.Press1.Label', dataType: 'String', ...rw, value: { dataType: DataType.String, value: 'P1' } } as never);
  ns.addVariable({ componentOf: press, browseName: 'Blob', nodeId: 's=Plant.Press1.Blob', dataType: 'ByteString', ...ro, value: { dataType: DataType.ByteString, value: Buffer.from([1, 2]) } } as never);
  ns.addVariable({ componentOf: press, browseName: 'State', nodeId: 's=Plant.Press1.State', dataType: 'ServerState', value: { dataType: DataType.Int32, value: 0 } });
  ns.addVariable({ componentOf: press, browseName: 'LastStroke', nodeId: 's=Plant.Press1.LastStroke', dataType: 'UtcTime', value: { dataType: DataType.DateTime, value: new Date(0) } });
  ns.addVariable({ componentOf: press, browseName: 'Limits', nodeId: 's=Plant.Press1.Limits', dataType: 'Range' });
  ns.addVariable({ componentOf: press, browseName: 'Reset', nodeId: 's=Plant.Press1.Reset', dataType: 'Boolean', accessLevel: 'CurrentWrite', userAccessLevel: 'CurrentWrite', value: { dataType: DataType.Boolean, value: false } } as never);
  const tool = ns.addObject({ componentOf: press, browseName: 'Tool', nodeId: 's=Plant.Press1.Tool' });
  ns.addVariable({ componentOf: tool, browseName: 'Wear', nodeId: 's=Plant.Press1.Tool.Wear', dataType: 'Double', value: { dataType: DataType.Double, value: 0.1 } });
  const press2 = ns.addObject({ organizedBy: plant, browseName: 'Press2', nodeId: 's=Plant.Press2' });
  ns.addVariable({ componentOf: press2, browseName: 'Temperature', nodeId: 's=Plant.Press2.Temperature', dataType: 'Double', value: { dataType: DataType.Double, value: 20 } });
  const robot = ns.addObject({ organizedBy: objects, browseName: 'Robot', nodeId: 's=Robot' });
  ns.addVariable({ componentOf: robot, browseName: 'Speed', nodeId: 's=Robot.Speed', dataType: 'UInt16', value: { dataType: DataType.UInt16, value: 3 } });
  ns.addObject({ organizedBy: objects, browseName: 'Empty', nodeId: 's=Empty' });
  await plantServer.start();
  return plantServer;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opcua-discovery-'));
  serverManager = new OPCUACertificateManager({ rootFolder: join(dir, 'server-pki'), automaticallyAcceptUnknownCertificate: true });
  await serverManager.initialize();
  const port = await freePort();
  server = await startPlantServer(port);
  NS = `ns=${server.engine.addressSpace!.getNamespaceIndex('urn:test:plant')};`;
  url = `opc.tcp://127.0.0.1:${port}`;
  deadUrl = `opc.tcp://127.0.0.1:${await freePort()}`;
  settings = opcuaSettings.parse({
    pkiDir: join(dir, 'gateway-pki'),
    discoveryEndpoints: `${url} ${deadUrl}`,
    connectTimeout: '3s',
    requestTimeout: '5s',
  });
  const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (obj: object) => void warnings.push(JSON.stringify(obj)) };
  const deps = { settings, pki: pkiOnce, logger };
  host = await startRoutesHost({ routes: () => discoveryRoutes(deps), discover: () => discoverDevices(deps) });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await server?.shutdown();
  await pki?.dispose();
  await serverManager?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/v3/opcua/browse', () => {
  it('lists one level below the Objects folder, then below a node', async () => {
    const top = await json(await host.call('GET', `/opcua/browse?${q({ endpoint: url })}`));
    expect(top.truncated).toBe(false);
    expect(top.references.map((r: { browseName: string }) => r.browseName)).toEqual(expect.arrayContaining(['Server', 'Plant', 'Robot', 'Empty']));
    const plant = await json(await host.call('GET', `/opcua/browse?${q({ endpoint: url, nodeId: `${NS}s=Plant` })}`));
    expect(plant.references).toEqual([
      { nodeId: `${NS}s=Plant.Press1`, browseName: 'Press1', displayName: 'Press1', nodeClass: 'Object', typeDefinition: 'i=58', referenceType: 'Organizes' },
      { nodeId: `${NS}s=Plant.Press2`, browseName: 'Press2', displayName: 'Press2', nodeClass: 'Object', typeDefinition: 'i=58', referenceType: 'Organizes' },
    ]);
    // nsu= names the namespace by URI
    const byUri = await json(await host.call('GET', `/opcua/browse?${q({ endpoint: url, nodeId: 'nsu=urn:test:plant;s=Plant' })}`));
    expect(byUri.references).toEqual(plant.references);
  });

  it('stops at GW_OPCUA_BROWSE_MAX_REFERENCES and says so', async () => {
    const before = settings.browseMaxReferences;
    settings.browseMaxReferences = 3;
    try {
      const press = await json(await host.call('GET', `/opcua/browse?${q({ endpoint: url, nodeId: `${NS}s=Plant.Press1` })}`));
      expect(press.references).toHaveLength(3);
      expect(press.truncated).toBe(true);
    } finally {
      settings.browseMaxReferences = before;
    }
  });

  it('refuses servers that are not configured, bad and unknown nodes; a configured server that is down is a 503', async () => {
    const other = await host.call('GET', `/opcua/browse?${q({ endpoint: 'opc.tcp://10.9.9.9:4840' })}`);
    expect(other.status).toBe(400);
    expect((await json(other)).message).toContain('is not in GW_OPCUA_DISCOVERY_ENDPOINTS');
    const none = await host.call('GET', '/opcua/browse');
    expect((await json(none)).message).toContain('query parameter endpoint is required');
    const bad = await host.call('GET', `/opcua/browse?${q({ endpoint: url, nodeId: `${NS}x=1` })}`);
    expect(bad.status).toBe(400);
    expect((await json(bad)).message).toContain(`query parameter nodeId: "${NS}x=1" is not a node id`);
    const unknown = await host.call('GET', `/opcua/browse?${q({ endpoint: url, nodeId: `${NS}s=Nowhere` })}`);
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).message).toContain('BadNodeIdUnknown');
    const down = await host.call('GET', `/opcua/browse?${q({ endpoint: deadUrl })}`);
    expect(down.status).toBe(503);
    expect((await json(down)).message).toContain(`OPC UA server ${deadUrl} cannot be reached`);
  });
});

describe('GET /api/v3/opcua/profiledraft', () => {
  let yaml: string;

  it('drafts a profile from an object: valueType from DataType, readWrite from AccessLevel, units, nodeId; skipped variables named', async () => {
    const res = await host.call('GET', `/opcua/profiledraft?${q({ endpoint: url, nodeId: `${NS}s=Plant.Press1`, name: 'Press-Draft' })}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-yaml');
    yaml = await res.text();
    expect(yaml.split('\n')).toContain(`# skipped Limits (${NS}s=Plant.Press1.Limits): ExtensionObject has no EdgeX valueType`);
    const profile = parse(yaml);
    expect(profile.name).toBe('Press-Draft');
    const byName = Object.fromEntries(profile.deviceResources.map((r: { name: string }) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['Blob', 'Label', 'LastStroke', 'Reset', 'Setpoint', 'State', 'Stroke_Counts', 'Temperature']);
    expect(byName.Temperature).toEqual({
      name: 'Temperature',
      description: 'Platen temperature',
      isHidden: false,
      properties: { valueType: 'Float64', readWrite: 'R', units: '°C' },
      attributes: { nodeId: `${NS}s=Plant.Press1.Temperature` },
    });
    expect(byName.Setpoint.properties).toEqual({ valueType: 'Float32', readWrite: 'RW' });
    expect(byName.Stroke_Counts.properties).toEqual({ valueType: 'Int32Array', readWrite: 'R' });
    expect(byName.Label.properties).toEqual({ valueType: 'String', readWrite: 'RW' });
    expect(byName.Blob.properties).toEqual({ valueType: 'Binary', readWrite: 'R', mediaType: 'application/octet-stream' });
    expect(byName.State.properties.valueType).toBe('Int32'); // an enumeration
    expect(byName.LastStroke.properties.valueType).toBe('String'); // UtcTime, a DateTime
    expect(byName.Reset.properties).toEqual({ valueType: 'Bool', readWrite: 'W' });
  });

  it('writes node ids with namespace URIs when asked', async () => {
    const res = await host.call('GET', `/opcua/profiledraft?${q({ endpoint: url, nodeId: `${NS}s=Plant.Press2`, format: 'json', nodeIds: 'uri' })}`);
    const { profile, skipped } = await json(res);
    expect(skipped).toEqual([]);
    expect(profile.deviceResources.map((r: { attributes: unknown }) => r.attributes)).toEqual([{ nodeId: 'nsu=urn:test:plant;s=Plant.Press2.Temperature' }]);
  });

  it('uploads to core-metadata as it is', async () => {
    const uploaded = await host.rest.upload('POST', yaml, 'press.yaml');
    expect(uploaded.body).toEqual({ apiVersion: 'v3', statusCode: 201, id: expect.any(String) });
    const stored = await host.rest.get('/deviceprofile/name/Press-Draft');
    expect(stored.status).toBe(200);
    expect(stored.body.profile.deviceResources).toHaveLength(8);
  });

  it('refuses a variable as the object, and an object without variables', async () => {
    const variable = await host.call('GET', `/opcua/profiledraft?${q({ endpoint: url, nodeId: `${NS}s=Plant.Press1.Label` })}`);
    expect(variable.status).toBe(400);
    expect((await json(variable)).message).toContain('is a Variable; give an Object');
    const empty = await host.call('GET', `/opcua/profiledraft?${q({ endpoint: url, nodeId: `${NS}s=Empty` })}`);
    expect(empty.status).toBe(400);
    expect((await json(empty)).message).toContain('has no variable EdgeX can carry');
  });
});

describe('discovery', () => {
  it('proposes objects with variables down to GW_OPCUA_DISCOVERY_DEPTH; a watcher adds them with a profile drafted by browse path', async () => {
    // One profile for every press: its resources are browse paths from each device's own object (ObjectNodeId).
    const draft = await host.call('GET', `/opcua/profiledraft?${q({ endpoint: url, nodeId: `${NS}s=Plant.Press1`, name: 'Press-Type', addressing: 'browsePath' })}`);
    expect(draft.status).toBe(200);
    const typeYaml = await draft.text();
    expect(parse(typeYaml).deviceResources.find((r: { name: string }) => r.name === 'Temperature').attributes).toEqual({ browsePath: `${NS.slice(3, -1)}:Temperature` });
    expect((await host.rest.upload('POST', typeYaml, 'press-type.yaml')).body).toMatchObject({ statusCode: 201 });
    const watcher = {
      name: 'presses',
      serviceName: 'device-opcua',
      identifiers: { Endpoint: url.replace(/\./g, '\\.'), BrowseName: 'Press[0-9]+' },
      adminState: 'UNLOCKED',
      discoveredDevice: { profileName: 'Press-Type', adminState: 'UNLOCKED' },
    };
    const added = await host.rest.batch('POST', '/provisionwatcher', 'provisionwatcher', [watcher]);
    expect(added.body[0]).toEqual({ apiVersion: 'v3', statusCode: 201, id: expect.any(String) });
    const result = await host.service.discover();
    expect(result.found).toBe(3); // Press1, Press2, Robot; not Empty (no variables), not Tool (too deep), not Server (namespace 0)
    const devices = await host.rest.get('/device/service/name/device-opcua?limit=100');
    const names = devices.body.devices.map((d: { name: string }) => d.name).sort();
    const port = new URL(url).port;
    expect(names).toEqual([`opcua-127.0.0.1-${port}-Press1`, `opcua-127.0.0.1-${port}-Press2`]);
    const press1 = devices.body.devices.find((d: { name: string }) => d.name.endsWith('Press1'));
    expect(press1).toMatchObject({ profileName: 'Press-Type', protocols: { opcua: { Endpoint: url, ObjectNodeId: `${NS}s=Plant.Press1`, BrowseName: 'Press1' } } });
    expect(warnings.some((w) => w.includes(deadUrl))).toBe(true);
  });
});

describe('through device-opcua with the real driver', () => {
  let real: RoutesHost | undefined;
  afterAll(() => real?.close());

  it('browse -> draft by browse path -> upload -> discovery -> watcher -> each press reads its own values with the one profile', async () => {
    const settings = loadDriverSettings(opcuaDriver, { GW_OPCUA_DISCOVERY_ENDPOINTS: url, GW_OPCUA_PKI_DIR: join(dir, 'real-pki') });
    real = await startDeviceOpcua(await opcuaDriver.create(settings as never));
    const draft = await real.call('GET', `/opcua/profiledraft?${q({ nodeId: `${NS}s=Plant.Press1`, name: 'Press', addressing: 'browsePath' })}`);
    expect(draft.status).toBe(200);
    expect((await real.rest.upload('POST', await draft.text())).body).toMatchObject({ statusCode: 201 });
    const watcher = {
      name: 'presses',
      serviceName: 'device-opcua',
      identifiers: { BrowseName: 'Press[0-9]+' },
      adminState: 'UNLOCKED',
      discoveredDevice: { profileName: 'Press', adminState: 'UNLOCKED' },
    };
    expect((await real.rest.batch('POST', '/provisionwatcher', 'provisionwatcher', [watcher])).body[0]).toMatchObject({ statusCode: 201 });

    const triggered = await real.call('POST', '/discovery');
    expect(triggered.status).toBe(202);
    const prefix = `opcua-127.0.0.1-${new URL(url).port}`;
    const readTemperature = async (name: string) => {
      await pollUntil(() => real!.service.deviceNames().includes(name), `${name} reaches device-opcua`);
      let reading: string | undefined;
      await pollUntil(async () => {
        const res = await real!.call('GET', `/device/name/${name}/Temperature`);
        if (res.status !== 200) return false; // the driver loads node-opcua for its first device
        reading = ((await res.json()) as { event: { readings: Array<{ value: string }> } }).event.readings[0].value;
        return true;
      }, `${name} reads`);
      return reading;
    };
    // EdgeX's Float64 text: Press1's own 21.5, Press2's own 20 (not Press1's, whose profile it was drafted from).
    expect(await readTemperature(`${prefix}-Press1`)).toBe('2.15e+01');
    expect(await readTemperature(`${prefix}-Press2`)).toBe('2e+01');

    // EdgeX 4's profile scan: Press2's own object, on its own session, becomes a profile of its own.
    const scan = await real.call('POST', '/profilescan', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v3', deviceName: `${prefix}-Press2`, profileName: 'Press2-Scanned' }),
    });
    expect(scan.status).toBe(202);
    await pollUntil(async () => (await real!.rest.get(`/device/name/${prefix}-Press2`)).body.device.profileName === 'Press2-Scanned', 'Press2 moved to its scanned profile');
    const scanned = (await real.rest.get('/deviceprofile/name/Press2-Scanned')).body.profile;
    expect(scanned.deviceResources).toEqual([
      expect.objectContaining({ name: 'Temperature', attributes: { browsePath: `${NS.slice(3, -1)}:Temperature` }, properties: { valueType: 'Float64', readWrite: 'RW' } }), // Press2's own variable (Press1's is read-only, in °C)
    ]);
    await pollUntil(async () => (await readTemperature(`${prefix}-Press2`)) === '2e+01', 'Press2 reads with its scanned profile');
  });
});
