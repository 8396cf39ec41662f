import { validateDeviceProfile } from '@gw/contracts';
import { AzureTwinSinkSchema } from '../sinks/sink-config';
import { azureTwinSettings } from '../sinks/azure-twin-settings';
import { DTMI, gatewayModel, isDtdlName, profileInterface, profileInterfaceId } from './dtdl';

const profile = validateDeviceProfile({
  name: 'Pump-Unit.2',
  deviceResources: [
    { name: 'Speed', description: 'Shaft speed', properties: { valueType: 'Uint32', readWrite: 'RW' } },
    { name: 'Levels', properties: { valueType: 'Float64Array', readWrite: 'R' } },
    { name: 'Snapshot', properties: { valueType: 'Binary', readWrite: 'R', mediaType: 'image/jpeg' } },
    { name: 'Config', properties: { valueType: 'Object', readWrite: 'RW' } },
    { name: 'flow-rate', properties: { valueType: 'Float32', readWrite: 'R' } },
  ],
  deviceCommands: [
    { name: 'Drive', readWrite: 'RW', resourceOperations: [{ deviceResource: 'Speed' }, { deviceResource: 'Config' }] },
    { name: 'Speed', readWrite: 'R', resourceOperations: [{ deviceResource: 'Speed' }] },
  ],
});

describe('DTDL models from device profiles', () => {
  it('checks DTDL names and DTMIs as the DTDL v2 rules say', () => {
    expect(['Fan', 'fan_2', 'a'.repeat(64)].map(isDtdlName)).toEqual([true, true, true]);
    expect(['Demo-Sensor-01', '2fan', 'fan_', '_fan', 'a'.repeat(65), ''].map(isDtdlName)).toEqual([false, false, false, false, false, false]);
    expect(DTMI.test('dtmi:com:example:Gateway;1')).toBe(true);
    expect(['dtmi:com:example:Gateway', 'dtmi:com:ex-ample;1', 'dtmi:com:example;0', 'urn:x;1'].some((id) => DTMI.test(id))).toBe(false);
    expect(profileInterfaceId('dtmi:com:example:Gateway;3', 'Pump-Unit.2')).toBe('dtmi:com:example:Gateway:Pump_Unit_2;3');
    expect(profileInterfaceId('dtmi:acme:gw;1', '7-Segment')).toBe('dtmi:acme:gw:p7_Segment;1');
  });

  it('makes each resource a property (writable when it can be written) and each command a command, leaving out what DTDL cannot say', () => {
    const { model, omitted } = profileInterface(profile, 'dtmi:acme:gw:Pump_Unit_2;1');
    expect(model).toEqual({
      '@context': 'dtmi:dtdl:context;2',
      '@id': 'dtmi:acme:gw:Pump_Unit_2;1',
      '@type': 'Interface',
      displayName: 'Pump-Unit.2',
      contents: [
        { '@type': 'Property', name: 'Speed', schema: 'long', writable: true, description: 'Shaft speed' },
        { '@type': 'Property', name: 'Levels', schema: { '@type': 'Array', elementSchema: 'double' }, writable: false },
        { '@type': 'Command', name: 'Drive', request: { name: 'values', schema: { '@type': 'Object', fields: [{ name: 'Speed', schema: 'long' }] } } },
      ],
    });
    expect(omitted).toEqual([
      'resource Snapshot: Binary has no DTDL schema',
      'resource Config: Object has no DTDL schema',
      'resource flow-rate: not a DTDL name',
      'command Speed: has the name of a resource',
    ]);
  });

  it('makes the gateway model a component per device, each profile interface once', () => {
    const { models, omitted } = gatewayModel(
      'dtmi:acme:gw;1',
      [
        { component: 'pumpA', device: 'pump-a', profile: 'Pump-Unit.2' },
        { component: 'pumpB', device: 'pump-b', profile: 'Pump-Unit.2' },
        { component: 'ghost', device: 'ghost', profile: 'Gone' },
      ],
      [profile],
    );
    expect(models.map((m) => m['@id'])).toEqual(['dtmi:acme:gw;1', 'dtmi:acme:gw:Pump_Unit_2;1']);
    expect(models[0].contents).toEqual([
      { '@type': 'Component', name: 'pumpA', schema: 'dtmi:acme:gw:Pump_Unit_2;1', displayName: 'pump-a' },
      { '@type': 'Component', name: 'pumpB', schema: 'dtmi:acme:gw:Pump_Unit_2;1', displayName: 'pump-b' },
    ]);
    expect(omitted).toContain('device ghost: profile Gone not found');
    expect(omitted).toContain('profile Pump-Unit.2: resource Snapshot: Binary has no DTDL schema');
  });

  it('gives Uint64 a schema that holds its whole range (DTDL long is signed), and leaves out an interface id over 128 characters', () => {
    const wide = validateDeviceProfile({ name: 'Meter', deviceResources: [{ name: 'Count', properties: { valueType: 'Uint64', readWrite: 'R' } }, { name: 'Signed', properties: { valueType: 'Int64', readWrite: 'R' } }] });
    expect(profileInterface(wide, 'dtmi:acme:gw:Meter;1').model.contents).toEqual([
      { '@type': 'Property', name: 'Count', schema: 'double', writable: false },
      { '@type': 'Property', name: 'Signed', schema: 'long', writable: false },
    ]);
    // A model id within the limit, and a profile segment (at most 64) that takes the interface id beyond it.
    const modelId = `dtmi:acme:${'g'.repeat(60)};1`;
    const longName = validateDeviceProfile({ name: `Meter${'x'.repeat(70)}`, deviceResources: wide.deviceResources });
    const { models, omitted } = gatewayModel(modelId, [{ component: 'meter', device: 'meter-1', profile: longName.name }], [longName]);
    expect(models).toHaveLength(1);
    expect(omitted).toEqual([expect.stringMatching(/^device meter-1: the interface id of profile Meterx+ \(dtmi:acme:g+:Meterx+;1\) is longer than 128 characters/)]);
  });

  it('refuses a modelId that is no DTMI, and component names that are no DTDL names or are given twice', () => {
    const sink = (extra: Record<string, unknown>) =>
      azureTwinSettings(AzureTwinSinkSchema.parse({ name: 'hub', type: 'azure-twin', connectionString: 'HostName=h.azure-devices.net;DeviceId=gw;SharedAccessKey=a2V5', ...extra }));
    expect(() => sink({ modelId: 'dtmi:acme:gw' })).toThrow(/modelId "dtmi:acme:gw" is not a DTMI/);
    expect(() => sink({ modelId: `dtmi:acme:${'g'.repeat(120)};1` })).toThrow(/modelId is 132 characters; DTDL allows an Interface id at most 128/);
    expect(() => sink({ components: { a: 'b' } })).toThrow(/components needs a modelId/);
    expect(() => sink({ modelId: 'dtmi:acme:gw;1', components: { 'pump-1': 'pump-1' } })).toThrow(/components.pump-1: "pump-1" is not a DTDL name/);
    expect(() => sink({ modelId: 'dtmi:acme:gw;1', components: { a: 'x', b: 'x' } })).toThrow(/"x" is given to two devices/);
    const names = sink({ modelId: 'dtmi:acme:gw;1', components: { 'pump-1': 'pump1' } }).components;
    expect([names.toTwin('pump-1'), names.fromTwin('pump1'), names.toTwin('valve')]).toEqual(['pump1', 'pump-1', 'valve']);
    // A device name that is no DTDL name is cleaned; a second device cleaning to a taken name is refused.
    expect([names.toTwin('tank-2'), names.fromTwin('tank_2'), names.problem('tank-2')]).toEqual(['tank_2', 'tank-2', undefined]);
    expect(names.problem('tank.2')).toMatch(/device tank\.2: its component name "tank_2" is taken by device tank-2/);
    // Devices core-metadata knows map back before any record of them is seen.
    names.learn(['7-Segment']);
    expect(names.fromTwin('p7_Segment')).toBe('7-Segment');
    // Without Plug and Play the names are only %-escaped.
    const plain = sink({}).components;
    expect([plain.toTwin('tank.1'), plain.fromTwin('tank%2E1'), plain.problem('tank-2')]).toEqual(['tank%2E1', 'tank.1', undefined]);
  });
});
