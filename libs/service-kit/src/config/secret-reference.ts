/**
 * A secret named by reference instead of written out: `env:NAME` (an
 * environment variable), `file:/path` (a Docker or Kubernetes secret file) or
 * `secret:NAME/KEY` (a secret stored in the service's own store with POST
 * /api/v3/secret), the inside of a `${...}` in the app-service pipelines file
 * and in a device's protocol properties (an OPC UA Password). Problems name
 * the variable, file or secret, never a value.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface SecretSources {
  env: Record<string, string | undefined>;
  /** Relative `file:` paths are read from here. */
  baseDir: string;
  /** The service's own secrets (POST /api/v3/secret), for `secret:NAME/KEY`. */
  store?: SecretReader;
}

/** Reads a stored secret by name: its key/value pairs, or undefined. */
export interface SecretReader {
  read(name: string): Record<string, string> | undefined;
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
  if (scheme === 'secret') {
    const slash = name.lastIndexOf('/');
    if (slash <= 0 || slash === name.length - 1) return { problem: '${secret:NAME/KEY} names a stored secret and one of its keys' };
    if (!sources.store) return { problem: 'no secret store here for ${secret:...}' };
    const [secretName, key] = [name.slice(0, slash), name.slice(slash + 1)];
    const stored = sources.store.read(secretName);
    if (!stored) return { problem: `secret ${secretName} is not stored (POST /api/v3/secret to this service)` };
    return Object.hasOwn(stored, key) ? { value: stored[key] } : { problem: `secret ${secretName} has no key ${key}` };
  }
  // Never echo the text: it may be a literal secret that happens to contain `${`.
  return { problem: 'unknown reference: write ${env:NAME}, ${file:/path} or ${secret:NAME/KEY} (or $${ for a literal ${)' };
}
