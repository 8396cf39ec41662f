/**
 * What OPCUAClient.create and createSession need for one endpoint: channel
 * security (policy, mode), the gateway's certificate and key, and the user
 * identity. The certificate manager handed to the client is a view of the
 * shared one that remembers a server certificate it refused, under the
 * endpoint's key, so the failure can name the certificate to trust.
 */
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import {
  extractFirstCertificateInChain,
  MessageSecurityMode,
  OPCUAClientOptions,
  SecurityPolicy,
  UserIdentityInfo,
  UserTokenType,
} from 'node-opcua-client';
import { describeCertificate } from './certificate-info';
import { userIdentity } from './identity';
import { channelSecurity } from './policy';
import type { SecretSources } from '@gw/device-sdk/driver';
import type { EndpointSecurityInput, Pki, SecuritySettings } from './types';

export interface ClientSecurity {
  client: Partial<OPCUAClientOptions>;
  userIdentity?: UserIdentityInfo;
}

export async function clientSecurityOptions(
  settings: SecuritySettings,
  pki: Pki,
  endpoint: EndpointSecurityInput,
  device?: string,
  sources?: SecretSources,
): Promise<ClientSecurity> {
  const { policy, mode } = channelSecurity(settings, endpoint, device);
  const identity = userIdentity(endpoint, device, sources);
  const client: Partial<OPCUAClientOptions> = {
    securityPolicy: SecurityPolicy[policy],
    securityMode: MessageSecurityMode[mode],
    clientCertificateManager: recordingView(pki, endpoint.key),
    certificateFile: pki.certificateFile,
    privateKeyFile: pki.privateKeyFile,
    applicationName: pki.applicationName,
    applicationUri: pki.applicationUri,
  };
  switch (identity.kind) {
    case 'username':
      return { client, userIdentity: { type: UserTokenType.UserName, userName: identity.userName, password: identity.password } };
    case 'certificate':
      return { client, userIdentity: { type: UserTokenType.Certificate, certificateData: identity.certificate, privateKey: identity.privateKey } };
    default:
      return { client, userIdentity: { type: UserTokenType.Anonymous } };
  }
}

type Check = OPCUACertificateManager['checkCertificate'];

/**
 * The shared manager, but for checkCertificate, which also notes its verdict
 * in pki.refused. A Proxy rather than a subclass: the manager keeps private
 * fields, so its methods must run on the manager itself.
 */
function recordingView(pki: Pki, key: string): OPCUACertificateManager {
  const manager = pki.certificateManager;
  const check = async (chain: Parameters<Check>[0]) => {
    const status = await manager.checkCertificate(chain);
    if (status.isGood()) pki.refused.delete(key);
    else {
      try {
        const first = extractFirstCertificateInChain(Array.isArray(chain) ? chain[0] : chain);
        const info = describeCertificate(Buffer.from(first as Uint8Array));
        pki.refused.set(key, { thumbprint: info.thumbprint, subject: info.subject, status: status.name });
      } catch {
        pki.refused.set(key, { thumbprint: '', subject: '', status: status.name });
      }
    }
    return status;
  };
  const checkCertificate = (chain: Parameters<Check>[0], callback?: (err: Error | null, status?: unknown) => void) => {
    const result = check(chain);
    if (!callback) return result;
    result.then((status) => callback(null, status), (err: Error) => callback(err));
    return undefined;
  };
  return new Proxy(manager, {
    get(target, property) {
      if (property === 'checkCertificate') return checkCertificate;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
