import { ErrorKind, GatewayError } from './errors';

/** EdgeX's command query parameters: also publish the reading as an event / answer with the event. */
export const PUSH_EVENT = 'ds-pushevent';
export const RETURN_EVENT = 'ds-returnevent';

/**
 * Reads one of those flags the same way in core-command and in device
 * services: absent or empty takes the fallback, `true`/`false` in any case,
 * anything else is a 400 naming the parameter. Stricter than readBoolFlag on
 * purpose: EdgeX's core-command accepts only "true" and "false" here (v3
 * dropped v2's yes/no), and a client must get the same answer from both.
 */
export function readEventFlag(params: Record<string, unknown> | undefined, name: string, fallback: boolean): boolean {
  const raw = params?.[name];
  if (raw === undefined || raw === '') return fallback;
  const text = typeof raw === 'string' || typeof raw === 'boolean' ? String(raw).toLowerCase() : '';
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new GatewayError(ErrorKind.ContractInvalid, `query parameter ${name} must be "true" or "false", got ${JSON.stringify(raw)}`);
}

const TRUE = new Set(['1', 't', 'true']);
const FALSE = new Set(['0', 'f', 'false']);

/**
 * A boolean query flag as EdgeX's Go services read most (cast.ToBool, i.e.
 * strconv.ParseBool: 1, t, T, true, TRUE, True and their false forms), in any
 * case; absent or empty takes the fallback. EdgeX reads anything else as
 * false without a word; here it is a 400 naming the parameter, so a typo
 * never silently flips a flag.
 */
export function readBoolFlag(raw: unknown, name: string, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw === 'boolean') return raw;
  const text = typeof raw === 'string' ? raw.toLowerCase() : '';
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw new GatewayError(ErrorKind.ContractInvalid, `query parameter ${name} must be true or false (or 1/0, t/f), got ${JSON.stringify(raw)}`);
}
