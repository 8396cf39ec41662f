/**
 * Why a connection to a cloud broker failed, in words an operator can act
 * on, and as a short kind for metrics labels: the broker's CONNACK refusal
 * (MQTT 3.1.1 return codes 1-5, MQTT 5 reason codes), a certificate one side
 * rejected, a name that does not resolve, a port nobody listens on.
 */

export type ConnectionErrorKind =
  | 'not-authorized'
  | 'bad-credentials'
  | 'refused-by-broker'
  | 'certificate'
  | 'tls'
  | 'dns'
  | 'refused'
  | 'timeout'
  | 'network'
  | 'subscribe'
  | 'other';

export const CONNECTION_ERROR_KINDS: readonly ConnectionErrorKind[] = [
  'not-authorized',
  'bad-credentials',
  'refused-by-broker',
  'certificate',
  'tls',
  'dns',
  'refused',
  'timeout',
  'network',
  'subscribe',
  'other',
];

export interface ConnectionError {
  kind: ConnectionErrorKind;
  /** e.g. `not authorized (CONNACK 5)`, `certificate rejected: ...`, `DNS lookup failed for hub.example`. */
  message: string;
}

/** MQTT 3.1.1 CONNACK return codes. */
const CONNACK_3: Record<number, [ConnectionErrorKind, string]> = {
  1: ['refused-by-broker', 'unacceptable protocol version'],
  2: ['refused-by-broker', 'client identifier rejected'],
  3: ['refused-by-broker', 'server unavailable'],
  4: ['bad-credentials', 'bad user name or password'],
  5: ['not-authorized', 'not authorized'],
};
/** MQTT 5 CONNACK reason codes an operator meets. */
const CONNACK_5: Record<number, [ConnectionErrorKind, string]> = {
  0x85: ['refused-by-broker', 'client identifier not valid'],
  0x86: ['bad-credentials', 'bad user name or password'],
  0x87: ['not-authorized', 'not authorized'],
  0x88: ['refused-by-broker', 'server unavailable'],
  0x89: ['refused-by-broker', 'server busy'],
  0x8a: ['not-authorized', 'banned'],
  0x8c: ['bad-credentials', 'bad authentication method'],
  0x9f: ['refused-by-broker', 'connection rate exceeded'],
};

/** Node's codes for a server certificate this side would not accept. */
const SERVER_CERT_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_REVOKED',
]);

export function describeConnectionError(err: unknown, endpoint: string): ConnectionError {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; hostname?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = e.code;
  if (typeof code === 'number') {
    // mqtt.js: a CONNACK refusal carries its return (3.1.1) or reason (5) code.
    const known = CONNACK_3[code] ?? CONNACK_5[code];
    if (known) return { kind: known[0], message: `${known[1]} (CONNACK ${code})` };
    return { kind: 'refused-by-broker', message: `${message} (CONNACK ${code})` };
  }
  const text = typeof code === 'string' ? code : '';
  if (SERVER_CERT_CODES.has(text)) return { kind: 'certificate', message: `server certificate rejected by the gateway: ${message} (${text})` };
  if (/ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_(REQUIRED|EXPIRED|REVOKED|UNKNOWN|UNSUPPORTED)|ACCESS_DENIED)/.test(text) || /alert (bad certificate|unknown ca|certificate)/i.test(message)) {
    return { kind: 'certificate', message: `certificate rejected by ${endpoint}: ${tlsAlert(message)}` };
  }
  if (text.startsWith('ERR_SSL_') || text.startsWith('ERR_TLS_')) return { kind: 'tls', message: `TLS handshake with ${endpoint} failed: ${message}` };
  if (text === 'ENOTFOUND' || text === 'EAI_AGAIN') {
    return { kind: 'dns', message: `DNS lookup failed for ${typeof e.hostname === 'string' ? e.hostname : endpoint} (${text})` };
  }
  if (text === 'ECONNREFUSED') return { kind: 'refused', message: `connection refused by ${endpoint} (nothing listens there)` };
  if (text === 'ETIMEDOUT' || /timed? ?out/i.test(message)) return { kind: 'timeout', message: `no answer from ${endpoint}: ${message}` };
  if (text === 'ECONNRESET' || text === 'EPIPE' || text === 'EHOSTUNREACH' || text === 'ENETUNREACH') {
    return { kind: 'network', message: `${endpoint}: ${message} (${text})` };
  }
  return { kind: 'other', message };
}

/** OpenSSL's alert text without the library noise ("...:SSL routines:...:tlsv13 alert certificate required:..."). */
function tlsAlert(message: string): string {
  const alert = /(sslv3|tlsv1[0-9]*) alert ([a-z ]+)/i.exec(message);
  return alert ? `TLS alert "${alert[2].trim()}"` : message;
}
