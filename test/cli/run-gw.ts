/** Runs the real `gw` (bin/gw.js, the built CLI in dist/) as a user's shell does: its own process, only the GW_* variables given. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { requireFreshBuild } from '../support/fresh-build';

export const GW = join(__dirname, '../../bin/gw.js');

export interface GwResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The sources the CLI runs from: a stale build would test old code. */
export function requireFreshCliBuild(): void {
  requireFreshBuild('apps/cli', 'libs/clients', 'libs/contracts', 'libs/service-kit/src/config', 'libs/messaging', 'libs/kubeedge-dmi', 'libs/drivers', 'libs/device-sdk/src/driver');
}

/** `gw args...` with `env` (and PATH; nothing else of this process's environment): exit code and output. */
export function gw(args: string[], env: Record<string, string>, options: { stdin?: string } = {}): Promise<GwResult> {
  return new Promise((resolve) => {
    const child = execFile(GW, args, { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    else child.stdin?.end();
  });
}
