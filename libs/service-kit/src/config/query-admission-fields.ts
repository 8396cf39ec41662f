import { z } from 'zod';
import { int } from './fields';

/**
 * How many listings (routes marked @AdmittedQuery) run at once and how many
 * may wait, for a service that gates them (createServiceApp's queryAdmission,
 * see query-admission.ts): GW_<SERVICE>_MAX_CONCURRENT_QUERIES and _QUERY_QUEUE_LIMIT.
 */
export function queryAdmissionFields() {
  return {
    /**
     * Listings that run their query and build their answer at the same time;
     * the others wait their turn, one per turn of the event loop, so device
     * polling, bus ingest and batch commits keep their schedule while clients read.
     */
    maxConcurrentQueries: int(1, 1_000).default(1),
    /** Listings that may wait for their turn; one more is answered 503 with Retry-After. */
    queryQueueLimit: int(0, 100_000).default(500),
  };
}

/** The defaults, for a service started with only some settings (tests, the gateway). */
export const DEFAULT_QUERY_ADMISSION = z.object(queryAdmissionFields()).parse({});
