/**
 * A device's security properties checked without connecting and without the
 * OPC UA library (validateDevice): ContractInvalid naming the device and the
 * property (SecurityPolicy, SecurityMode, Username, Password, UserCertificate,
 * UserPrivateKey) or GW_OPCUA_POLICY/GW_OPCUA_MODE.
 */
import type { SecretSources } from '@gw/device-sdk/driver';
import { userIdentity } from './identity';
import { channelSecurity } from './policy';
import type { EndpointSecurityInput, SecuritySettings } from './types';

export function checkEndpointSecurity(
  settings: Pick<SecuritySettings, 'policy' | 'mode'>,
  endpoint: EndpointSecurityInput,
  device?: string,
  sources?: SecretSources,
): void {
  channelSecurity(settings, endpoint, device);
  userIdentity(endpoint, device, sources);
}
