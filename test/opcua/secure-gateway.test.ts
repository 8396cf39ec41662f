/**
 * SignAndEncrypt through the gateway, as an operator meets it: a device on a
 * server the gateway has never seen fails with a message naming the
 * server's certificate thumbprint and the REST call that trusts it; trusted
 * over device-opcua's REST API, the next reconnect attempt (the session
 * pool's backoff, no restart) connects and the command answers.
 */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import type { RunningOpcuaSim } from '../../apps/opcua-sim/src/simulator';
import { call, testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { startSim } from './support';

describe('SignAndEncrypt with an untrusted server, trusted over REST', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-opcua-secure-'));
  let sim: RunningOpcuaSim;
  let gateway: RunningGateway;

  beforeAll(async () => {
    sim = await startSim({ secure: true });
    mkdirSync(join(dir, 'profiles'));
    writeFileSync(
      join(dir, 'profiles', 'p.yaml'),
      stringify({
        name: 'Secure-Counter',
        deviceResources: [{ name: 'Counter', properties: { valueType: 'Int32', readWrite: 'R' }, attributes: { nodeId: 'ns=3;i=1002' } }],
      }),
    );
    mkdirSync(join(dir, 'devices/device-opcua'), { recursive: true });
    writeFileSync(
      join(dir, 'devices/device-opcua/d.yaml'),
      stringify({
        deviceList: [
          {
            name: 'Secure-PLC',
            profileName: 'Secure-Counter',
            protocols: { opcua: { Endpoint: sim.endpointUrl, SecurityPolicy: 'Basic256Sha256', SecurityMode: 'SignAndEncrypt' } },
          },
        ],
      }),
    );
    gateway = await startGateway(
      testGatewayConfig(dir, {
        GW_DEVICE_SERVICES: 'opcua',
        GW_APP_SERVICE: 'false',
        GW_PROFILES_DIR: join(dir, 'profiles'),
        GW_DEVICES_DIR: join(dir, 'devices'),
        // A PKI of its own: the gateway has never met this server.
        GW_OPCUA_PKI_DIR: join(dir, 'opcua-pki'),
        GW_OPCUA_RECONNECT_MIN: '200ms',
        GW_OPCUA_RECONNECT_MAX: '400ms',
      }),
      quietLogger('gateway'),
    );
  });

  afterAll(async () => {
    await gateway?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails clearly, and connects once the server certificate is trusted over REST', async () => {
    const thumbprint = new X509Certificate(sim.server.getCertificate()).fingerprint.replace(/:/g, '').toLowerCase();
    const command = `${gateway.coreCommand.url}/api/v3/device/name/Secure-PLC/Counter`;
    const refused = await call('GET', command);
    expect(refused.status).toBe(503);
    expect(refused.body.message).toContain(thumbprint);
    expect(refused.body.message).toContain(`PUT /api/v3/opcua/certificates/${thumbprint}/trust`);

    const opcua = gateway.deviceServices['device-opcua'].url;
    // The pool retries on its backoff (200-400 ms here): the server sees the session once the certificate is trusted.
    const activated = once(sim.server, 'session_activated', { signal: AbortSignal.timeout(15_000) });
    expect((await call('PUT', `${opcua}/api/v3/opcua/certificates/${thumbprint}/trust`)).status).toBe(200);
    await activated;
    const answer = await call('GET', command);
    expect(answer.status).toBe(200);
    expect(answer.body.event.readings[0]).toMatchObject({ resourceName: 'Counter', valueType: 'Int32' });
  });
});
