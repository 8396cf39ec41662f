import { ErrorKind, GatewayError } from './errors';

/** EdgeX's command query parameters: also publish the reading as an event / answer with the event. */
export const PUSH_EVENT = 'ds-pushevent';
export const RETURN_EVENT = 'ds-returnevent';

/**
 * Reads one of those flags the same way in core-command and in device
 * services: absent or empty takes the fallback, `true`/`false` in any case,
 * anything else is a 400 naming the parameter.
 */
export function readEventFlag(params: Record<string, unknown> | undefined, name: string, fallback: boolean): boolean {
  const raw = params?.[name];
  if (raw === undefined || raw === '') return fallback;
  const text = typeof raw === 'string' || typeof raw === 'boolean' ? String(raw).toLowerCase() : '';
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new GatewayError(ErrorKind.ContractInvalid, `query parameter ${name} must be "true" or "false", got ${JSON.stringify(raw)}`);
}
