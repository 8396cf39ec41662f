/**
 * Injection tokens for what createServiceApp provides to every module of a
 * service. They live in each app's own Nest container, so several services in
 * one process each get their own config and logger.
 */
import type { ReadinessCheck } from './startup/readiness';

export const SERVICE_CONFIG = Symbol('gw.serviceConfig');
export const SERVICE_LOGGER = Symbol('gw.serviceLogger');
export const SERVICE_INFO = Symbol('gw.serviceInfo');
/** The service's prom-client Registry, served by GET /api/v3/metrics. */
export const SERVICE_METRICS = Symbol('gw.serviceMetrics');
/** The service's own secret store (POST /api/v3/secret), for drivers and sinks that read credentials by name. */
export const SECRET_STORE = Symbol('gw.secretStore');

export interface ServiceInfo {
  serviceName: string;
  version: string;
  /** The loaded config; shown redacted by GET /api/v3/config. */
  config: object;
  /** Extra keys to hide in GET /api/v3/config, besides those marked secret(). */
  secretKeys?: string[];
  /** The service's own settings: GET /api/v3/config shows only these keys (all when unset). */
  configKeys?: readonly string[];
  /** What GET /api/v3/ready checks (the message bus...); ready when empty. */
  readiness?: readonly ReadinessCheck[];
}
