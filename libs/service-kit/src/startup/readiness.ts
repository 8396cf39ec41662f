/**
 * Readiness: whether a service can do its work now, and if not, what it
 * waits for. GET /api/v3/ping says the process answers (liveness);
 * GET /api/v3/ready says 200 when every dependency is there and 503 naming
 * what is missing (a broker down, a database not reachable yet). Both are
 * open without the API key, like ping, for health checks and probes.
 */
import { API_VERSION } from '@gw/contracts';
import type { MessageBus } from '@gw/messaging';

/** One thing a service needs; `problem()` says what is wrong with it, undefined when it is fine. */
export interface ReadinessCheck {
  name: string;
  problem(): string | undefined;
}

export interface ReadinessReport {
  apiVersion: string;
  statusCode: 200 | 503;
  serviceName: string;
  ready: boolean;
  /** What is missing, in one line, when not ready. */
  message?: string;
  checks: Array<{ name: string; ready: boolean; problem?: string }>;
}

export function readinessReport(serviceName: string, checks: readonly ReadinessCheck[]): ReadinessReport {
  const results = checks.map((check) => {
    const problem = check.problem();
    return problem === undefined ? { name: check.name, ready: true } : { name: check.name, ready: false, problem };
  });
  const missing = results.filter((r) => !r.ready);
  return {
    apiVersion: API_VERSION,
    statusCode: missing.length ? 503 : 200,
    serviceName,
    ready: !missing.length,
    ...(missing.length ? { message: `waiting for ${missing.map((r) => `${r.name} (${r.problem})`).join(', ')}` } : {}),
    checks: results,
  };
}

/** The message bus as readiness sees it: ready while connected (the in-process bus always is). */
export function busReadiness(bus: MessageBus): ReadinessCheck {
  const managed = bus as MessageBus & { connected?: boolean };
  return {
    name: 'message bus',
    problem: () => (managed.connected === false ? `${bus.kind} broker not connected; reconnecting` : undefined),
  };
}
