/**
 * The counts of exponential buckets by key, held as one dense window of keys [first, first +
 * counts.length) that grows (doubling) to take a key outside it: an observation into a key already
 * covered allocates nothing (the hot path: every RTT). RTTs of one series sit within a few powers of
 * two, so the window stays a few dozen slots; `populated` counts the non-empty buckets, the number
 * the bucket limit is about.
 */
export class SparseBuckets {
  private counts = new Float64Array(0);
  private first = 0;
  /** Buckets with a count above 0. */
  populated = 0;

  /** Adds one observation to bucket `key`. */
  add(key: number): void {
    let at = key - this.first;
    if (at < 0 || at >= this.counts.length) {
      this.cover(key);
      at = key - this.first;
    }
    const before = this.counts[at]!;
    this.counts[at] = before + 1;
    if (before === 0) this.populated++;
  }

  /** Adds `count` to bucket `key` (merging buckets). */
  addCount(key: number, count: number): void {
    if (count === 0) return;
    let at = key - this.first;
    if (at < 0 || at >= this.counts.length) {
      this.cover(key);
      at = key - this.first;
    }
    if (this.counts[at] === 0) this.populated++;
    this.counts[at]! += count;
  }

  clear(): void {
    this.counts.fill(0);
    this.populated = 0;
  }

  /** Takes over the buckets of `other` (which is not used after). */
  replace(other: SparseBuckets): void {
    this.counts = other.counts;
    this.first = other.first;
    this.populated = other.populated;
  }

  /** Calls `visit` with each non-empty bucket, by increasing key. */
  forEach(visit: (key: number, count: number) => void): void {
    const { counts, first } = this;
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) visit(first + i, counts[i]!);
  }

  /** The smallest key with a count, or undefined when every bucket is empty. */
  firstKey(): number | undefined {
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i] !== 0) return this.first + i;
    return undefined;
  }

  /**
   * Copies the counts from the first to the last non-empty bucket into `into` at `at` (empty ones
   * between included, as 0); returns how many. `into` must have room (`windowLength`). Read at every
   * scrape for every series: no subarray or tuple per call.
   */
  copyTo(into: Float64Array, at: number): number {
    const { counts } = this;
    const start = this.start();
    const end = this.end(start);
    for (let i = start; i < end; i++) into[at + i - start] = counts[i]!;
    return end - start;
  }

  /** Slots of the window: `copyTo` copies at most as many. */
  get windowLength(): number {
    return this.counts.length;
  }

  /** The key of the first non-empty bucket (past the window when every bucket is empty). */
  spanKey(): number {
    return this.first + this.start();
  }

  /** Index of the first non-empty slot; the window's length when there is none. */
  private start(): number {
    const { counts } = this;
    let start = 0;
    while (start < counts.length && counts[start] === 0) start++;
    return start;
  }

  /** One past the index of the last non-empty slot at or after `start`. */
  private end(start: number): number {
    const { counts } = this;
    let end = counts.length;
    while (end > start && counts[end - 1] === 0) end--;
    return end;
  }

  /** Grows the window (at least doubling it) to cover `key`. */
  private cover(key: number): void {
    const old = this.counts;
    if (this.populated === 0) {
      // Empty: re-centre on the key rather than stretch towards it.
      this.counts = old.length >= 8 ? old : new Float64Array(8);
      this.counts.fill(0);
      this.first = key - (this.counts.length >> 1);
      return;
    }
    const low = Math.min(this.first, key);
    const high = Math.max(this.first + old.length, key + 1);
    const size = Math.max(high - low, old.length * 2);
    // Room on the side that grew, where the next new keys are likeliest.
    const first = key < this.first ? high - size : low;
    const counts = new Float64Array(size);
    counts.set(old, this.first - first);
    this.counts = counts;
    this.first = first;
  }
}
