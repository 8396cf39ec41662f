import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { CommandClient, EdgeXHttpClient, MetadataClient } from '@gw/clients';
import { CliConfig, loadCliConfig, servicesOf } from './config';
import { UsageError } from './failure';
import { createOutput, Output } from './output';

/**
 * What every command gets: settings read once (at the first command that
 * needs them, so `gw --help` works with a wrong variable), clients of the
 * services, and the output in the chosen format.
 */
export class CliContext {
  private loaded?: CliConfig;

  constructor(private readonly env: Record<string, string | undefined> = process.env) {}

  get config(): CliConfig {
    this.loaded ??= loadCliConfig(this.env);
    return this.loaded;
  }

  services() {
    return this.loaded ? servicesOf(this.loaded) : [];
  }

  metadata(): MetadataClient {
    return new MetadataClient(this.clientOptions(this.config.metadataUrl));
  }

  commands(): CommandClient {
    return new CommandClient(this.clientOptions(this.config.coreCommandUrl));
  }

  appService(): EdgeXHttpClient {
    return new EdgeXHttpClient(this.clientOptions(this.config.appServiceUrl));
  }

  /** The output of the command being run: --json anywhere on the line switches to JSON. */
  output(command: Command): Output {
    return createOutput(Boolean(command.optsWithGlobals().json));
  }

  private clientOptions(baseUrl: string) {
    return { baseUrl, apiKey: this.config.apiKey, timeoutMs: this.config.requestTimeout };
  }
}

/** Largest file `-f` reads (a profile or device file; the services take 4 MiB bodies by default). */
export const MAX_USER_FILE_BYTES = 16 * 1024 * 1024;

/** A file the user named, with its name for messages (`devices.yaml:12: ...`); `-` reads stdin. At most MAX_USER_FILE_BYTES. */
export function readUserFile(path: string, limit = MAX_USER_FILE_BYTES): { name: string; text: string } {
  let fd: number | undefined;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - size));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      size += n;
      if (size > limit) throw new UsageError(`cannot read ${path}: larger than ${limit / 1024 / 1024} MiB`);
    }
    return { name: path === '-' ? 'stdin' : basename(path), text: Buffer.concat(chunks).toString('utf8') };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  } finally {
    if (fd !== undefined && fd !== 0) closeSync(fd);
  }
}
