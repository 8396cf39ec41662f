/**
 * node-opcua's connection failures that an operator can fix, in words that
 * say how: a server certificate the gateway does not trust yet (thumbprint
 * and the REST call that trusts it), the gateway's certificate refused by
 * the server, a user refused, no endpoint with the policy and mode asked for.
 * Anything else: undefined, and the caller keeps its own message.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { EndpointSecurityInput, Pki } from './types';

/** Where the driver's routes are served (the device service mounts them under its driver's name). */
export const CERTIFICATES_PATH = '/api/v3/opcua/certificates';

const UNTRUSTED = /server certificate verification failed|BadCertificateUntrusted|BadCertificateChainIncomplete|BadCertificateTimeInvalid|BadCertificateIssuer/i;
const OURS_REFUSED = /BadSecurityChecksFailed|BadCertificateUriInvalid|BadCertificateUseNotAllowed|BadCertificateInvalid|BadCertificateRevoked/i;
const USER_REFUSED = /BadIdentityTokenRejected|BadUserAccessDenied|BadIdentityTokenInvalid|BadUserSignatureInvalid/i;
const NO_ENDPOINT = /cannot find an endpoint|BadSecurityPolicyRejected|BadSecurityModeRejected|endpoint.*(not found|does not exist)/i;

export function describeConnectFailure(err: unknown, endpoint: EndpointSecurityInput, pki?: Pki): GatewayError | undefined {
  const text = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  const at = `OPC UA server ${endpoint.url}`;
  if (UNTRUSTED.test(text)) {
    // What the endpoint's certificate check refused last: the details of this failure (a later failure of another kind must not read as this one).
    const refused = pki?.refused.get(endpoint.key);
    if (refused?.thumbprint && /TimeInvalid/.test(refused.status)) {
      return new GatewayError(
        ErrorKind.Communication,
        `${at}: its certificate ${refused.thumbprint} (${refused.subject}) has expired or is not valid yet (${refused.status}): renew it on the server, or check the clocks`,
        { cause: err },
      );
    }
    if (refused?.thumbprint && /ChainIncomplete|Issuer/.test(refused.status)) {
      return new GatewayError(
        ErrorKind.Communication,
        `${at}: its certificate ${refused.thumbprint} (${refused.subject}) comes from a certificate authority the gateway does not know (${refused.status}): ` +
          `copy the CA's certificate into ${pki!.certificateManager.issuersCertFolder} (and trust the CA or this certificate)`,
        { cause: err },
      );
    }
    if (refused?.thumbprint) {
      return new GatewayError(
        ErrorKind.Communication,
        `${at}: its certificate ${refused.thumbprint} (${refused.subject}) is not trusted by the gateway (${refused.status}); ` +
          `it is now in the rejected list. If it is this server's, trust it: PUT ${CERTIFICATES_PATH}/${refused.thumbprint}/trust ` +
          `(or move its file from ${pki!.certificateManager.rejectedFolder} to ${pki!.certificateManager.trustedFolder})`,
        { cause: err },
      );
    }
    return new GatewayError(
      ErrorKind.Communication,
      `${at}: its certificate is not trusted by the gateway; find it in GET ${CERTIFICATES_PATH} (status rejected) and trust it: PUT ${CERTIFICATES_PATH}/<thumbprint>/trust`,
      { cause: err },
    );
  }
  if (OURS_REFUSED.test(text)) {
    return new GatewayError(
      ErrorKind.Communication,
      `${at} refused the gateway's certificate (${code(text)}): download it from GET ${CERTIFICATES_PATH}/own (DER; ?format=pem for PEM) and add it to the server's trusted certificates`,
      { cause: err },
    );
  }
  if (USER_REFUSED.test(text)) {
    const who = endpoint.username ? `user "${endpoint.username}"` : endpoint.userCertFile ? `the user certificate ${endpoint.userCertFile}` : 'anonymous access';
    return new GatewayError(ErrorKind.Communication, `${at} refused ${who} (${code(text)}): check the device's Username/Password (or UserCertificate) protocol properties`, {
      cause: err,
    });
  }
  if (NO_ENDPOINT.test(text)) {
    return new GatewayError(
      ErrorKind.Communication,
      `${at} offers no endpoint with the security policy and mode asked for (${code(text) || 'no matching endpoint'}): check SecurityPolicy/SecurityMode (or GW_OPCUA_POLICY/GW_OPCUA_MODE)`,
      { cause: err },
    );
  }
  return undefined;
}

function code(text: string): string {
  return /Bad[A-Za-z]+/.exec(text)?.[0] ?? '';
}
