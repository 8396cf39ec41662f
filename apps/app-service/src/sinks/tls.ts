import { readFileSync } from 'node:fs';
import type { SinkLogger } from './sink';
import type { TlsConfig } from './sink-config';

/** The Node TLS options a sink passes to https.Agent or mqtt.js (PEM text). */
export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/**
 * A sink's `tls` section as Node TLS options. Each of ca/cert/key is PEM text
 * or the path of a PEM file: the pipelines loader may already have inlined it
 * (`${file:...}`), or the user wrote a path, so both are accepted. Reads
 * synchronously because this runs once, when the sink is built at boot, where
 * a missing file must stop the service with a clear error.
 */
export function tlsOptions(config: TlsConfig | undefined, read: (path: string) => string = readPem): TlsOptions {
  if (!config) return {};
  const options: TlsOptions = { rejectUnauthorized: config.rejectUnauthorized !== false };
  for (const field of ['ca', 'cert', 'key'] as const) {
    const value = config[field];
    if (value !== undefined) options[field] = pemOrFile(value, field, read);
  }
  if (config.servername !== undefined) options.servername = config.servername;
  return options;
}

/** rejectUnauthorized: false is for test endpoints only; say so whenever a sink uses it. */
/** `logger` is the sink's own (it names the sink on every line). */
export function warnIfInsecure(config: Pick<TlsOptions, 'rejectUnauthorized'> | undefined, logger: SinkLogger): void {
  if (config?.rejectUnauthorized === false) {
    logger.warn({}, 'TLS certificate verification is off (tls.rejectUnauthorized: false): use only for a test endpoint');
  }
}

function pemOrFile(value: string, field: string, read: (path: string) => string): string {
  if (value.includes('-----BEGIN')) return value;
  let text: string;
  try {
    text = read(value);
  } catch (err) {
    // The path is not a secret; the file's content could be, so it never appears here.
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`tls.${field}: cannot read PEM file "${value}" (${reason})`, { cause: err });
  }
  if (!text.includes('-----BEGIN')) throw new Error(`tls.${field}: "${value}" is not a PEM file (no -----BEGIN line)`);
  return text;
}

function readPem(path: string): string {
  return readFileSync(path, 'utf8');
}
