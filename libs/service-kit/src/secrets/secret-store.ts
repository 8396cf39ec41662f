/**
 * A service's own secrets (EdgeX's POST /api/v3/secret): named sets of
 * key/value pairs a client puts and the service reads, never served back over
 * REST. Kept in one JSON file per service under the data folder
 * (`<GW_DATA_DIR>/secrets/<service>.json`), readable by the service's user
 * only (0600, folder 0700), replaced atomically on every change (written
 * aside, then renamed), bounded in count and size. A local stand-in for
 * EdgeX's Vault/OpenBao secret store on a gateway that has none.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { SecretReader } from '../config/secret-reference';

/** At most this many named secrets per service: enough for every device and sink credential, bounded against abuse. */
export const MAX_SECRETS = 1_000;

type SecretFile = Record<string, Record<string, string>>;

export class FileSecretStore implements SecretReader {
  readonly file: string;
  private secrets?: SecretFile;
  private writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string, serviceName: string) {
    this.file = join(dataDir, 'secrets', `${serviceName}.json`);
  }

  /** Stores (or replaces) the secret `name`. */
  put(name: string, data: Record<string, string>): Promise<void> {
    // One change at a time: each reads what the previous one wrote.
    const next = this.writing.then(async () => {
      const secrets = { ...(await this.load()) };
      if (!Object.hasOwn(secrets, name) && Object.keys(secrets).length >= MAX_SECRETS) {
        throw new GatewayError(ErrorKind.PayloadTooLarge, `this service keeps at most ${MAX_SECRETS} secrets`);
      }
      secrets[name] = { ...data };
      await this.save(secrets);
      this.secrets = secrets;
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** The secret `name`, or undefined. */
  async get(name: string): Promise<Record<string, string> | undefined> {
    await this.writing;
    const secrets = await this.load();
    return Object.hasOwn(secrets, name) ? { ...secrets[name] } : undefined;
  }

  /** The secret `name` as stored now, read at once (for `${secret:NAME/KEY}` references, resolved where they are used). */
  read(name: string): Record<string, string> | undefined {
    if (!this.secrets) {
      try {
        this.secrets = JSON.parse(readFileSync(this.file, 'utf8')) as SecretFile;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new GatewayError(ErrorKind.Unknown, `the secret store ${this.file} cannot be read: ${(err as Error).message}`);
      }
    }
    return Object.hasOwn(this.secrets, name) ? { ...this.secrets[name] } : undefined;
  }

  private async load(): Promise<SecretFile> {
    if (this.secrets) return this.secrets;
    try {
      this.secrets = JSON.parse(await readFile(this.file, 'utf8')) as SecretFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new GatewayError(ErrorKind.Unknown, `the secret store ${this.file} cannot be read: ${(err as Error).message}`);
      }
      this.secrets = {};
    }
    return this.secrets;
  }

  private async save(secrets: SecretFile): Promise<void> {
    const dir = dirname(this.file);
    const aside = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      await writeFile(aside, JSON.stringify(secrets), { mode: 0o600 });
      await rename(aside, this.file);
    } catch (err) {
      throw new GatewayError(ErrorKind.Unknown, `the secret could not be stored in ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (is GW_DATA_DIR writable?)`);
    }
  }
}
