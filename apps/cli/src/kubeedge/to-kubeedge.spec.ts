import type { Device, DeviceProfile } from '@gw/contracts';
import { DRIVERS } from '@gw/drivers';
import { importKubeEdge } from './from-kubeedge';
import { exportKubeEdge } from './to-kubeedge';

const profile: DeviceProfile = {
  name: 'Pump',
  labels: [],
  deviceResources: [
    { name: 'Level', isHidden: false, properties: { valueType: 'Float32', readWrite: 'R' }, attributes: { primaryTable: 'INPUT_REGISTERS', startingAddress: 0 } },
    { name: 'Speed', isHidden: false, properties: { valueType: 'Int64', readWrite: 'RW' }, attributes: { primaryTable: 'HOLDING_REGISTERS', startingAddress: 10 } },
  ],
  deviceCommands: [
    { name: 'All', isHidden: false, readWrite: 'R', resourceOperations: [{ deviceResource: 'Level' }, { deviceResource: 'Speed' }] },
  ],
};

const device = (name: string, protocols: Device['protocols'], extra: Partial<Device> = {}): Device => ({
  name,
  adminState: 'UNLOCKED',
  operatingState: 'UP',
  serviceName: 'device-modbus',
  profileName: 'Pump',
  protocols,
  ...extra,
});
const TCP = { 'modbus-tcp': { Address: '10.0.0.1', Port: '502' } };

const exported = (devices: Device[], options: { protocolName?: string } = {}) => exportKubeEdge(profile, devices, { drivers: DRIVERS, ...options });
const deviceOf = (result: ReturnType<typeof exported>, i = 0) => result.objects[1 + i] as any;

describe('exportKubeEdge: protocols', () => {
  it('names the mapper (the driver) in protocolName and carries the EdgeX protocol key in configData.edgexProtocol', () => {
    const result = exported([device('P-1', TCP)]);
    expect((result.objects[0] as any).spec.protocol).toBe('modbus');
    expect(deviceOf(result).spec.protocol).toEqual({ protocolName: 'modbus', configData: { edgexProtocol: 'modbus-tcp', Address: '10.0.0.1', Port: '502' } });
    expect(deviceOf(result).spec.properties[0].visitors.protocolName).toBe('modbus');
    const rtu = exported([device('P-2', { 'modbus-rtu': { Address: '/dev/ttyUSB0' } })]);
    expect(deviceOf(rtu).spec.protocol).toMatchObject({ protocolName: 'modbus', configData: { edgexProtocol: 'modbus-rtu' } });
    expect(deviceOf(exported([device('V-1', { other: { Address: 'sim' } })])).spec.protocol.protocolName).toBe('virtual');
  });

  it('takes --protocol over the driver, and refuses a key no driver reads unless --protocol names the mapper', () => {
    expect(deviceOf(exported([device('P-1', TCP)], { protocolName: 'my-modbus' })).spec.protocol.protocolName).toBe('my-modbus');
    expect(() => exported([device('P-1', { 'modbus-udp': {} })])).toThrow(/^device P-1: no driver reads protocol "modbus-udp" \(.*modbus \(modbus-tcp, modbus-rtu\).*\); give --protocol NAME/);
    expect(deviceOf(exported([device('P-1', { 'modbus-udp': {} })], { protocolName: 'modbus' })).spec.protocol.configData.edgexProtocol).toBe('modbus-udp');
  });

  it('comes back as the EdgeX protocol key through gw import kubeedge', () => {
    const { devices } = importKubeEdge(exported([device('P-1', TCP)]).objects, 'x.yaml', { drivers: DRIVERS });
    expect(devices[0].protocols).toEqual(TCP);
  });

  it('reads a hand-written Device without edgexProtocol as the mapper mode does: the driver’s only key, else refused naming the field', () => {
    const objects = exported([device('V-1', { other: { Address: 'sim' } }), device('P-1', TCP)]).objects as any[];
    for (const o of objects) if (o.kind === 'Device') delete o.spec.protocol.configData.edgexProtocol;
    const virtualOnly = objects.filter((o) => o.kind !== 'Device' || o.metadata.name === 'v-1');
    expect(importKubeEdge(virtualOnly, 'x.yaml', { drivers: DRIVERS }).devices[0].protocols).toEqual({ other: { Address: 'sim' } });
    expect(() => importKubeEdge(objects, 'x.yaml', { drivers: DRIVERS })).toThrow(/spec\.protocol\.configData\.edgexProtocol: give one of modbus-tcp, modbus-rtu/);
  });

  it('leaves DeviceModel.spec.protocol out, with a note, when the devices go to different mappers', () => {
    const result = exported([device('P-1', TCP), device('O-1', { opcua: { Endpoint: 'opc.tcp://plc:4840' } })]);
    expect((result.objects[0] as any).spec.protocol).toBeUndefined();
    expect(result.notes).toContain('the devices go to different mappers (modbus, opcua): DeviceModel.spec.protocol left out');
  });
});

describe('exportKubeEdge: twins and cycles', () => {
  it('writes no desired value for a writable property (an empty one would be a write of "")', () => {
    const properties = deviceOf(exported([device('P-1', TCP)])).spec.properties;
    expect(properties.map((p: { desired?: unknown }) => p.desired)).toEqual([undefined, undefined]);
  });

  it('writes cycles as whole milliseconds, at least 1, with a note when an interval is not', () => {
    const result = exported([
      device('P-1', TCP, { autoEvents: [{ sourceName: 'Level', interval: '250us', onChange: false }, { sourceName: 'Speed', interval: '1500ms', onChange: false }] }),
      device('P-2', TCP, { autoEvents: [{ sourceName: 'Level', interval: '2.6ms', onChange: false }] }),
    ]);
    expect(deviceOf(result, 0).spec.properties.map((p: { collectCycle?: number }) => p.collectCycle)).toEqual([1, 1500]);
    expect(deviceOf(result, 1).spec.properties[0].collectCycle).toBe(3);
    expect(result.notes).toEqual(
      expect.arrayContaining(['P-1: autoEvent Level every 250us is 1 ms (KubeEdge cycles are whole milliseconds)', 'P-2: autoEvent Level every 2.6ms is 3 ms (KubeEdge cycles are whole milliseconds)']),
    );
  });
});

describe('exportKubeEdge: what KubeEdge cannot carry is noted', () => {
  it('notes mappings, defaultValue, a command narrower than its resources, DOWN and a profile without devices', () => {
    const narrow: DeviceProfile = {
      ...profile,
      deviceCommands: [
        { name: 'Read-Speed', isHidden: false, readWrite: 'R', resourceOperations: [{ deviceResource: 'Speed', defaultValue: '5', mappings: { '1': 'on' } }] },
      ],
    };
    const { notes } = exportKubeEdge(narrow, [device('P-1', TCP, { operatingState: 'DOWN' })], { drivers: DRIVERS });
    expect(notes).toEqual(
      expect.arrayContaining([
        "Read-Speed: resourceOperations' mappings have no KubeEdge field; left out",
        "Read-Speed: resourceOperations' defaultValue has no KubeEdge field; left out",
        'Read-Speed: a method has no readWrite; the command comes back RW (its resources\' access), not R',
        "P-1: operatingState DOWN is the mapper's to report; imported back UP",
      ]),
    );
    const alone = exportKubeEdge(profile, [], { drivers: DRIVERS });
    expect(alone.notes).toContain("resource attributes travel as each Device's visitors: with no device of this profile they are left out");
    expect(exported([device('P-1', TCP)]).notes).toEqual([]);
  });
});
