/**
 * A secret named by reference instead of written out: `env:NAME` (an
 * environment variable) or `file:/path` (a Docker or Kubernetes secret file),
 * the inside of a `${...}` in the app-service pipelines file and in a
 * device's protocol properties (an OPC UA Password). Problems name the
 * variable or file, never a value.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface SecretSources {
  env: Record<string, string | undefined>;
  /** Relative `file:` paths are read from here. */
  baseDir: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Resolves the inside of `${...}`: `env:NAME` or `file:/path`. */
export function lookUpSecret(body: string, sources: SecretSources): { value: string } | { problem: string } {
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
