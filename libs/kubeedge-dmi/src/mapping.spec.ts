import { ErrorKind } from '@gw/contracts';
import { encodeConfigData } from './any-value';
import { deviceFromDmi, edgexName, kubeedgeTagOf, profileFromModel, withVisitors } from './mapping';

/** The modbus driver's EdgeX protocol keys (its DriverDescriptor.edgexProtocols). */
const MODBUS = ['modbus-tcp', 'modbus-rtu'];

describe('KubeEdge objects as EdgeX ones', () => {
  it('names objects of the default namespace by their name, others namespace~name', () => {
    expect(edgexName({ namespace: 'default', name: 'pump' })).toBe('pump');
    expect(edgexName({ namespace: 'plant-a', name: 'pump' })).toBe('plant-a~pump');
  });

  it('turns a model into a profile: types, access modes, limits, units', () => {
    const profile = profileFromModel({
      name: 'meter',
      namespace: 'default',
      spec: {
        properties: [
          { name: 'count', type: 'INT', accessMode: 'ReadOnly', minimum: '0', maximum: '1000' },
          { name: 'ratio', type: 'float', accessMode: 'ReadWrite', unit: '%' },
          { name: 'energy', type: 'DOUBLE' },
          { name: 'label', type: 'STRING' },
          { name: 'on', type: 'BOOLEAN' },
          { name: 'blob', type: 'BYTES', accessMode: 'ReadOnly' },
        ],
      },
    });
    expect(profile.name).toBe('meter');
    expect(profile.labels).toEqual(['kubeedge']);
    expect(profile.deviceResources.map((r) => [r.name, r.properties.valueType, r.properties.readWrite])).toEqual([
      ['count', 'Int64', 'R'],
      ['ratio', 'Float32', 'RW'],
      ['energy', 'Float64', 'RW'],
      ['label', 'String', 'RW'],
      ['on', 'Bool', 'RW'],
      ['blob', 'Binary', 'R'],
    ]);
    expect(profile.deviceResources[0].properties).toMatchObject({ minimum: 0, maximum: 1000 });
    expect(profile.deviceResources[1].properties.units).toBe('%');
  });

  it('refuses a bad model naming the model, the property and the field', () => {
    const bad = (property: object) => () => profileFromModel({ name: 'm', namespace: 'ns', spec: { properties: [{ name: 'p', type: 'INT', ...property }] } });
    expect(bad({ type: 'DECIMAL' })).toThrow(expect.objectContaining({ kind: ErrorKind.ContractInvalid, message: expect.stringContaining('device model ns/m: spec.properties[0] (p).type') }));
    expect(bad({ accessMode: 'Sometimes' })).toThrow(/\(p\)\.accessMode: expected ReadWrite or ReadOnly, got "Sometimes"/);
    expect(bad({ maximum: 'lots' })).toThrow(/\(p\)\.maximum: expected a number, got "lots"/);
    expect(() => profileFromModel({ name: '', spec: {} })).toThrow(/device model: name is empty/);
  });

  it('turns a device into a device of this service: protocol, autoEvents from cycles, visitors, desired values, its KubeEdge identity', () => {
    const mapped = deviceFromDmi(
      {
        name: 'boiler',
        namespace: 'plant',
        spec: {
          deviceModelReference: 'thermostat',
          // As gw export kubeedge writes it: protocolName the mapper (driver), the EdgeX protocol in configData.edgexProtocol.
          protocol: { protocolName: 'modbus', configData: encodeConfigData({ edgexProtocol: 'modbus-tcp', Address: '10.0.0.7', Port: 502 }) },
          properties: [
            { name: 'temperature', collectCycle: 2000, reportToCloud: true, visitors: { protocolName: 'modbus', configData: encodeConfigData({ primaryTable: 'HOLDING_REGISTERS', startingAddress: 3 }) } },
            { name: 'setpoint', reportCycle: 500, desired: { value: '42' } },
            { name: 'mode' },
          ],
        },
      },
      'device-modbus',
      MODBUS,
    );
    expect(mapped.device).toMatchObject({
      name: 'plant~boiler',
      serviceName: 'device-modbus',
      profileName: 'plant~thermostat',
      protocols: { 'modbus-tcp': { Address: '10.0.0.7', Port: 502 } },
      autoEvents: [
        { sourceName: 'temperature', interval: '2000ms', onChange: false },
        { sourceName: 'setpoint', interval: '500ms', onChange: false },
      ],
    });
    expect(mapped.device.protocols).toEqual({ 'modbus-tcp': { Address: '10.0.0.7', Port: 502 } }); // edgexProtocol is not a protocol property
    expect(kubeedgeTagOf(mapped.device)).toEqual({ namespace: 'plant', name: 'boiler', deviceModel: 'thermostat' });
    expect(mapped.visitors).toEqual({ temperature: { primaryTable: 'HOLDING_REGISTERS', startingAddress: 3 } });
    expect(mapped.desired).toEqual({ setpoint: '42' });
    expect(mapped.reported).toEqual(['temperature']);
    expect(mapped.twinCycleMs).toBe(2000); // twins go every collectCycle (KubeEdge's TwinData.Run); reportCycle is the pushMethod's
    expect(mapped.reportsState).toBe(false); // no spec.stateReport: no status.reportToCloud
    const fast = deviceFromDmi({ name: 'f', spec: { deviceModelReference: 'm', properties: [{ name: 'a', collectCycle: 1, reportToCloud: true }, { name: 'b', reportToCloud: true }] }, status: { reportToCloud: true } }, 'd', ['other']);
    expect(fast.device.autoEvents).toEqual([
      { sourceName: 'a', interval: '100ms', onChange: false },
      { sourceName: 'b', interval: '1000ms', onChange: false },
    ]);
    expect(fast.problems).toEqual([expect.stringContaining('a cycle of 1 ms is read every 100 ms')]);
    expect(fast.twinCycleMs).toBe(100);
    expect(fast.reportsState).toBe(true);
    expect(() => deviceFromDmi({ name: 'x', spec: {} }, 'device-modbus', MODBUS)).toThrow(/device default\/x: spec.deviceModelReference is empty/);
  });

  it("takes the device's EdgeX protocol from configData.edgexProtocol, else the protocolName the driver reads, else the driver's only one; refuses one the driver does not read", () => {
    const device = (protocolName: string, configData: Record<string, unknown>) => ({
      name: 'd',
      namespace: 'ns',
      spec: { deviceModelReference: 'm', protocol: { protocolName, configData: encodeConfigData(configData) } },
    });
    const protocols = (protocolName: string, configData: Record<string, unknown>, keys: readonly string[]) => deviceFromDmi(device(protocolName, configData), 's', keys).device.protocols;
    expect(protocols('modbus', { edgexProtocol: 'modbus-rtu', Address: '/dev/ttyS0' }, MODBUS)).toEqual({ 'modbus-rtu': { Address: '/dev/ttyS0' } });
    expect(protocols('virtual', { address: 'a' }, ['other'])).toEqual({ other: { address: 'a' } });
    expect(protocols('opcua', { Endpoint: 'opc.tcp://plc:4840' }, ['opcua'])).toEqual({ opcua: { Endpoint: 'opc.tcp://plc:4840' } });
    expect(protocols('ble', { Address: 'aa:bb' }, ['BLE', 'ble'])).toEqual({ ble: { Address: 'aa:bb' } });
    const refused = (protocolName: string, configData: Record<string, unknown>, keys: readonly string[]) => () => deviceFromDmi(device(protocolName, configData), 's', keys);
    expect(refused('modbus', { Address: '10.0.0.7' }, MODBUS)).toThrow(
      expect.objectContaining({ kind: ErrorKind.ContractInvalid, message: expect.stringMatching(/^device ns\/d: spec\.protocol\.configData\.edgexProtocol: give one of modbus-tcp, modbus-rtu/) }),
    );
    expect(refused('modbus', { edgexProtocol: 'modbus-udp' }, MODBUS)).toThrow(/configData\.edgexProtocol: "modbus-udp" is not a protocol this driver reads \(modbus-tcp, modbus-rtu\)/);
    expect(refused('virtual', { edgexProtocol: 'modbus-tcp' }, ['other'])).toThrow(/configData\.edgexProtocol: "modbus-tcp" is not a protocol this driver reads \(other\)/);
    expect(refused('modbus', { edgexProtocol: 7 }, MODBUS)).toThrow(/configData\.edgexProtocol: expected an EdgeX protocol name, got 7/);
    expect(refused('modbus', { edgexProtocol: '' }, MODBUS)).toThrow(/configData\.edgexProtocol: expected an EdgeX protocol name, got ""/);
  });

  it("gives resources without attributes a device's visitors, and names those that differ from the profile's", () => {
    const profile = profileFromModel({ name: 'm', spec: { properties: [{ name: 'a', type: 'INT' }, { name: 'b', type: 'INT' }] } });
    const first = withVisitors(profile, { a: { register: 1 } });
    expect(first.changed).toBe(true);
    expect(first.profile.deviceResources[0].attributes).toEqual({ register: 1 });
    const second = withVisitors(first.profile, { a: { register: 2 }, b: { register: 3 } });
    expect(second.conflicts).toEqual(['a']);
    expect(second.profile.deviceResources.map((r) => r.attributes)).toEqual([{ register: 1 }, { register: 3 }]);
  });
});
