/**
 * `gw device list` as a user types it: wall time from starting the command
 * (bin/gw.js through its #! line, as the shell and `npx gw` run it) to its
 * exit, against a running one-process gateway (its own process, free ports,
 * the sample devices), on an unchanged build. Also `gw --help` (start-up
 * without a request), `npx gw device list` (npm's own start-up on top, which
 * reads the checkout's whole node_modules tree), and plain `node -e 0` for
 * scale; the load average is printed with them (the figures move with it).
 * Env: BENCH_CLI_RUNS (20).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DRIVERS } from '@gw/drivers';
import { servicePortVariable } from '@gw/device-sdk/driver-host';
import { freePort } from './support/free-port';
import { gatewayNodeArgs, ROOT } from './support/gateway-command';

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 20);
const GW = join(ROOT, 'bin/gw.js');

async function answers(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/api/v3/ping`)).status === 200;
  } catch {
    return false;
  }
}

/** ms from spawning `command args` to its exit (it must exit 0). */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function summary(name: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `${name}: median ${at(0.5).toFixed(0)} ms, p90 ${at(0.9).toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms (${samples.length} runs)`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-cli-'));
  const metadataPort = await freePort();
  const env = {
    ...process.env,
    GW_DATA_DIR: dataDir,
    GW_HOST: '127.0.0.1',
    GW_LOG_LEVEL: 'warn',
    GW_METADATA_PORT: String(metadataPort),
    GW_CORE_DATA_PORT: '0',
    GW_CORE_COMMAND_PORT: '0',
    GW_APP_SERVICE_PORT: '0',
    GW_CONSOLE_PORT: '0',
    ...Object.fromEntries(DRIVERS.map((driver) => [servicePortVariable(driver), '0'])),
  };
  const gateway = spawn(process.execPath, gatewayNodeArgs(), { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    while (!(await answers(metadataPort))) {
      if (gateway.exitCode !== null) throw new Error(`gateway exited with ${gateway.exitCode}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const cliEnv = { PATH: process.env.PATH, HOME: process.env.HOME, GW_METADATA_URL: `http://127.0.0.1:${metadataPort}` };
    timed(GW, ['device', 'list'], cliEnv); // warm the file cache once
    const node = Array.from({ length: RUNS }, () => timed(process.execPath, ['-e', '0'], cliEnv));
    const help = Array.from({ length: RUNS }, () => timed(GW, ['--help'], cliEnv));
    const gw = Array.from({ length: RUNS }, () => timed(GW, ['device', 'list'], cliEnv));
    const npx = Array.from({ length: Math.max(3, Math.round(RUNS / 4)) }, () => timed('npx', ['--offline', 'gw', 'device', 'list'], cliEnv));
    console.log(`load-average: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min; this machine has 2 cores)`);
    console.log(summary('node-e-0', node));
    console.log(summary('gw-help', help));
    console.log(summary('npx-gw-device-list', npx));
    console.log(summary('gw-device-list', gw));
  } finally {
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
