/**
 * `npm start` as a user types it: time from the command to core-data,
 * core-metadata and core-command all answering ping, on an unchanged tree
 * (nothing to build) and after one source file changed (the quick build of
 * bin/build-if-changed.js runs first). Fresh data folder and free ports.
 * Env: BENCH_START_RUNS (5).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DRIVERS } from '@gw/drivers';
import { servicePortVariable } from '@gw/device-sdk/driver-host';

const RUNS = Number(process.env.BENCH_START_RUNS ?? 5);
const root = resolve(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.once('error', fail);
  });
}

async function answers(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/api/v3/ping`)).status === 200;
  } catch {
    return false;
  }
}

/** ms from `npm start` to the three core services answering ping. */
async function timeStart(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-start-'));
  const ports = { data: await freePort(), metadata: await freePort(), command: await freePort() };
  const env = {
    ...process.env,
    GW_DATA_DIR: dataDir,
    GW_HOST: '127.0.0.1',
    GW_CORE_DATA_PORT: String(ports.data),
    GW_METADATA_PORT: String(ports.metadata),
    GW_CORE_COMMAND_PORT: String(ports.command),
    ...Object.fromEntries(DRIVERS.map((driver) => [servicePortVariable(driver), '0'])),
    GW_APP_SERVICE_PORT: '0',
    GW_CONSOLE_PORT: '0',
  };
  const started = performance.now();
  const child = spawn('npm', ['start'], { cwd: root, env, stdio: 'ignore', detached: true });
  const exited = new Promise((done) => child.once('exit', done));
  try {
    for (;;) {
      const up = await Promise.all([answers(ports.data), answers(ports.metadata), answers(ports.command)]);
      if (up.every(Boolean)) return performance.now() - started;
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const touched = join(root, 'libs/contracts/src/duration.ts');
  const now = new Date();
  utimesSync(touched, now, now);
  const changed = await timeStart();
  const unchanged: number[] = [];
  for (let i = 0; i < RUNS; i++) unchanged.push(await timeStart());
  unchanged.sort((a, b) => a - b);
  console.log(`start-after-change: ${Math.round(changed)} ms (one source file touched: quick build, then start)`);
  console.log(`start-unchanged-max: ${Math.round(unchanged[unchanged.length - 1])} ms (of ${RUNS})`);
  console.log(`start-unchanged-median: ${Math.round(unchanged[Math.floor(RUNS / 2)])} ms (npm start to ping on core-data, metadata, core-command)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
