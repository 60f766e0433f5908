/** A seeded uniform generator in [0, 1). */
export type Prng = () => number;

/**
 * mulberry32: a small, fast, seeded PRNG. The same seed gives the same sequence, so fuzz cases,
 * fault schedules, training data and model weights can be replayed from a printed seed.
 *
 * @example
 * const next = createPrng(42);
 * next(); // 0.6011037519201636, every time
 */
export function createPrng(seed: number): Prng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A standard normal draw (Box–Muller) from `next`.
 *
 * @example
 * const weight = 0.1 * gaussian(createPrng(5));
 */
export function gaussian(next: Prng): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}
