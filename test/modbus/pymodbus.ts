/**
 * Test support: a real Modbus peer (Debian's pymodbus 3.0.0, see
 * pymodbus_server.py) over TCP or RTU, and a socat pseudo-terminal pair to
 * stand in for a serial line.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
const SOCAT = '/usr/bin/socat';
const SCRIPT = join(__dirname, 'pymodbus_server.py');
const START_TIMEOUT_MS = 15_000;

export type PymodbusOptions = { tcpPort: number } | { serialPath: string; baudRate?: number };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `command`, resolves once `isReady` accepts what it printed so far
 * (stdout or stderr, per `stream`), rejects with its stderr if it exits first
 * or takes longer than 15 s.
 */
function spawnUntil(
  command: string,
  args: string[],
  stream: 'stdout' | 'stderr',
  isReady: (output: string) => boolean,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let output = '';
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: ${why}: ${stderr}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.stderr!.on('data', (d: Buffer) => {
      if (!settled) stderr += d.toString();
    });
    child[stream]!.on('data', (d: Buffer) => {
      if (settled) return;
      output += d.toString();
      if (isReady(output)) {
        settled = true;
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
  });
}

/** Starts pymodbus_server.py; it appends every request it serves to `logFile` (see servedRequests). */
export function startPymodbus(opts: PymodbusOptions, logFile: string): Promise<ChildProcess> {
  const args =
    'tcpPort' in opts
      ? [SCRIPT, String(opts.tcpPort), logFile]
      : [SCRIPT, '--rtu', opts.serialPath, '--baud', String(opts.baudRate ?? 19200), logFile];
  return spawnUntil(PYTHON, args, 'stdout', (out) => out.includes('ready'));
}

/** Kills `child` (if still running) and waits until it has exited. */
export function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Requests the server saw, in order: [unit, function code, address, count]. */
export function servedRequests(logFile: string): number[][] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').map(Number));
}

/**
 * Two connected pseudo-terminals, `<dir>/a` and `<dir>/b`: what is written to
 * one is read from the other, like the two ends of a null-modem cable.
 */
export async function startPtyPair(dir: string): Promise<{ a: string; b: string; process: ChildProcess }> {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  // With -d -d socat logs "PTY is /dev/pts/N" per end (after creating its link) and
  // "starting data transfer loop" once both are open.
  const process = await spawnUntil(
    SOCAT,
    ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`],
    'stderr',
    (out) => out.includes('starting data transfer loop'),
  );
  return { a, b, process };
}
