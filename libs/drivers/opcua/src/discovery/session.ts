/**
 * A short session for browsing: opened to one configured server with the
 * service-wide security (GW_OPCUA_POLICY/MODE, anonymous), bounded by
 * GW_OPCUA_CONNECT_TIMEOUT (to open) and GW_OPCUA_REQUEST_TIMEOUT (for all the
 * work done in it), closed afterwards.
 * A server that cannot be reached is a 503 saying so; an untrusted server
 * certificate is explained as for devices.
 */
import { ErrorKind, GatewayError, withTimeout } from '@gw/contracts';
import { ClientSession, OPCUAClient } from 'node-opcua-client';
import type { OpcuaSettings } from '../descriptor';
import { clientSecurityOptions, describeConnectFailure, Pki } from '../security';

export interface BrowseDeps {
  settings: OpcuaSettings;
  pki(): Promise<Pki>;
}

/** Browse sessions open at once, over all servers; more is a 503 (a REST client cannot pile sessions onto a PLC). */
export const MAX_BROWSE_SESSIONS = 4;
let open = 0;

export async function withBrowseSession<T>(deps: BrowseDeps, url: string, work: (session: ClientSession) => Promise<T>): Promise<T> {
  if (open >= MAX_BROWSE_SESSIONS) {
    throw new GatewayError(ErrorKind.ServiceUnavailable, `${MAX_BROWSE_SESSIONS} OPC UA browse sessions are open already: try again when they are done`);
  }
  open++;
  try {
    return await browse(deps, url, work);
  } finally {
    open--;
  }
}

async function browse<T>(deps: BrowseDeps, url: string, work: (session: ClientSession) => Promise<T>): Promise<T> {
  const { settings } = deps;
  const pki = await deps.pki();
  const endpoint = { url, key: `browse ${url}` };
  const { client: options, userIdentity } = await clientSecurityOptions(settings, pki, endpoint);
  const client = OPCUAClient.create({
    ...options,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 100 },
    requestedSessionTimeout: settings.connectTimeout + settings.requestTimeout,
  });
  let session: ClientSession | undefined;
  try {
    try {
      await withTimeout(client.connect(url), settings.connectTimeout, `OPC UA server ${url}`, { kind: ErrorKind.ServiceUnavailable });
      session = await withTimeout(client.createSession(userIdentity), settings.connectTimeout, `OPC UA server ${url} session`, { kind: ErrorKind.ServiceUnavailable });
    } catch (err) {
      if (GatewayError.is(err)) throw err;
      throw describeConnectFailure(err, endpoint, pki) ?? new GatewayError(ErrorKind.ServiceUnavailable, `OPC UA server ${url} cannot be reached: ${(err as Error).message}`, { cause: err });
    }
    // One bound for the whole browse or draft: several calls, each small.
    return await withTimeout(work(session), settings.requestTimeout, `OPC UA server ${url} browsing`);
  } finally {
    await session?.close().catch(() => undefined);
    await client.disconnect().catch(() => undefined);
  }
}
