/**
 * The configuration as GET /api/v3/config shows it: a JSON copy with every
 * secret replaced by `***`. A value is secret when its field was marked with
 * secret() (on the config itself or on any object inside it, such as a
 * device service's `driverSettings`), when its key looks like one (password,
 * secret, token, key), or when it is the credential part of a URL or
 * connection string inside any value.
 */
import { redactCredentials } from '@gw/contracts';
import { secretKeysOf } from './config';

export const REDACTED = '***';

const SECRET_KEY = /password|passwd|secret|token|key|credential/i;

/** URL passwords and `password=`-style pairs inside a text replaced by `***`. */
export const redactString: (value: string) => string = redactCredentials;

/**
 * A JSON-safe deep copy of `config` with secrets replaced. `secretKeys` adds
 * keys to hide; `only`, when given, keeps just those top-level keys (a
 * service's own settings out of a shared config), picked after redaction.
 */
export function redactConfig(config: object, secretKeys: Iterable<string> = [], only?: readonly string[]): Record<string, unknown> {
  const redacted = redactValue(config, new Set(secretKeys)) as Record<string, unknown>;
  if (!only) return redacted;
  return Object.fromEntries(only.filter((key) => Object.hasOwn(redacted, key)).map((key) => [key, redacted[key]]));
}

/**
 * `inherited`: keys hidden at every depth below. Each object adds the keys its
 * own secret() marks name (a loaded config or settings object carries them), so
 * nested settings stay hidden whatever copies were made of the objects above them.
 */
function redactValue(value: unknown, inherited: Set<string>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, inherited));
  if (value instanceof Date) return value.toISOString();
  if (value instanceof URL) return redactString(value.toString());
  if (value && typeof value === 'object') {
    const own = secretKeysOf(value);
    const marked = own.length ? new Set([...inherited, ...own]) : inherited;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function') continue;
      out[key] = (marked.has(key) || SECRET_KEY.test(key)) && v !== null ? REDACTED : redactValue(v, marked);
    }
    return out;
  }
  return typeof value === 'bigint' ? value.toString() : value;
}
