/** ±20%: enough to spread the retries of many gateways (or units, or routes) that lost the same peer at the same moment. */
export const BACKOFF_JITTER = 0.2;

/**
 * The wait before retry number `failures` (1 = after the first failure):
 * `minMs` doubling per failure up to `maxMs`, spread by ±20% jitter, in whole ms.
 * `maxMs` is a true maximum: where +20% would pass it, the spread ends at
 * `maxMs` instead (at the cap, 80–100% of `maxMs`), so peers stuck at the cap
 * still do not retry in step, and none waits longer than configured.
 * `random` ([0, 1)) is there for tests.
 */
export function backoffDelay(failures: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  // Past 2^40 the doubling has long reached any cap; bounding the exponent keeps the product finite.
  const base = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  const low = base * (1 - BACKOFF_JITTER);
  const high = Math.min(base * (1 + BACKOFF_JITTER), maxMs);
  // Rounding must not carry a fractional maxMs past itself.
  return Math.min(Math.round(low + (high - low) * random()), Math.floor(maxMs));
}
