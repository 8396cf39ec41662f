/**
 * REST requests of a service: one histogram by method, route PATTERN (never
 * the raw URL: device names would make the series unbounded) and status; its
 * _count is the number of requests. One observe per request in an onResponse
 * hook, nothing else kept.
 */
import type { FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { Histogram, Registry } from 'prom-client';

/** Seconds; shared by the latency histograms of the services (REST, commands). */
export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The route label of a request that matched no route (404s, refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

export function requestMetrics(registry: Registry): onResponseHookHandler {
  const duration = new Histogram({
    name: 'gw_http_request_duration_seconds',
    help: 'REST requests by method, route pattern and status code, and how long each took until answered',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  return (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    duration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
    done();
  };
}
