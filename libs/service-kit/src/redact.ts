/**
 * The configuration as GET /api/v3/config shows it: a JSON copy with every
 * secret replaced by `***`. A value is secret when its field was marked with
 * secret(), when its key looks like one (password, secret, token, key), or when
 * it is the credential part of a URL or connection string inside any value.
 */
import { secretKeysOf } from './config';

export const REDACTED = '***';

const SECRET_KEY = /password|passwd|secret|token|key|credential/i;
/** `scheme://user:password@host` -> `scheme://user:***@host`. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi;
/** `...;SharedAccessKey=abc;...` in Azure-style connection strings, `password=x` in DSNs. */
const INLINE_SECRET = /((?:^|[;&?\s])[\w.-]*(?:password|pwd|secret|token|key)[\w.-]*=)[^;&\s]*/gi;

export function redactString(value: string): string {
  return value.replace(URL_CREDENTIALS, `$1:${REDACTED}@`).replace(INLINE_SECRET, `$1${REDACTED}`);
}

/** A JSON-safe deep copy of `config` with secrets replaced. `secretKeys` adds keys to hide. */
export function redactConfig(config: object, secretKeys: Iterable<string> = []): Record<string, unknown> {
  const marked = new Set([...secretKeysOf(config), ...secretKeys]);
  return redactValue(config, marked) as Record<string, unknown>;
}

function redactValue(value: unknown, marked: Set<string>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, marked));
  if (value instanceof Date) return value.toISOString();
  if (value instanceof URL) return redactString(value.toString());
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function') continue;
      out[key] = (marked.has(key) || SECRET_KEY.test(key)) && v !== null ? REDACTED : redactValue(v, marked);
    }
    return out;
  }
  return typeof value === 'bigint' ? value.toString() : value;
}
