/**
 * TLS handshakes that no retry will fix: the broker's certificate is not
 * trusted (or not for this host), the broker wants or refuses our client
 * certificate, or the port does not speak TLS. Connecting fails at once with
 * the reason instead of retrying until the connect timeout.
 */

// Node's codes for a peer certificate that did not verify (tls.TLSSocket's authorizationError).
const NOT_TRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Why a connection attempt failed for good in the TLS handshake, or undefined for any other failure. */
export function tlsRefusal(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, reason, message } = err as { code?: unknown; reason?: unknown; message?: unknown };
  if (typeof code !== 'string') return undefined;
  if (NOT_TRUSTED.has(code)) {
    return (
      `the broker's TLS certificate is not accepted: ${String(message)} (${code}); ` +
      'the bus TLS CA (GW_BUS_TLS_CA) must be the CA that signed it, and it must name the host of the bus URL'
    );
  }
  if (!code.startsWith('ERR_SSL_')) return undefined;
  // OpenSSL's message is a line of internals; its reason is the readable part.
  const why = `the TLS handshake failed: ${typeof reason === 'string' ? reason : String(message).trim()} (${code})`;
  if (/CERTIFICATE_REQUIRED/.test(code)) return `${why}; the broker wants a client certificate (GW_BUS_TLS_CERT and GW_BUS_TLS_KEY)`;
  if (/ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN)/.test(code)) return `${why}; the broker does not accept the client certificate`;
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG/.test(code)) return `${why}; is this a TLS port?`;
  return why;
}
