/**
 * The one-process gateway as a newcomer starts it: time from process start to
 * "gateway ready" (every service listening, resource folders loaded), and
 * resident memory after it has idled, with its sample devices running.
 *
 * Runs the built gateway (dist/apps/gateway/src/main.js, built by bench/run.js)
 * as a child process with a fresh data folder and free ports.
 * Env: BENCH_GATEWAY_IDLE_MS (5000).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { DRIVERS } from '@gw/drivers';
import { servicePortVariable } from '@gw/device-sdk/driver-host';
import { gatewayNodeArgs, ROOT } from './support/gateway-command';

const IDLE_MS = Number(process.env.BENCH_GATEWAY_IDLE_MS ?? 5000);

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(field + ':'));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-gateway-'));
  const env = {
    ...process.env,
    GW_DATA_DIR: dataDir,
    GW_HOST: '127.0.0.1',
    GW_LOG_LEVEL: 'info',
    GW_METADATA_PORT: '0',
    GW_CORE_COMMAND_PORT: '0',
    GW_CORE_DATA_PORT: '0',
    GW_APP_SERVICE_PORT: '0',
    GW_CONSOLE_PORT: '0',
    ...Object.fromEntries(DRIVERS.map((driver) => [servicePortVariable(driver), '0'])),
  };
  const started = performance.now();
  // The same V8 flags as `npm start` (read from package.json, so the two cannot drift apart).
  const child = spawn(process.execPath, gatewayNodeArgs(), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const readyMs = await new Promise<number>((resolveReady, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (line.includes('"gateway ready"')) resolveReady(performance.now() - started);
      });
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code} before it was ready`)));
    });
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const rssMb = statusKb(child.pid!, 'VmRSS') / 1024;
    const peakMb = statusKb(child.pid!, 'VmHWM') / 1024;
    console.log(`gateway-ready: ${Math.round(readyMs)} ms (process start to every service listening)`);
    console.log(`gateway-peak-rss: ${peakMb.toFixed(1)} MB`);
    console.log(`gateway-idle-rss: ${rssMb.toFixed(1)} MB (after ${IDLE_MS} ms idle)`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
