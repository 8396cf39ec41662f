import type { onResponseHookHandler } from 'fastify';
import { Registry } from 'prom-client';
import { processMetrics } from './process-metrics';
import { requestMetrics } from './request-metrics';
import type { MetricSet } from './scraped';

export interface ServiceMetrics {
  /** What GET /api/v3/metrics serves: the process's figures, the REST requests, the service's own sets. */
  registry: Registry;
  /** The fastify onResponse hook that counts the requests. */
  onResponse: onResponseHookHandler;
}

/** One service's registry; a metric name used twice fails here, at boot. */
export function serviceMetrics(serviceName: string, sets: readonly MetricSet[]): ServiceMetrics {
  const own = new Registry();
  const onResponse = requestMetrics(own);
  for (const set of sets) set(own, serviceName);
  return { registry: Registry.merge([processMetrics(), own]), onResponse };
}
