/**
 * The trust walk-through end to end, through device-opcua with the real
 * driver: a device asking for SignAndEncrypt on a server the gateway does not
 * trust yet fails its command with the message that says how to trust it;
 * the certificate is listed as rejected; trusted over REST, the next
 * reconnect connects and the command reads, with no restart.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, MessageSecurityMode, OPCUACertificateManager, OPCUAServer, SecurityPolicy, setErrorLogger, setWarningLogger } from 'node-opcua';
import { loadDriverSettings } from '@gw/device-sdk/driver-host';
import { opcuaDriver } from '@gw/drivers/opcua';
import { pollUntil } from '../messaging/helpers';
import { RoutesHost, startDeviceOpcua } from './routes-host';

// node-opcua's console output (certificate dumps, PKCS#1 notes) would bury the test output.
setWarningLogger(() => undefined);
setErrorLogger(() => undefined);

const PROFILE = `
name: Secure-Press
deviceResources:
  - name: Temperature
    properties: { valueType: Float64, readWrite: R }
    attributes: { nodeId: "ns=1;s=Press.Temperature" }
`;

let dir: string;
let server: OPCUAServer;
let serverManager: OPCUACertificateManager;
let url: string;
let thumbprint: string;
let host: RoutesHost;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opcua-security-device-'));
  serverManager = new OPCUACertificateManager({ rootFolder: join(dir, 'server-pki'), automaticallyAcceptUnknownCertificate: true });
  await serverManager.initialize();
  server = new OPCUAServer({
    port: 0,
    serverCertificateManager: serverManager,
    // its own user PKI too: node-opcua's default is ~/.config
    userCertificateManager: serverManager,
    securityPolicies: [SecurityPolicy.Basic256Sha256],
    securityModes: [MessageSecurityMode.SignAndEncrypt],
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace!;
  const ns = addressSpace.getOwnNamespace();
  const press = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Press' });
  ns.addVariable({ componentOf: press, browseName: 'Temperature', nodeId: 's=Press.Temperature', dataType: 'Double', value: { dataType: DataType.Double, value: 21.5 } });
  await server.start();
  url = server.getEndpointUrl().replace(/\/\/[^:/]+:/, '//127.0.0.1:');
  thumbprint = new X509Certificate(server.getCertificate()).fingerprint.replace(/:/g, '').toLowerCase();

  const settings = loadDriverSettings(opcuaDriver, {
    GW_OPCUA_PKI_DIR: join(dir, 'gateway-pki'),
    GW_OPCUA_RECONNECT_MIN: '100ms',
    GW_OPCUA_RECONNECT_MAX: '300ms',
    GW_OPCUA_CONNECT_TIMEOUT: '3s',
    GW_OPCUA_REQUEST_TIMEOUT: '3s',
  });
  host = await startDeviceOpcua(await opcuaDriver.create(settings as never));
  const uploaded = await host.rest.upload('POST', PROFILE);
  expect(uploaded.body).toMatchObject({ statusCode: 201 });
  const device = {
    name: 'secure-press',
    serviceName: 'device-opcua',
    profileName: 'Secure-Press',
    adminState: 'UNLOCKED',
    operatingState: 'UP',
    protocols: { opcua: { Endpoint: url, SecurityPolicy: 'Basic256Sha256', SecurityMode: 'SignAndEncrypt' } },
  };
  const added = await host.rest.batch('POST', '/device', 'device', [device]);
  expect(added.body[0]).toMatchObject({ statusCode: 201 });
  await pollUntil(() => host.service.deviceNames().includes('secure-press'), 'device-opcua knows the device');
}, 60_000);

afterAll(async () => {
  await host?.close();
  await server?.shutdown();
  await serverManager?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

it('fails with how to trust the server, lists it as rejected, and reads once it is trusted over REST', async () => {
  const read = () => host.call('GET', '/device/name/secure-press/Temperature');
  // The SDK lists the device before the driver has loaded node-opcua for it (about a second): until then a read is a 404.
  let refused = await read();
  await pollUntil(async () => (refused = await read()).status !== 404, 'the driver has the device');
  expect(refused.status).toBe(503);
  const { message } = (await refused.json()) as { message: string };
  expect(message).toContain(`OPC UA server ${url}: its certificate ${thumbprint}`);
  expect(message).toContain(`PUT /api/v3/opcua/certificates/${thumbprint}/trust`);

  const listed = (await (await host.call('GET', '/opcua/certificates')).json()) as { certificates: Array<{ thumbprint: string; status: string }> };
  expect(listed.certificates).toEqual([expect.objectContaining({ thumbprint, status: 'rejected' })]);

  expect((await host.call('PUT', `/opcua/certificates/${thumbprint}/trust`)).status).toBe(200);
  let answer: { event?: { readings: Array<{ value: string }> } } = {};
  await pollUntil(async () => {
    const res = await read();
    if (res.status !== 200) return false;
    answer = (await res.json()) as typeof answer;
    return true;
  }, 'the command reads once the server is trusted');
  expect(answer.event?.readings[0].value).toBe('2.15e+01');
});
