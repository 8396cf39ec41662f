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
});
