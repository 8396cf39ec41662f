import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const min = 1000;
  const max = 300_000;

  it('doubles from minMs per failure up to maxMs', () => {
    const middle = () => 0.5; // no jitter below the cap
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, min, max, middle))).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(backoffDelay(9, min, max, middle)).toBe(252_400); // 256 s: +20% would pass the cap, so the spread is 204.8–300 s
    const top = () => 0.999999;
    expect(backoffDelay(10, min, max, top)).toBe(max);
    expect(backoffDelay(10_000, min, max, top)).toBe(max);
    expect(backoffDelay(0, min, max, middle)).toBe(min); // no failure yet: the first delay
    expect(backoffDelay(3, 0, max, middle)).toBe(0); // a minimum of 0 retries at once
  });

  it('spreads each delay by ±20% below the cap', () => {
    for (const failures of [1, 4, 8]) {
      const base = min * 2 ** (failures - 1);
      expect(backoffDelay(failures, min, max, () => 0)).toBe(Math.round(base * 0.8));
      expect(backoffDelay(failures, min, max, () => 0.999999)).toBe(Math.round(base * 1.2));
      const delays = Array.from({ length: 100 }, () => backoffDelay(failures, min, max));
      for (const delay of delays) {
        expect(delay).toBeGreaterThanOrEqual(base * 0.8);
        expect(delay).toBeLessThanOrEqual(base * 1.2);
      }
      expect(new Set(delays).size).toBeGreaterThan(10); // by default the jitter is random: peers do not retry in step
    }
  });

  it('never waits longer than maxMs, and still spreads retries at the cap (80–100% of it)', () => {
    const unitMax = 60_000; // GW_MODBUS_UNIT_BACKOFF_MAX=60s
    for (const failures of [6, 7, 20, 10_000]) {
      // 6 failures: base 32 s, +20% = 38.4 s, under the cap; 7: base 60 s (64 s capped) and past.
      const base = Math.min(unitMax, min * 2 ** (failures - 1));
      expect(backoffDelay(failures, min, unitMax, () => 0)).toBe(Math.round(base * 0.8));
      expect(backoffDelay(failures, min, unitMax, () => 0.999999)).toBe(Math.min(Math.round(base * 1.2), unitMax));
      const delays = Array.from({ length: 200 }, () => backoffDelay(failures, min, unitMax));
      for (const delay of delays) {
        expect(delay).toBeGreaterThanOrEqual(base * 0.8);
        expect(delay).toBeLessThanOrEqual(unitMax);
      }
      expect(new Set(delays).size).toBeGreaterThan(10);
    }
    // Just under the cap, the spread is cut at maxMs rather than piled onto it.
    const near = backoffDelay(6, min, 35_000, () => 0.999999);
    expect(near).toBe(35_000);
    expect(backoffDelay(6, min, 35_000, () => 0.5)).toBe(Math.round(32_000 * 0.8 + (35_000 - 32_000 * 0.8) / 2));
    // A fractional maximum is not rounded past.
    expect(backoffDelay(5, min, 1000.6, () => 0.999999)).toBe(1000);
  });
});
