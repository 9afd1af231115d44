/**
 * Seeded pseudo-random numbers for the sandbox, so a run with the same seed injects the
 * same faults and settles the same refunds as failures. Not for anything secret: nonces
 * and signatures use `node:crypto` (see ../gatepay/signing.ts).
 */

/** A source of numbers in `[0, 1)`. */
export type RandomSource = () => number;

/**
 * mulberry32: a 32-bit state generator, fast and good enough to spread fault decisions.
 * Same seed → same sequence.
 */
export function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An independent stream for one purpose (`"faults:orderRefund"`, `"settlement"`, …)
 * derived from the run's seed, so that drawing for one purpose never shifts the sequence
 * another purpose sees: the fault sequence of `orderRefund` stays the same whether or not
 * details calls or settlements happen in between.
 */
export function deriveStream(seed: number, purpose: string): RandomSource {
  // FNV-1a over the purpose, mixed with the seed.
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < purpose.length; i++) {
    h ^= purpose.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mulberry32(h >>> 0);
}
