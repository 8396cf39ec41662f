/**
 * Waiting for the broker and the database at start, with HTTP up meanwhile.
 * Under docker compose, or after a power cut, a service often starts before
 * its broker or database answers. Instead of exiting (and serving nothing
 * until a supervisor restarts it), it keeps trying with back-off, logs why,
 * and answers ping (alive) and /ready (503, naming what is missing) on its
 * port until everything is there; then the real service takes the port.
 * A failure waiting cannot fix (a wrong database password) still stops it.
 */
import { backoffDelay, Clock, delay, systemClock } from '@gw/contracts';
import type { Logger } from '../logger';
import type { ReadinessCheck } from './readiness';
import { WaitingEndpoint, WaitingServer } from './waiting-server';

export interface Dependency {
  /** As readiness and the log name it: `message bus`, `database`. */
  name: string;
  /** Where it is, safe to log (no password). */
  target: string;
  /** One attempt; rejects saying why it failed. */
  connect(): Promise<void>;
  /** Whether waiting can help after this failure (default: always). */
  worthWaiting?(err: unknown): boolean;
}

export interface AwaitOptions {
  logger: Logger;
  host: string;
  /** The ports the service(s) will serve on, answered meanwhile. */
  endpoints: readonly WaitingEndpoint[];
  clock?: Clock;
  /** Back-off between attempts: from 1 s, doubling, at most 30 s (an attempt itself may take its connect timeout). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Connects every dependency in order, retrying each until it answers, with
 * the ports answering ping and /ready meanwhile; resolves when all are there
 * (the ports are free again by then). Dependencies already there cost one attempt each.
 */
export async function awaitDependencies(dependencies: readonly Dependency[], options: AwaitOptions): Promise<void> {
  const state = new Map<Dependency, string | undefined>(dependencies.map((d) => [d, 'not tried yet']));
  const checks: ReadinessCheck[] = dependencies.map((d) => ({ name: d.name, problem: () => state.get(d) }));
  const server = await WaitingServer.open(options.host, options.endpoints, checks);
  try {
    for (const dependency of dependencies) {
      state.set(dependency, `connecting to ${dependency.target}`);
      await connectPatiently(dependency, (problem) => state.set(dependency, problem), options);
      state.set(dependency, undefined);
    }
  } finally {
    await server.close();
  }
}

async function connectPatiently(dependency: Dependency, report: (problem: string) => void, options: AwaitOptions): Promise<void> {
  const { logger, clock = systemClock, minDelayMs = 1_000, maxDelayMs = 30_000 } = options;
  for (let failures = 1; ; failures++) {
    try {
      await dependency.connect();
      if (failures > 1) logger.info({ dependency: dependency.name, target: dependency.target }, `${dependency.name} reached`);
      return;
    } catch (err) {
      if (dependency.worthWaiting && !dependency.worthWaiting(err)) throw err;
      const why = err instanceof Error ? err.message : String(err);
      const retryInMs = backoffDelay(failures, minDelayMs, maxDelayMs);
      report(`${why}; attempt ${failures}, next in ${Math.round(retryInMs / 1000)} s`);
      logger.warn(
        { dependency: dependency.name, target: dependency.target, attempt: failures, retryInMs, err: why },
        `waiting for the ${dependency.name}: ping answers, /api/v3/ready says what is missing`,
      );
      await delay(retryInMs, clock);
    }
  }
}
