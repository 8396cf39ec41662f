import { ErrorKind } from '@gw/contracts';
import { describeConnectFailure } from './connect-failure';
import type { Pki } from './types';

const endpoint = { url: 'opc.tcp://plc:4840', key: 'k', username: 'op' };
const pki = {
  refused: new Map([['k', { thumbprint: 'ab'.repeat(20), subject: 'CN=plc', status: 'BadCertificateUntrusted' }]]),
  certificateManager: { rejectedFolder: '/pki/rejected', trustedFolder: '/pki/trusted/certs' },
} as unknown as Pki;

describe('describeConnectFailure', () => {
  it('names the refused server certificate, how to trust it and where it lies', () => {
    const err = describeConnectFailure(new Error('server Certificate verification failed with err BadCertificateUntrusted (0x801a0000)'), endpoint, pki);
    expect(err?.kind).toBe(ErrorKind.Communication);
    expect(err?.message).toBe(
      `OPC UA server opc.tcp://plc:4840: its certificate ${'ab'.repeat(20)} (CN=plc) is not trusted by the gateway (BadCertificateUntrusted); it is now in the rejected list. ` +
        `If it is this server's, trust it: PUT /api/v3/opcua/certificates/${'ab'.repeat(20)}/trust (or move its file from /pki/rejected to /pki/trusted/certs)`,
    );
  });

  it('says to renew an expired certificate and to add an unknown CA, rather than to trust', () => {
    const refusedFor = (status: string) =>
      ({ ...pki, refused: new Map([['k', { thumbprint: 'cd'.repeat(20), subject: 'CN=plc', status }]]), certificateManager: { issuersCertFolder: '/pki/issuers/certs' } }) as unknown as Pki;
    const failure = new Error('server Certificate verification failed with err X');
    expect(describeConnectFailure(failure, endpoint, refusedFor('BadCertificateTimeInvalid'))?.message).toContain('has expired or is not valid yet (BadCertificateTimeInvalid): renew it on the server');
    expect(describeConnectFailure(failure, endpoint, refusedFor('BadCertificateChainIncomplete'))?.message).toContain("copy the CA's certificate into /pki/issuers/certs");
  });

  it('still says what to do without the certificate at hand', () => {
    expect(describeConnectFailure(new Error('BadCertificateUntrusted'), endpoint)?.message).toContain('find it in GET /api/v3/opcua/certificates (status rejected)');
  });

  it.each([
    ['BadSecurityChecksFailed (0x80130000)', "refused the gateway's certificate (BadSecurityChecksFailed): download it from GET /api/v3/opcua/certificates/own"],
    ['ActivateSession failed: BadUserAccessDenied', 'refused user "op" (BadUserAccessDenied): check the device\'s Username/Password'],
    ['BadIdentityTokenRejected', 'refused user "op" (BadIdentityTokenRejected)'],
    ['cannot find an endpoint matching security mode: SignAndEncrypt policy: Aes256_Sha256_RsaPss', 'offers no endpoint with the security policy and mode asked for'],
  ])('%s', (message, expected) => {
    expect(describeConnectFailure(new Error(message), endpoint)?.message).toContain(expected);
  });

  it('leaves other failures to the caller, even after a refused certificate', () => {
    expect(describeConnectFailure(new Error('connect ECONNREFUSED 127.0.0.1:4840'), endpoint)).toBeUndefined();
    expect(describeConnectFailure(new Error('connect ECONNREFUSED 127.0.0.1:4840'), endpoint, pki)).toBeUndefined();
  });
});
