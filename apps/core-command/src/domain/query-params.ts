import { ErrorKind, GatewayError } from '@gw/contracts';

export type CommandMethod = 'get' | 'set';

export const PUSH_EVENT = 'ds-pushevent';
export const RETURN_EVENT = 'ds-returnevent';

/** EdgeX v3 takes only these two spellings (v2's yes/no are gone). */
const FLAGS = new Set(['true', 'false']);
const GET_DEFAULTS: Record<string, string> = { [PUSH_EVENT]: 'false', [RETURN_EVENT]: 'true' };

/**
 * The query parameters forwarded to the device service. Every parameter is
 * passed on (EdgeX forwards e.g. `jsonObject` untouched); for a GET,
 * ds-pushevent and ds-returnevent are checked and always set, so the device
 * service never has to guess a default.
 */
export function commandQueryParams(method: CommandMethod, raw: Record<string, unknown> | undefined): Record<string, string> {
  const params: Record<string, string> = method === 'get' ? { ...GET_DEFAULTS } : {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new GatewayError(ErrorKind.ContractInvalid, `query parameter ${name} must be given once, as text`);
    }
    if (method === 'get' && name in GET_DEFAULTS && !FLAGS.has(value)) {
      throw new GatewayError(ErrorKind.ContractInvalid, `query parameter ${name} must be "true" or "false", got "${value}"`);
    }
    params[name] = value;
  }
  return params;
}
