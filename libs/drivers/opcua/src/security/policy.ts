/**
 * Which security policy and message mode a connection uses: the device's
 * SecurityPolicy / SecurityMode protocol properties, else the service-wide
 * GW_OPCUA_POLICY / GW_OPCUA_MODE (EdgeX's OPCUAServer Policy and Mode).
 * Names are checked here, without the OPC UA library, so validateDevice can
 * refuse a device at once with the property named.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import { SECURITY_MODES, SECURITY_POLICIES, SecurityModeName, SecurityPolicyName } from '../descriptor';
import type { EndpointSecurityInput, SecuritySettings } from './types';

export interface ChannelSecurity {
  policy: SecurityPolicyName;
  mode: SecurityModeName;
}

/** The policy and mode of `endpoint`; ContractInvalid naming the property (or setting) at fault. */
export function channelSecurity(
  settings: Pick<SecuritySettings, 'policy' | 'mode'>,
  endpoint: Partial<EndpointSecurityInput>,
  device?: string,
): ChannelSecurity {
  const who = device ? `device "${device}": ` : '';
  const policy = endpoint.securityPolicy !== undefined ? pick(SECURITY_POLICIES, endpoint.securityPolicy, `${who}protocol property SecurityPolicy`) : undefined;
  const mode = endpoint.securityMode !== undefined ? pick(SECURITY_MODES, endpoint.securityMode, `${who}protocol property SecurityMode`) : undefined;
  // One given per device: the other follows it rather than the service-wide value it was not written against.
  const chosen: ChannelSecurity = {
    policy: policy ?? (mode === undefined ? settings.policy : mode === 'None' ? 'None' : settings.policy === 'None' ? 'Basic256Sha256' : settings.policy),
    mode: mode ?? (policy === undefined ? settings.mode : policy === 'None' ? 'None' : settings.mode === 'None' ? 'SignAndEncrypt' : settings.mode),
  };
  if ((chosen.policy === 'None') !== (chosen.mode === 'None')) {
    const where = policy !== undefined || mode !== undefined ? `${who}protocol properties SecurityPolicy/SecurityMode` : 'GW_OPCUA_POLICY/GW_OPCUA_MODE';
    throw new GatewayError(
      ErrorKind.ContractInvalid,
      `${where}: policy ${chosen.policy} with mode ${chosen.mode} is not a combination: use None with None, or Sign / SignAndEncrypt with a policy other than None`,
    );
  }
  return chosen;
}

function pick<T extends string>(names: readonly T[], given: string, what: string): T {
  const found = names.find((n) => n.toLowerCase() === given.trim().toLowerCase());
  if (!found) throw new GatewayError(ErrorKind.ContractInvalid, `${what}: "${given}" is not one of ${names.join(', ')}`);
  return found;
}
