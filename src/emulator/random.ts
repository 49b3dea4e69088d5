/** A small seeded PRNG (mulberry32): fault injection and generated ids are reproducible under a seed. */
export interface SeededRandom {
  (): number;
  /** The generator's internal state: `seededRandom(r.state)` continues exactly where `r` is (persisted with `--data`). */
  readonly state: number;
}

export function seededRandom(seed: number): SeededRandom {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.defineProperty(next, 'state', { get: () => a, enumerable: true }) as SeededRandom;
}
