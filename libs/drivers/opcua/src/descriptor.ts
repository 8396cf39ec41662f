/**
 * device-opcua as the hosts see it: name, EdgeX service name and port, its
 * GW_OPCUA_* settings, and a create() that makes the driver WITHOUT loading
 * node-opcua: the client library (0.4-1 s, ~60-70 MB) loads when the first
 * OPC UA device is added, so `npm start` hosts device-opcua idle for free.
 * This module must stay free of node-opcua.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { defineDriver, duration, field, int, oneOf, positiveDuration, text } from '@gw/device-sdk/driver';

/** EdgeX's `OPCUAServer.Policy` values, plus the current RSA policies (the deprecated ones are kept for EdgeX files). */
export const SECURITY_POLICIES = [
  'None',
  'Basic128Rsa15',
  'Basic256',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;
export type SecurityPolicyName = (typeof SECURITY_POLICIES)[number];

/** EdgeX's `OPCUAServer.Mode` values. */
export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type SecurityModeName = (typeof SECURITY_MODES)[number];

/** `GW_OPCUA_DISCOVERY_ENDPOINTS`: opc.tcp URLs separated by spaces, commas or `;`. */
export function parseEndpointList(value: string): string[] | undefined {
  const list = value.split(/[\s,;]+/).filter(Boolean);
  const ok = list.every((entry) => {
    try {
      const u = new URL(entry);
      return u.protocol === 'opc.tcp:' && u.hostname !== '';
    } catch {
      return false;
    }
  });
  return ok ? [...new Set(list)] : undefined;
}

const endpointList = () => field('opc.tcp:// URLs separated by spaces or commas', (v) => parseEndpointList(String(v)));

/** opcua-pki in GW_DATA_DIR, the data folder of the gateway and the app service (default ./data). */
export function defaultPkiDir(env: Record<string, string | undefined> = process.env): string {
  return join(env.GW_DATA_DIR?.trim() || './data', 'opcua-pki');
}

export const opcuaSettings = z.object({
  // --- Security (service-wide, EdgeX's OPCUAServer section; a device's SecurityPolicy/SecurityMode override them) ---
  /** Security policy of the secure channel: EdgeX `OPCUAServer.Policy`. */
  policy: oneOf(SECURITY_POLICIES).default('None'),
  /** Message security mode: EdgeX `OPCUAServer.Mode`. */
  mode: oneOf(SECURITY_MODES).default('None'),
  /** The gateway's application certificate (PEM or DER); unset: the one made in pkiDir on first use (the first OPC UA device or certificate call). */
  certFile: text().optional(),
  /** Its private key (PEM); set together with certFile. */
  keyFile: text().optional(),
  /**
   * PKI folder: own certificate and key, trusted/ and rejected/ server certificates.
   * Unset: opcua-pki in the data folder of the other services (GW_DATA_DIR, default ./data).
   */
  pkiDir: text().default(() => defaultPkiDir()),
  /** Application name in the gateway's certificate and session (its applicationUri is urn:<hostname>:<name>). */
  applicationName: text().default('edge-gateway'),

  // --- Discovery ---
  /** Servers browsed by discovery and the browse API (space or comma separated opc.tcp:// URLs); unset: none. */
  discoveryEndpoints: endpointList().optional(),
  /** Most references one browse returns per node (browse API, profile drafts, discovery); more are cut off and flagged `truncated`. */
  browseMaxReferences: int(1, 10_000).default(1000),
  /** How deep discovery looks for objects below the Objects folder (1: its direct children only). */
  discoveryDepth: int(1, 10).default(2),

  // --- Sessions ---
  /** Longest wait for a TCP connection, secure channel and session to open. */
  connectTimeout: positiveDuration().default('10s'),
  /** Longest wait for the answer to one service call (Read, Write, Call, CreateMonitoredItems...). */
  requestTimeout: positiveDuration().default('10s'),
  /** Session timeout asked of the server: how long it keeps the session (and its subscriptions) after the connection is lost. */
  sessionTimeout: positiveDuration().default('60s'),
  /** How often an idle session is checked by reading the server's state; a failed check counts as a lost connection. */
  keepAliveInterval: positiveDuration().default('5s'),
  /** First wait before connecting again after a connection is lost or refused; doubles per failure, with jitter. */
  reconnectMin: positiveDuration().default('1s'),
  /** Longest wait between connection attempts. */
  reconnectMax: positiveDuration().default('30s'),
  /** maxAge of reads in ms (0 = the server reads the device now, as EdgeX's 2000 would allow a cached value). */
  readMaxAge: duration().default('0'),

  // --- Subscriptions (autoEvents become monitored items) ---
  /** Monitored items per subscription; a device's autoEvents fill subscriptions of their interval up to this size. */
  subscriptionSize: int(1, 100_000).default(1000),
  /** Notifications queued per monitored item on the server between two publishes (1 = latest value only). */
  queueSize: int(1, 10_000).default(1),
  /** Notifications per publish response (0 = as many as the server sends). */
  maxNotificationsPerPublish: int(0, 1_000_000).default(0),
  /** Publish intervals without a notification before the server sends a keep-alive. */
  maxKeepAliveCount: int(1, 1_000).default(10),
  /** Publish intervals without a publish request before the server drops a subscription (at least 3x maxKeepAliveCount). */
  lifetimeCount: int(3, 100_000).default(60),
});

export type OpcuaSettings = z.output<typeof opcuaSettings>;

export const opcuaDriver = defineDriver({
  name: 'opcua',
  serviceName: 'device-opcua',
  defaultPort: 59902,
  // parseEndpoint (endpoint.ts) reads opcua.Endpoint.
  edgexProtocols: ['opcua'],
  // Idles without servers until an OPC UA device is added; node-opcua loads then.
  hostedByDefault: true,
  settings: opcuaSettings,
  async create(settings) {
    const { OpcuaDriver } = await import('./opcua-driver');
    return new OpcuaDriver(settings);
  },
});
