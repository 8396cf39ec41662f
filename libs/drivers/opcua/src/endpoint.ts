/**
 * A device's `opcua` protocol properties, read once per device: EdgeX's
 * `Endpoint`, and beyond EdgeX the per-device security (SecurityPolicy,
 * SecurityMode) and user identity (Username/Password, X.509 user
 * certificate). Devices share a session only when all of it matches, as
 * it takes effect: the same server however the URL is spelt (host case, a
 * trailing /), the policy and mode the channel will use (given per device or
 * by GW_OPCUA_POLICY/MODE), the same identity. The key never holds a
 * password: only a keyed hash of it, with a key made per process.
 * No node-opcua here: validation runs before the library is loaded.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Device, ErrorKind, GatewayError } from '@gw/contracts';
import { SECURITY_MODES, SECURITY_POLICIES, SecurityModeName, SecurityPolicyName } from './descriptor';
import { channelSecurity } from './security/policy';
import type { SecuritySettings } from './security/types';

export const PROTOCOL = 'opcua';

export interface OpcuaEndpoint {
  /** `opc.tcp://host:4840/path` as given. */
  url: string;
  /** What decides session sharing: the server, the channel's security and the identity (no password in it). */
  key: string;
  /** Per-device overrides of GW_OPCUA_POLICY / GW_OPCUA_MODE. */
  securityPolicy?: SecurityPolicyName;
  securityMode?: SecurityModeName;
  /** User identity (beyond EdgeX): a user name and password, or a user certificate and key (file paths). */
  username?: string;
  password?: string;
  userCertFile?: string;
  userKeyFile?: string;
  /** All the device's `opcua` properties as given (the security module reads what it needs). */
  properties: Record<string, unknown>;
}

const invalid = (device: string, message: string) => new GatewayError(ErrorKind.ContractInvalid, `device "${device}": ${message}`);

function optionalText(device: string, props: Record<string, unknown>, name: string): string | undefined {
  const value = props[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(device, `protocol property opcua.${name} must be a text, got ${JSON.stringify(value)}`);
  return value;
}

function oneOfNames<T extends string>(device: string, props: Record<string, unknown>, name: string, allowed: readonly T[]): T | undefined {
  const value = optionalText(device, props, name);
  if (value === undefined) return undefined;
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!found) throw invalid(device, `protocol property opcua.${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return found;
}

const KEY_SECRET = randomBytes(32);
const secretHash = (text: string) => createHmac('sha256', KEY_SECRET).update(text).digest('base64url').slice(0, 22);

/** The server a URL names, spelt one way: host in lower case, no trailing `/`. */
export function serverOf(url: URL): string {
  const path = url.pathname.replace(/\/+$/, '');
  return `opc.tcp://${url.hostname.toLowerCase()}${url.port ? `:${url.port}` : ''}${path}`;
}

/**
 * Reads and checks a device's `opcua` protocol properties; errors name the
 * device and the property. With the service's defaults (GW_OPCUA_POLICY/MODE)
 * the key holds the policy and mode the channel will use, so a device naming
 * the default shares the session of one that leaves it out.
 */
export function parseEndpoint(device: Device, defaults?: Pick<SecuritySettings, 'policy' | 'mode'>): OpcuaEndpoint {
  const props = device.protocols?.[PROTOCOL] as Record<string, unknown> | undefined;
  if (!props) {
    const has = Object.keys(device.protocols ?? {});
    throw invalid(device.name, `protocol properties "opcua" are missing${has.length ? ` (it has ${has.join(', ')})` : ''}; an OPC UA device needs opcua.Endpoint`);
  }
  const url = optionalText(device.name, props, 'Endpoint');
  if (!url) throw invalid(device.name, 'protocol property opcua.Endpoint is missing (e.g. opc.tcp://plc.local:4840)');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(device.name, `protocol property opcua.Endpoint ${JSON.stringify(url)} is not a URL (e.g. opc.tcp://plc.local:4840)`);
  }
  if (parsed.protocol !== 'opc.tcp:' || !parsed.hostname) {
    throw invalid(device.name, `protocol property opcua.Endpoint ${JSON.stringify(url)} must be an opc.tcp://host[:port][/path] URL`);
  }
  if (parsed.port === '0') throw invalid(device.name, `protocol property opcua.Endpoint ${JSON.stringify(url)}: port 0 is not a server port`);
  const securityPolicy = oneOfNames(device.name, props, 'SecurityPolicy', SECURITY_POLICIES);
  const securityMode = oneOfNames(device.name, props, 'SecurityMode', SECURITY_MODES);
  const username = optionalText(device.name, props, 'Username');
  const password = optionalText(device.name, props, 'Password');
  const userCertFile = optionalText(device.name, props, 'UserCertificate');
  const userKeyFile = optionalText(device.name, props, 'UserPrivateKey');
  if (password !== undefined && username === undefined) throw invalid(device.name, 'protocol property opcua.Password is set without opcua.Username');
  if ((userCertFile === undefined) !== (userKeyFile === undefined)) {
    throw invalid(device.name, 'protocol properties opcua.UserCertificate and opcua.UserPrivateKey go together');
  }
  if (username !== undefined && userCertFile !== undefined) {
    throw invalid(device.name, 'protocol properties opcua.Username and opcua.UserCertificate are two identities: give one');
  }
  const identity = username !== undefined ? `user:${username}:${secretHash(password ?? '')}` : userCertFile !== undefined ? `x509:${userCertFile}` : 'anonymous';
  const channel = defaults ? channelSecurity(defaults, { securityPolicy, securityMode }, device.name) : { policy: securityPolicy ?? '', mode: securityMode ?? '' };
  const key = [serverOf(parsed), channel.policy, channel.mode, identity].join('|');
  return { url, key, securityPolicy, securityMode, username, password, userCertFile, userKeyFile, properties: { ...props } };
}
