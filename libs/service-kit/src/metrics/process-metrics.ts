/**
 * Node's and the process's own figures (prom-client's default metrics: CPU,
 * memory, heap, event-loop lag, GC, handles). Collected ONCE per process:
 * each collectDefaultMetrics call starts its own event-loop monitor and GC
 * observer that are never stopped, and a second call into one registry throws
 * "already registered". The one-process gateway hosts several services, so
 * every service's registry shares these metric objects instead.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

export function processMetrics(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
