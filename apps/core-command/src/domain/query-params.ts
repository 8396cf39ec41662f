import { ErrorKind, GatewayError, PUSH_EVENT, RETURN_EVENT, readEventFlag } from '@gw/contracts';

export type CommandMethod = 'get' | 'set';

export { PUSH_EVENT, RETURN_EVENT };

const GET_DEFAULTS: Record<string, boolean> = { [PUSH_EVENT]: false, [RETURN_EVENT]: true };

/**
 * The query parameters forwarded to the device service. Every parameter is
 * passed on (EdgeX forwards e.g. `jsonObject` untouched); for a GET,
 * ds-pushevent and ds-returnevent are checked and always set, so the device
 * service never has to guess a default.
 */
export function commandQueryParams(method: CommandMethod, raw: Record<string, unknown> | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new GatewayError(ErrorKind.ContractInvalid, `query parameter ${name} must be given once, as text`);
    }
    params[name] = value;
  }
  if (method === 'get') {
    // Checked here and always sent, normalised, so the device service never has to guess a default.
    for (const [name, fallback] of Object.entries(GET_DEFAULTS)) params[name] = String(readEventFlag(raw, name, fallback));
  }
  return params;
}
