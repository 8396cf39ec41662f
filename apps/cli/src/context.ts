import { readFileSync } from 'node:fs';
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

/** A file the user named, with its name for messages (`devices.yaml:12: ...`); `-` reads stdin. */
export function readUserFile(path: string): { name: string; text: string } {
  try {
    return path === '-' ? { name: 'stdin', text: readFileSync(0, 'utf8') } : { name: basename(path), text: readFileSync(path, 'utf8') };
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}
