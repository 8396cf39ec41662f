/** ±20%: enough to spread the retries of many gateways (or units, or routes) that lost the same peer at the same moment. */
export const BACKOFF_JITTER = 0.2;

/**
 * The wait before retry number `failures` (1 = after the first failure):
 * `minMs` doubling per failure up to `maxMs`, then ±20% jitter, in whole ms.
 * The jitter applies at the cap too, so peers stuck at `maxMs` do not retry
 * in step. `random` ([0, 1)) is there for tests.
 */
export function backoffDelay(failures: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  // Past 2^40 the doubling has long reached any cap; bounding the exponent keeps the product finite.
  const base = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.round(base * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * random()));
}
