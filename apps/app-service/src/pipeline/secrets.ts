/**
 * Secrets in the pipelines file: any string value may hold `${env:NAME}` or
 * `${file:/path}`, alone or embedded (`Bearer ${env:TOKEN}`), resolved when
 * the file is loaded. `$${` stands for a literal `${`. A reference that
 * cannot be resolved is a problem naming the field and the variable or file,
 * never a value; what was resolved is remembered so that later messages can
 * be scrubbed of it and /config-style output can hide those fields.
 */
import { formatPath, PathSegment, Problem } from '@gw/contracts/problems';
import { lookUpSecret, SecretSources } from '@gw/service-kit/config';

export type { SecretSources };

/** A field whose value came (at least partly) from a reference. */
export interface SecretField {
  path: PathSegment[];
  /** The resolved texts, only to scrub them out of messages. */
  values: string[];
}

export interface ResolvedSecrets {
  value: unknown;
  fields: SecretField[];
  problems: Problem[];
  /** Fields whose reference failed: other complaints about them would be noise. */
  failed: PathSegment[][];
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const REDACTED = '***';

export function resolveSecrets(value: unknown, sources: SecretSources): ResolvedSecrets {
  const out: ResolvedSecrets = { value: undefined, fields: [], problems: [], failed: [] };
  const resolveText = (text: string, path: PathSegment[]): string => {
    if (!text.includes('${')) return text;
    const values: string[] = [];
    let ok = true;
    const resolved = text.replace(REFERENCE, (match, body: string | undefined) => {
      if (body === undefined) return '${'; // the `$${` escape
      const result = lookUpSecret(body, sources);
      if ('problem' in result) {
        out.problems.push({ path, message: result.problem });
        ok = false;
        return '';
      }
      values.push(result.value);
      return result.value;
    });
    if (!ok) out.failed.push(path);
    else if (values.length > 0) out.fields.push({ path, values });
    return resolved;
  };
  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === 'string') return resolveText(node, path);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return node;
  };
  out.value = walk(value, []);
  return out;
}

/**
 * Hides resolved secrets in a message about `path`: the field's own values
 * whatever their length, other fields' values when long enough not to
 * mangle ordinary words.
 */
export function scrubSecrets(message: string, path: PathSegment[], fields: SecretField[]): string {
  let out = message;
  for (const field of fields) {
    const own = formatPath('', field.path) === formatPath('', path);
    for (const value of field.values) {
      if (own || value.length >= 4) out = out.split(value).join(REDACTED);
    }
  }
  return out;
}

/** A JSON copy of `value` with the fields at `paths` replaced by `***`. */
export function redactPaths(value: unknown, paths: PathSegment[][]): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  for (const path of paths) {
    let node = copy as Record<PathSegment, unknown> | undefined;
    for (const segment of path.slice(0, -1)) node = node?.[segment] as Record<PathSegment, unknown> | undefined;
    const last = path[path.length - 1];
    if (node && typeof node === 'object' && last !== undefined && node[last] !== undefined) node[last] = REDACTED;
  }
  return copy;
}
