import { loadDriverSettings } from '@gw/device-sdk/driver-host';
import { opcuaDriver } from './descriptor';
import type { OpcuaSettings } from './descriptor';
import { OpcuaDriver } from './opcua-driver';

// What loads node-opcua first must route its console output (W27 and the like) to the driver's logger.
const calls: string[] = [];
jest.mock('./library-logs', () => ({ routeLibraryLogs: () => calls.push('routeLibraryLogs') }));
jest.mock('./security', () => ({
  createPki: async () => {
    calls.push('createPki');
    throw new Error('no PKI in this test');
  },
}));

describe('OpcuaDriver: node-opcua logs', () => {
  it('routes them before the PKI is made (a certificate route loads node-opcua with it)', async () => {
    const driver = new OpcuaDriver(loadDriverSettings(opcuaDriver, {}) as unknown as OpcuaSettings);
    const trust = driver.routes().find((r) => r.method === 'PUT' && r.path.endsWith('/trust'))!;
    await expect(trust.handle({ params: { thumbprint: 'a'.repeat(40) }, query: {}, body: undefined })).rejects.toThrow('no PKI in this test');
    expect(calls).toEqual(['routeLibraryLogs', 'createPki']);
  });
});
