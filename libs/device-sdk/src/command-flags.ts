/**
 * EdgeX's `ds-pushevent` and `ds-returnevent` query parameters, read the same
 * way from a REST query and from a bus envelope's queryParams.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { GetOptions } from './command-executor';

export const PUSH_EVENT = 'ds-pushevent';
export const RETURN_EVENT = 'ds-returnevent';

export function commandFlags(params: Record<string, unknown> | undefined): Required<GetOptions> {
  return {
    pushEvent: flag(params, PUSH_EVENT, false),
    returnEvent: flag(params, RETURN_EVENT, true),
  };
}

function flag(params: Record<string, unknown> | undefined, name: string, fallback: boolean): boolean {
  const raw = params?.[name];
  if (raw === undefined || raw === '') return fallback;
  const text = String(raw).toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new GatewayError(ErrorKind.ContractInvalid, `${name} must be true or false, got ${JSON.stringify(raw)}`);
}
