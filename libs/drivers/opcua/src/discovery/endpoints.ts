/**
 * Which servers discovery and the browse API may open a session to: only the
 * configured GW_OPCUA_DISCOVERY_ENDPOINTS, so a REST caller cannot make the
 * gateway connect anywhere on the plant network. Light (no OPC UA library).
 */
import { ErrorKind, GatewayError } from '@gw/contracts';

/** The configured endpoint `given` names (compared as URLs), or the only one when none is given. */
export function allowedEndpoint(configured: readonly string[] | undefined, given: string | undefined): string {
  const list = configured ?? [];
  if (list.length === 0) {
    throw new GatewayError(ErrorKind.ServiceUnavailable, 'no OPC UA server may be browsed: set GW_OPCUA_DISCOVERY_ENDPOINTS (opc.tcp:// URLs)');
  }
  if (given === undefined || given === '') {
    if (list.length === 1) return list[0];
    throw new GatewayError(ErrorKind.ContractInvalid, `query parameter endpoint is required: one of ${list.join(', ')}`);
  }
  const wanted = comparable(given);
  const found = list.find((entry) => comparable(entry) === wanted);
  if (!found) {
    throw new GatewayError(ErrorKind.ContractInvalid, `query parameter endpoint: ${JSON.stringify(given.slice(0, 200))} is not in GW_OPCUA_DISCOVERY_ENDPOINTS (${list.join(', ')})`);
  }
  return found;
}

function comparable(url: string): string {
  try {
    const u = new URL(url.trim());
    return `${u.protocol}//${u.hostname.toLowerCase()}:${u.port || '4840'}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.trim();
  }
}
