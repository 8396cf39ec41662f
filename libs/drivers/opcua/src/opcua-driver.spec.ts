import { loadDriverSettings } from '@gw/device-sdk/driver-host';
import { opcuaDriver } from './descriptor';
import { OpcuaDriver } from './opcua-driver';
import type { OpcuaSettings } from './descriptor';

// A tripwire, not a stand-in: loading the OPC UA library at all fails the test.
jest.mock('node-opcua-client', () => {
  throw new Error('node-opcua-client was loaded');
});

describe('OpcuaDriver without devices', () => {
  it('discover() with no GW_OPCUA_DISCOVERY_ENDPOINTS finds nothing and loads no node-opcua', async () => {
    const settings = loadDriverSettings(opcuaDriver, {}) as unknown as OpcuaSettings;
    expect(settings.discoveryEndpoints ?? []).toEqual([]);
    await expect(new OpcuaDriver(settings).discover()).resolves.toEqual([]);
  });

  it('refuses a profile scan that names no object, or bad options, by the option, before any connection', async () => {
    const driver = new OpcuaDriver(loadDriverSettings(opcuaDriver, {}) as unknown as OpcuaSettings);
    const device = { name: 'Press', protocols: { opcua: { Endpoint: 'opc.tcp://plc:4840' } } } as never;
    const signal = new AbortController().signal;
    await expect(driver.scanProfile(device, {}, signal)).rejects.toThrow('options.nodeId: give the OPC UA object whose variables become the profile\'s resources (device "Press" has no opcua.ObjectNodeId)');
    await expect(driver.scanProfile(device, { nodeId: 'ns=2;s=Press', addressing: 'path' }, signal)).rejects.toThrow('options.addressing: expected nodeId or browsePath');
    await expect(driver.scanProfile(device, { nodeId: 'ns=2;s=Press', nodeIds: 'names' }, signal)).rejects.toThrow('options.nodeIds: expected index or uri');
    await expect(driver.scanProfile(device, { nodeId: 'ns=2;s=Press' }, signal)).rejects.toThrow('device "Press" is not a device of the opcua driver');
  });
});
