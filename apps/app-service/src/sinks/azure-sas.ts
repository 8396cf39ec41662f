/**
 * Azure IoT Hub credentials: the connection string and the SAS token derived
 * from it. The key never leaves this module in any message: errors name the
 * part that is wrong, not its value.
 */
import { createHmac } from 'node:crypto';

/** The api-version IoT Hub expects in the MQTT user name. */
export const IOT_HUB_API_VERSION = '2021-04-12';

export interface HubCredentials {
  /** `<hub>.azure-devices.net`: part of every resource URI and user name. */
  hostName: string;
  /** An IoT Edge gateway to connect through instead of the hub (the tokens still name the hub). */
  gatewayHostName?: string;
  /** Set for a device connection string: the sink is this one device. */
  deviceId?: string;
  /** Set for a hub policy (needs DeviceConnect): the sink may act as any device. */
  policyName?: string;
  /** Base64, as the portal shows it. */
  key: string;
}

/** Parses `HostName=…;DeviceId=…;SharedAccessKey=…` or `HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`. */
export function parseConnectionString(text: string): HubCredentials {
  const parts = new Map<string, string>();
  for (const [index, segment] of text.split(';').entries()) {
    if (!segment.trim()) continue;
    const eq = segment.indexOf('=');
    // Keys end in `=` padding, so only the first `=` separates name and value.
    // The segment itself is not quoted: it may be a stray piece of the key.
    if (eq <= 0) throw new Error(`azure connection string: part ${index + 1} is not Name=value`);
    parts.set(segment.slice(0, eq).trim().toLowerCase(), segment.slice(eq + 1).trim());
  }
  const hostName = parts.get('hostname');
  const key = parts.get('sharedaccesskey');
  const deviceId = parts.get('deviceid');
  const policyName = parts.get('sharedaccesskeyname');
  const missing = [!hostName && 'HostName', !key && 'SharedAccessKey'].filter(Boolean);
  if (missing.length) {
    const hint = parts.has('x509') ? ' (X.509 device authentication is not supported here: use a SAS key)' : '';
    throw new Error(`azure connection string: ${missing.join(' and ')} missing${hint}`);
  }
  if (!deviceId && !policyName) {
    throw new Error('azure connection string: needs DeviceId (a device) or SharedAccessKeyName (a hub policy with DeviceConnect)');
  }
  if (deviceId && policyName) {
    throw new Error('azure connection string: has both DeviceId and SharedAccessKeyName; use a device or a hub policy connection string');
  }
  if (parts.has('moduleid')) throw new Error('azure connection string: module identities (ModuleId) are not supported');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key!) || Buffer.from(key!, 'base64').length === 0) {
    throw new Error('azure connection string: SharedAccessKey is not base64');
  }
  return { hostName: hostName!, gatewayHostName: parts.get('gatewayhostname'), deviceId, policyName, key: key! };
}

/** The resource a device's token grants: `<hub>/devices/<id>`. */
export function deviceResourceUri(hostName: string, deviceId: string): string {
  return `${hostName}/devices/${deviceId}`;
}

export interface SasTokenRequest {
  resourceUri: string;
  /** Base64 key from the connection string. */
  key: string;
  /** Seconds since the epoch. */
  expiry: number;
  /** Hub policy name (`skn`); omitted for a device key. */
  policyName?: string;
}

/** `SharedAccessSignature sr=…&sig=…&se=…[&skn=…]`, signed over `<url-encoded uri>\n<expiry>`. */
export function createSasToken({ resourceUri, key, expiry, policyName }: SasTokenRequest): string {
  const sr = encodeURIComponent(resourceUri);
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${expiry}`).digest('base64');
  const skn = policyName ? `&skn=${encodeURIComponent(policyName)}` : '';
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiry}${skn}`;
}

/** The MQTT user name IoT Hub expects from a device. */
export function mqttUserName(hostName: string, deviceId: string): string {
  return `${hostName}/${deviceId}/?api-version=${IOT_HUB_API_VERSION}`;
}
