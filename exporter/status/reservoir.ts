/**
 * A fixed-size uniform sample of the values added since the last reset (Vitter's algorithm R), for
 * percentiles of a time slot without keeping every value: memory is `capacity` float32 whatever
 * the rate. While no more than `capacity` values came, it holds them all and its percentiles are
 * exact; past that, each value is in the sample with equal probability.
 */
export class Reservoir {
  /** Values added since the last reset (not only those kept). */
  private seen = 0;

  constructor(
    private readonly capacity: number,
    /** Uniform integers in [0, bound): injected so tests are reproducible. */
    private readonly random: (bound: number) => number,
    /** Where the sample lives: `capacity` float32 from `at` (shared in a slab); default its own array. */
    private readonly values: Float32Array = new Float32Array(capacity),
    private readonly at = 0,
  ) {}

  get size(): number {
    return Math.min(this.seen, this.capacity);
  }

  add(value: number): void {
    const { capacity } = this;
    if (this.seen < capacity) this.values[this.at + this.seen] = value;
    else {
      const slot = this.random(this.seen + 1);
      if (slot < capacity) this.values[this.at + slot] = value;
    }
    this.seen++;
  }

  reset(): void {
    this.seen = 0;
  }

  /**
   * Nearest-rank percentiles (q in [0, 1], ascending) of the sample, written to `out`; NaN when
   * empty. Sorts the sample in place: its order carries no meaning for algorithm R.
   */
  percentiles(qs: readonly number[], out: Float64Array): void {
    const n = this.size;
    const sorted = this.values.subarray(this.at, this.at + n).sort();
    for (let i = 0; i < qs.length; i++)
      out[i] = n === 0 ? NaN : sorted[Math.max(0, Math.ceil(qs[i]! * n) - 1)]!;
  }

  /** Bytes of typed-array storage. */
  get bytes(): number {
    return this.capacity * 4;
  }
}

/** A xorshift32 generator of uniform integers in [0, bound): cheap, seeded, good enough for sampling. */
export function xorshiftRandom(seed = 0x9e3779b9): (bound: number) => number {
  let state = seed >>> 0 || 1;
  return (bound) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % bound;
  };
}
