/**
 * Private broker processes for integration tests: each on a free port with its
 * own temp directory, so tests can restart or overload a broker without
 * touching the machine's shared Mosquitto/Redis. Every child is killed when
 * the test process exits, even after a failure.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A port nobody listens on right now (the OS picks it; racy only against other port pickers). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface BrokerProcess {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Graceful stop (SIGTERM): Mosquitto saves its persistence file, Redis its AOF. */
  stop(): Promise<void>;
  /** Starts again on the same port with the same data directory. */
  start(): Promise<void>;
  /** Stops and removes the temp directory. */
  dispose(): Promise<void>;
  /** Everything the process printed, for failure messages. */
  output(): string;
}

interface Spec {
  command: string;
  args: string[];
  /** A line the process prints once it accepts connections. */
  ready: RegExp;
}

function managed(port: number, url: string, dir: string, spec: Spec): BrokerProcess {
  let child: ChildProcess | undefined;
  let log = '';
  const broker: BrokerProcess = {
    port,
    url,
    dir,
    output: () => log,
    start: () =>
      new Promise<void>((resolve, reject) => {
        const proc = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'] });
        child = proc;
        children.add(proc);
        let started = false;
        const timer = setTimeout(() => fail(new Error(`${spec.command} did not become ready within 10 s:\n${log}`)), 10_000);
        const fail = (err: Error) => {
          clearTimeout(timer);
          if (!started) reject(err);
        };
        const onData = (chunk: Buffer) => {
          log += chunk.toString();
          if (!started && spec.ready.test(log)) {
            started = true;
            clearTimeout(timer);
            resolve();
          }
        };
        proc.stdout?.on('data', onData);
        proc.stderr?.on('data', onData);
        proc.on('error', fail);
        proc.on('exit', (code, signal) => {
          children.delete(proc);
          fail(new Error(`${spec.command} exited (${code ?? signal}) before it was ready:\n${log}`));
        });
      }),
    stop: async () => {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    dispose: async () => {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return broker;
}

export interface MosquittoOptions {
  /** 0 = unlimited, so an offline persistent session keeps everything (the machine's default is 1000). */
  maxQueuedMessages?: number;
  /** A TLS listener instead of plain TCP (url mqtts://). */
  tls?: BrokerTls;
  /**
   * The whole configuration instead of the one below, given the port and the
   * temp dir (a test of a shipped mosquitto.conf rewrites its listener and
   * paths). It must log `information` to stderr: readiness is the "running" line.
   */
  config?: (port: number, dir: string) => string;
}

/** PEM file paths (test/support/tls.ts makes them); requireClientCert asks for mutual TLS. */
export interface BrokerTls {
  ca: string;
  cert: string;
  key: string;
  requireClientCert?: boolean;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<BrokerProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gw-mosquitto-'));
  // Mosquitto started as root drops to the `mosquitto` user, which must be able to write here.
  chmodSync(dir, 0o777);
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    options.config?.(port, dir) ??
    [
      `listener ${port} 127.0.0.1`,
      ...(options.tls
        ? [
            `cafile ${options.tls.ca}`,
            `certfile ${options.tls.cert}`,
            `keyfile ${options.tls.key}`,
            `require_certificate ${options.tls.requireClientCert ? 'true' : 'false'}`,
          ]
        : []),
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      `max_queued_messages ${options.maxQueuedMessages ?? 0}`,
      // stderr, not stdout: stdout is block-buffered through a pipe, so the
      // "running" line would only arrive at exit. (No log file: we run as root.)
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      '',
    ].join('\n'),
  );
  const broker = managed(port, `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`, dir, {
    command: 'mosquitto',
    args: ['-c', config],
    ready: /mosquitto version \S+ running/,
  });
  await broker.start();
  return broker;
}

export interface RedisOptions {
  /** Keep data across restarts (AOF in the temp dir); without it a restart loses streams and groups. */
  appendOnly?: boolean;
  /** TLS only (url rediss://): the plain port is off. */
  tls?: BrokerTls;
  /** More redis-server arguments, e.g. `['--aclfile', file]`. */
  args?: string[];
}

export async function startRedis(options: RedisOptions = {}): Promise<BrokerProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));
  const tls = options.tls;
  const broker = managed(port, `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`, dir, {
    command: 'redis-server',
    args: [
      ...(tls
        ? ['--port', '0', '--tls-port', String(port), '--tls-ca-cert-file', tls.ca, '--tls-cert-file', tls.cert,
            '--tls-key-file', tls.key, '--tls-auth-clients', tls.requireClientCert ? 'yes' : 'no']
        : ['--port', String(port)]),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', options.appendOnly ? 'yes' : 'no',
      '--appendfsync', 'always',
      '--dir', dir,
      '--daemonize', 'no',
      '--logfile', '',
      ...(options.args ?? []),
    ],
    ready: /Ready to accept connections/,
  });
  await broker.start();
  return broker;
}
