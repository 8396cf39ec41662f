import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const min = 1000;
  const max = 300_000;

  it('doubles from retryMin per failure up to retryMax', () => {
    const middle = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, min, max, middle))).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(backoffDelay(9, min, max, middle)).toBe(256_000);
    expect(backoffDelay(10, min, max, middle)).toBe(max);
    expect(backoffDelay(10_000, min, max, middle)).toBe(max);
  });

  it('spreads each delay by ±20%, at the cap too', () => {
    for (const failures of [1, 4, 20]) {
      const base = Math.min(max, min * 2 ** (failures - 1));
      expect(backoffDelay(failures, min, max, () => 0)).toBe(Math.round(base * 0.8));
      expect(backoffDelay(failures, min, max, () => 0.999999)).toBe(Math.round(base * 1.2));
      for (let i = 0; i < 100; i++) {
        const delay = backoffDelay(failures, min, max);
        expect(delay).toBeGreaterThanOrEqual(base * 0.8);
        expect(delay).toBeLessThanOrEqual(base * 1.2);
      }
    }
  });
});
