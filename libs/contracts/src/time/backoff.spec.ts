import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const min = 1000;
  const max = 300_000;

  it('doubles from minMs per failure up to maxMs', () => {
    const middle = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, min, max, middle))).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(backoffDelay(9, min, max, middle)).toBe(256_000);
    expect(backoffDelay(10, min, max, middle)).toBe(max);
    expect(backoffDelay(10_000, min, max, middle)).toBe(max);
    expect(backoffDelay(0, min, max, middle)).toBe(min); // no failure yet: the first delay
    expect(backoffDelay(3, 0, max, middle)).toBe(0); // a minimum of 0 retries at once
  });

  it('spreads each delay by ±20%, at the cap too', () => {
    for (const failures of [1, 4, 20]) {
      const base = Math.min(max, min * 2 ** (failures - 1));
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
});
