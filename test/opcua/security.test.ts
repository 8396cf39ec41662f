/**
 * OPC UA security against an in-process node-opcua server: the gateway's PKI
 * and certificate, an untrusted server certificate refused with a message
 * that says how to trust it, trusted over REST, then every policy and mode,
 * user name / password and X.509 user identities. The clients are made from
 * clientSecurityOptions as the session pool makes them.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { AttributeIds, OPCUAClient, StatusCodes } from 'node-opcua-client';
import { MessageSecurityMode, OPCUAServer, SecurityPolicy, setErrorLogger, setWarningLogger } from 'node-opcua';
import { GatewayError } from '@gw/contracts';
import { opcuaSettings, OpcuaSettings } from '../../libs/drivers/opcua/src/descriptor';
import { clientSecurityOptions, createPki, describeConnectFailure, EndpointSecurityInput, Pki } from '../../libs/drivers/opcua/src/security';
import { securityRoutes } from '../../libs/drivers/opcua/src/security/routes';
import { RoutesHost, startRoutesHost } from './routes-host';

const POLICIES = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
const MODES = ['Sign', 'SignAndEncrypt'] as const;

// node-opcua's console output (certificate dumps, PKCS#1 notes) would bury the test output.
setWarningLogger(() => undefined);
setErrorLogger(() => undefined);

let dir: string;
let server: OPCUAServer;
let serverManager: OPCUACertificateManager;
let userManager: OPCUACertificateManager;
let endpointUrl: string;
let serverThumbprint: string;
let settings: OpcuaSettings;
let pki: Pki | undefined;
let host: RoutesHost;

const pkiOnce = () => (pki ? Promise.resolve(pki) : createPki(settings).then((made) => (pki = made)));
const endpoint = (extra: Partial<EndpointSecurityInput> = {}): EndpointSecurityInput => ({ url: endpointUrl, key: JSON.stringify(extra), ...extra });

/** Connects as the session pool does, reads the server's state, disconnects; the error on failure. */
async function connectAndRead(input: EndpointSecurityInput, withPki?: Pki): Promise<Error | undefined> {
  const { client: options, userIdentity } = await clientSecurityOptions(settings, withPki ?? (await pkiOnce()), input);
  const client = OPCUAClient.create({ ...options, endpointMustExist: false, connectionStrategy: { maxRetry: 0, initialDelay: 10 } });
  try {
    await client.connect(input.url);
    const session = await client.createSession(userIdentity);
    const state = await session.read({ nodeId: 'i=2259', attributeId: AttributeIds.Value });
    expect(state.statusCode).toBe(StatusCodes.Good);
    await session.close();
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    await client.disconnect();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opcua-security-'));
  serverManager = new OPCUACertificateManager({ rootFolder: join(dir, 'server-pki'), automaticallyAcceptUnknownCertificate: true });
  userManager = new OPCUACertificateManager({ rootFolder: join(dir, 'server-user-pki'), automaticallyAcceptUnknownCertificate: true });
  await serverManager.initialize();
  await userManager.initialize();
  server = new OPCUAServer({
    port: 0,
    serverCertificateManager: serverManager,
    userCertificateManager: userManager,
    securityPolicies: [SecurityPolicy.None, ...POLICIES.map((p) => SecurityPolicy[p])],
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    userManager: { isValidUser: (user: string, password: string) => user === 'operator' && password === 'correct horse' },
  });
  await server.initialize();
  await server.start();
  endpointUrl = server.getEndpointUrl().replace(/\/\/[^:/]+:/, '//127.0.0.1:');
  serverThumbprint = new X509Certificate(server.getCertificate()).fingerprint.replace(/:/g, '').toLowerCase();
  settings = opcuaSettings.parse({ pkiDir: join(dir, 'gateway-pki'), policy: 'Basic256Sha256', mode: 'SignAndEncrypt' });
  host = await startRoutesHost({ routes: () => securityRoutes({ pki: pkiOnce, logger: { info: () => undefined, warn: () => undefined } }) });
}, 60_000);

afterAll(async () => {
  await host?.close();
  await server?.shutdown();
  await pki?.dispose();
  await serverManager?.dispose();
  await userManager?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const json = async (res: Response) => (await res.json()) as Record<string, any>;

describe('the gateway PKI', () => {
  it('makes the application certificate on first start and keeps it, with its applicationUri from the certificate', async () => {
    const first = await pkiOnce();
    const again = await createPki(settings);
    try {
      expect(again.certificateFile).toBe(first.certificateFile);
      expect(readFileSync(again.certificateFile)).toEqual(readFileSync(first.certificateFile));
      expect(first.certificateFile.startsWith(join(dir, 'gateway-pki'))).toBe(true);
      const certificate = new X509Certificate(readFileSync(first.certificateFile));
      expect(certificate.subjectAltName).toContain(`URI:${first.applicationUri}`);
      expect(certificate.checkPrivateKey(createPrivateKey(readFileSync(first.privateKeyFile)))).toBe(true);
    } finally {
      await again.dispose();
    }
  });

  it("takes EdgeX's CertFile/KeyFile instead, and refuses a key that is not the certificate's", async () => {
    const other = new OPCUACertificateManager({ rootFolder: join(dir, 'edgex-cert'), automaticallyAcceptUnknownCertificate: false });
    await other.initialize();
    const certFile = join(dir, 'edgex-cert', 'device-opcua.pem');
    await other.createSelfSignedCertificate({ applicationUri: 'urn:edgex:device-opcua', subject: '/CN=device-opcua', dns: [], startDate: new Date(), validity: 30, outputFile: certFile });
    await other.dispose();
    const configured = await createPki({ ...settings, pkiDir: join(dir, 'edgex-pki'), certFile, keyFile: other.privateKey });
    try {
      expect(configured).toMatchObject({ certificateFile: certFile, privateKeyFile: other.privateKey, applicationUri: 'urn:edgex:device-opcua' });
      await configured.certificateManager.trustCertificate(server.getCertificate());
      // SignAndEncrypt: the handshake signs with this key and the server checks it against this certificate
      expect(await connectAndRead(endpoint({ securityPolicy: 'Basic256Sha256', securityMode: 'SignAndEncrypt' }), configured)).toBeUndefined();
    } finally {
      await configured.dispose();
    }
    await expect(createPki({ ...settings, pkiDir: join(dir, 'edgex-pki'), certFile, keyFile: (await pkiOnce()).privateKeyFile })).rejects.toThrow(
      `invalid configuration: GW_OPCUA_KEY_FILE: ${(await pkiOnce()).privateKeyFile} is not the key of ${certFile}`,
    );
    await expect(createPki({ ...settings, pkiDir: join(dir, 'edgex-pki'), certFile })).rejects.toThrow('GW_OPCUA_CERT_FILE and GW_OPCUA_KEY_FILE are set together');
  });

  it('serves its certificate for import into a server, DER and PEM', async () => {
    const own = new X509Certificate(readFileSync((await pkiOnce()).certificateFile));
    const der = await host.call('GET', '/opcua/certificates/own');
    expect(der.headers.get('content-type')).toBe('application/pkix-cert');
    expect(Buffer.from(await der.arrayBuffer())).toEqual(own.raw);
    const pem = await host.call('GET', '/opcua/certificates/own?format=pem');
    expect(await pem.text()).toBe(own.toString());
    expect((await host.call('GET', '/opcua/certificates/own?format=p12')).status).toBe(400);
  });

  it('shows the trust list and the own certificate from the folder without making the PKI (an idle gateway)', async () => {
    const made = await pkiOnce();
    const routes = securityRoutes({ settings, pki: () => Promise.reject(new Error('the PKI was made')), logger: { info: () => undefined, warn: () => undefined } });
    const call = (path: string, query: object = {}) => routes.find((r) => r.method === 'GET' && r.path === path)!.handle({ params: {}, query, body: undefined });
    const list = (await call('certificates')) as { json: { own: { thumbprint: string; applicationUri: string } } };
    expect(list.json.own.thumbprint).toBe(new X509Certificate(readFileSync(made.certificateFile)).fingerprint.replace(/:/g, '').toLowerCase());
    expect(list.json.own.applicationUri).toBe(made.applicationUri);
    const der = (await call('certificates/own', { format: 'der' })) as { content: Uint8Array };
    expect(Buffer.from(der.content)).toEqual(new X509Certificate(readFileSync(made.certificateFile)).raw);
  });

  it('needs the API key for the trust list', async () => {
    const res = await fetch(`${host.service.url}/api/v3/opcua/certificates`);
    expect(res.status).toBe(401);
  });
});

describe('trusting a server certificate', () => {
  it('refuses an untrusted server with a message naming its thumbprint and the REST call; trusted over REST, it connects', async () => {
    const err = await connectAndRead(endpoint());
    expect(err).toBeDefined();
    const explained = describeConnectFailure(err, endpoint(), pki);
    expect(explained).toBeInstanceOf(GatewayError);
    expect(explained!.message).toContain(`its certificate ${serverThumbprint}`);
    expect(explained!.message).toContain(`PUT /api/v3/opcua/certificates/${serverThumbprint}/trust`);

    const listed = await json(await host.call('GET', '/opcua/certificates'));
    expect(listed.certificates).toEqual([
      expect.objectContaining({ thumbprint: serverThumbprint, status: 'rejected', validity: 'valid', subject: expect.stringContaining('CN=') }),
    ]);
    expect(listed.own.thumbprint).toMatch(/^[0-9a-f]{40}$/);

    const trusted = await host.call('PUT', `/opcua/certificates/${serverThumbprint}/trust`);
    expect(trusted.status).toBe(200);
    expect((await json(trusted)).certificate).toMatchObject({ thumbprint: serverThumbprint, status: 'trusted' });
    expect(await connectAndRead(endpoint())).toBeUndefined();
    expect((await json(await host.call('GET', '/opcua/certificates'))).certificates).toEqual([expect.objectContaining({ thumbprint: serverThumbprint, status: 'trusted' })]);
  });

  it('rejects and forgets certificates by thumbprint; a rejected server no longer connects', async () => {
    // as servers and tools often print it: upper case, with colons
    const printed = serverThumbprint.toUpperCase().match(/../g)!.join(':');
    expect((await host.call('PUT', `/opcua/certificates/${printed}/reject`)).status).toBe(200);
    expect(describeConnectFailure(await connectAndRead(endpoint()), endpoint(), pki)?.message).toContain('is not trusted by the gateway');
    expect((await host.call('DELETE', `/opcua/certificates/${serverThumbprint}`)).status).toBe(200);
    expect((await json(await host.call('GET', '/opcua/certificates'))).certificates).toEqual([]);
    expect((await host.call('DELETE', `/opcua/certificates/${serverThumbprint}`)).status).toBe(404);
    const bad = await host.call('PUT', '/opcua/certificates/not-a-thumbprint/trust');
    expect(bad.status).toBe(400);
    expect((await json(bad)).message).toContain('is not 40 hexadecimal digits');
    // seen again: rejected again, then trusted for the tests below
    await connectAndRead(endpoint());
    expect((await host.call('PUT', `/opcua/certificates/${serverThumbprint}/trust`)).status).toBe(200);
  });
});

describe('a server that does not trust the gateway yet', () => {
  let strict: OPCUAServer | undefined;
  let strictManager: OPCUACertificateManager | undefined;
  afterAll(async () => {
    await strict?.shutdown();
    await strictManager?.dispose();
  });

  it('is explained as our certificate refused, and connects once the downloaded certificate is imported into it', async () => {
    strictManager = new OPCUACertificateManager({ rootFolder: join(dir, 'strict-pki'), automaticallyAcceptUnknownCertificate: false });
    await strictManager.initialize();
    strict = new OPCUAServer({ port: 0, serverCertificateManager: strictManager, userCertificateManager: strictManager, securityPolicies: [SecurityPolicy.Basic256Sha256], securityModes: [MessageSecurityMode.SignAndEncrypt] });
    await strict.initialize();
    await strict.start();
    const strictUrl = strict.getEndpointUrl().replace(/\/\/[^:/]+:/, '//127.0.0.1:');
    const strictEndpoint: EndpointSecurityInput = { url: strictUrl, key: 'strict' };
    // the gateway trusts the server (as above), so only the server's side is missing
    await connectAndRead(strictEndpoint);
    const thumbprint = new X509Certificate(strict.getCertificate()).fingerprint.replace(/:/g, '');
    expect((await host.call('PUT', `/opcua/certificates/${thumbprint}/trust`)).status).toBe(200);

    const explained = describeConnectFailure(await connectAndRead(strictEndpoint), strictEndpoint, pki);
    expect(explained?.message).toMatch(new RegExp(`^OPC UA server ${strictUrl.replace(/\./g, '\\.')} refused the gateway's certificate \\(Bad\\w+\\): download it from GET /api/v3/opcua/certificates/own`));

    const own = Buffer.from(await (await host.call('GET', '/opcua/certificates/own')).arrayBuffer());
    await strictManager.trustCertificate(own);
    expect(await connectAndRead(strictEndpoint)).toBeUndefined();
  });
});

describe('policies, modes and identities', () => {
  const combinations = [['None', 'None'], ...POLICIES.flatMap((p) => MODES.map((m) => [p, m]))];

  it.each(combinations)('%s / %s connects', async (securityPolicy, securityMode) => {
    expect(await connectAndRead(endpoint({ securityPolicy, securityMode }))).toBeUndefined();
  });

  it('accepts a user name with its password from a secret reference', async () => {
    process.env.GW_TEST_OPCUA_PASSWORD = 'correct horse';
    try {
      expect(await connectAndRead(endpoint({ username: 'operator', password: '${env:GW_TEST_OPCUA_PASSWORD}' }))).toBeUndefined();
    } finally {
      delete process.env.GW_TEST_OPCUA_PASSWORD;
    }
  });

  it('refuses a wrong password clearly', async () => {
    const input = endpoint({ username: 'operator', password: 'wrong' });
    const explained = describeConnectFailure(await connectAndRead(input), input, pki);
    expect(explained?.message).toMatch(/refused user "operator" \(Bad\w+\): check the device's Username\/Password/);
    expect(explained?.message).not.toContain('wrong');
  });

  it('accepts an X.509 user identity', async () => {
    const user = new OPCUACertificateManager({ rootFolder: join(dir, 'user'), automaticallyAcceptUnknownCertificate: false });
    await user.initialize();
    const userCertFile = join(dir, 'user', 'user.pem');
    await user.createSelfSignedCertificate({ applicationUri: 'urn:test:user', subject: '/CN=operator', dns: [], startDate: new Date(), validity: 30, outputFile: userCertFile });
    await user.dispose();
    expect(await connectAndRead(endpoint({ userCertFile, userKeyFile: user.privateKey }))).toBeUndefined();
  });
});
