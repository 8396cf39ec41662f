/** A source of uniform numbers in [0, 1): Math.random in production, seeded in tests. */
export type RandomSource = () => number;

/**
 * mulberry32: a tiny, fast 32-bit generator, good enough for simulated
 * readings and deterministic for a given seed (tests assert exact values).
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
