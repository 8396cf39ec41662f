/**
 * Secrets in the pipelines file: any string value may hold `${env:NAME}` or
 * `${file:/path}`, alone or embedded (`Bearer ${env:TOKEN}`), resolved when
 * the file is loaded. `$${` stands for a literal `${`. A reference that
 * cannot be resolved is a problem naming the field and the variable or file,
 * never a value; what was resolved is remembered so that later messages can
 * be scrubbed of it and /config-style output can hide those fields.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatPath, PathSegment, Problem } from '@gw/contracts/problems';

export interface SecretSources {
  env: Record<string, string | undefined>;
  /** Relative `${file:...}` paths are read from here. */
  baseDir: string;
}

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
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REDACTED = '***';

export function resolveSecrets(value: unknown, sources: SecretSources): ResolvedSecrets {
  const out: ResolvedSecrets = { value: undefined, fields: [], problems: [], failed: [] };
  const resolveText = (text: string, path: PathSegment[]): string => {
    if (!text.includes('${')) return text;
    const values: string[] = [];
    let ok = true;
    const resolved = text.replace(REFERENCE, (match, body: string | undefined) => {
      if (body === undefined) return '${'; // the `$${` escape
      const result = lookUp(body, sources);
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

function lookUp(body: string, sources: SecretSources): { value: string } | { problem: string } {
  const colon = body.indexOf(':');
  const scheme = colon < 0 ? '' : body.slice(0, colon);
  const name = body.slice(colon + 1);
  if (scheme === 'env') {
    if (!ENV_NAME.test(name)) return { problem: `\${env:${name}} does not name an environment variable` };
    const value = sources.env[name];
    // An empty variable is what compose passes for one unset on the host: almost always a mistake.
    return value ? { value } : { problem: `environment variable ${name} is not set (or is empty)` };
  }
  if (scheme === 'file') {
    if (name === '') return { problem: '${file:} needs a path' };
    try {
      // Secret files (Docker, Kubernetes) usually end with a newline nobody meant as part of the secret.
      return { value: readFileSync(resolve(sources.baseDir, name), 'utf8').replace(/[\r\n]+$/, '') };
    } catch (err) {
      return { problem: `secret file ${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  }
  // Never echo the text: it may be a literal secret that happens to contain `${`.
  return { problem: 'unknown reference: write ${env:NAME} or ${file:/path} (or $${ for a literal ${)' };
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
