/**
 * Parses uploaded profile YAML off the service's thread. The YAML parser
 * costs about 0.45 ms per KB (1.3 MB at the resource limit: 0.8-1.6 s), and
 * in the request's thread nothing else is answered meanwhile, not even ping.
 * So a text of WORKER_MIN_BYTES or more goes to one worker thread, started
 * at the first such upload and stopped after IDLE_MS without one (it holds
 * its own copy of yaml, zod and the contracts, some megabytes); smaller
 * texts, the profiles an operator writes by hand, are parsed at once. Jobs
 * run one after another; at most MAX_QUEUED wait (503 beyond: each holds its
 * text, up to GW_MAX_BODY). The worker sends the parsed profile back (by
 * structured clone) or the error, its kind, issues and lines intact.
 *
 * The worker runs the built JavaScript (dist/); where the sources run as
 * TypeScript (Jest), which a worker thread cannot load, every text is parsed
 * in the request's thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Clock, ErrorKind, GatewayError, systemClock, Timer } from '@gw/contracts';
import { ProfileLimits } from './profile-limits';
import { ParsedProfile, parseProfileText, receivedError, SentError } from './profile-text';

export interface ParseJob {
  id: number;
  text: string;
  source: string;
  limits: ProfileLimits;
}

export type ParseReply = { id: number; parsed: ParsedProfile } | { id: number; error: SentError };

/** Below this, parsing takes less than a round trip to the worker is worth (about 30 ms). */
export const WORKER_MIN_BYTES = 64 * 1024;
export const MAX_QUEUED = 8;
export const IDLE_MS = 30_000;

const WORKER_SCRIPT = join(__dirname, 'profile-parse.worker.js');

interface Waiting {
  resolve: (parsed: ParsedProfile) => void;
  reject: (err: Error) => void;
}

export class ProfileParser {
  private readonly script: string;
  private readonly available: boolean;
  private readonly clock: Clock;
  private worker?: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private idle?: Timer;

  /** `script`: the worker's file, for tests of the built code. */
  constructor(options: { script?: string; clock?: Clock } = {}) {
    this.script = options.script ?? WORKER_SCRIPT;
    this.available = existsSync(this.script);
    this.clock = options.clock ?? systemClock;
  }

  /** Whether the worker thread is there now. */
  get workerRunning(): boolean {
    return this.worker !== undefined;
  }

  /** Whether a text of this many bytes is parsed in the worker. */
  usesWorker(bytes: number): boolean {
    return this.available && bytes >= WORKER_MIN_BYTES;
  }

  async parse(text: string, source: string, limits: ProfileLimits): Promise<ParsedProfile> {
    if (!this.usesWorker(Buffer.byteLength(text))) return parseProfileText(text, source, limits);
    if (this.waiting.size >= MAX_QUEUED) {
      throw new GatewayError(ErrorKind.ServiceUnavailable, `${this.waiting.size} large profile uploads are being parsed already: try again shortly`);
    }
    this.idle?.cancel();
    const worker = this.worker ?? this.start();
    const id = ++this.nextId;
    const job: ParseJob = { id, text, source, limits };
    return new Promise<ParsedProfile>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage(job);
    });
  }

  /** Stops the worker; uploads still waiting for it fail with 503. */
  async close(): Promise<void> {
    this.idle?.cancel();
    const worker = this.worker;
    if (!worker) return;
    this.stopped(worker, new GatewayError(ErrorKind.ServiceUnavailable, 'core-metadata is stopping'));
    await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(this.script);
    worker.unref(); // never what keeps the process alive
    worker.on('message', (reply: ParseReply) => this.settle(reply));
    worker.on('error', (err) => this.stopped(worker, new GatewayError(ErrorKind.ServiceUnavailable, `the profile parser failed: ${err.message}`)));
    worker.on('exit', (code) => this.stopped(worker, new GatewayError(ErrorKind.ServiceUnavailable, `the profile parser stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: ParseReply): void {
    const waiting = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if ('error' in reply) waiting?.reject(receivedError(reply.error));
    else waiting?.resolve(reply.parsed);
    if (this.waiting.size === 0) {
      this.idle = this.clock.setTimer(() => void this.close(), IDLE_MS);
      this.idle.unref();
    }
  }

  /** `worker` is gone (or going): what waited for it fails; the next large upload starts a new one. */
  private stopped(worker: Worker, err: Error): void {
    if (this.worker !== worker) return; // an earlier worker's exit
    this.worker = undefined;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(err);
  }
}
