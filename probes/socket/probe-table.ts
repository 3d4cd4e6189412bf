const EMPTY = undefined;
const MIN_CAPACITY = 64;

/**
 * The probes in flight on a shared socket, by an unsigned 32-bit key: a hash table with linear
 * probing and deletion by backward shift, so that it never holds tombstones and never rebuilds
 * itself while its size stays put. A Map would do the same job, but ten thousand inserts and
 * deletes a second around a small size make V8 shrink and regrow its table over and over, each
 * time allocating the new one in the old generation (where a long-lived Map lives), which then
 * grows by megabytes a second until a full collection. This table grows (doubling) and never shrinks:
 * its size is that of the most probes ever in flight at once.
 */
export class ProbeTable<V> {
  private keys: Uint32Array;
  private values: Array<V | undefined>;
  private mask: number;
  private shift: number;
  private count = 0;

  constructor(initialCapacity = MIN_CAPACITY) {
    let capacity = MIN_CAPACITY;
    while (capacity < initialCapacity) capacity *= 2;
    this.keys = new Uint32Array(capacity);
    this.values = new Array<V | undefined>(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
  }

  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.keys.length;
  }

  get(key: number): V | undefined {
    const { keys, values, mask } = this;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const value = values[i];
      if (value === EMPTY) return undefined;
      if (keys[i] === key) return value;
    }
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  /** Adds or replaces; `value` must not be undefined. */
  set(key: number, value: V): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const { keys, values, mask } = this;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      if (values[i] === EMPTY) {
        keys[i] = key;
        values[i] = value;
        this.count++;
        return;
      }
      if (keys[i] === key) {
        values[i] = value;
        return;
      }
    }
  }

  /** Removes the key; returns whether it was there. */
  delete(key: number): boolean {
    const { keys, values, mask } = this;
    let i = this.home(key);
    for (; ; i = (i + 1) & mask) {
      if (values[i] === EMPTY) return false;
      if (keys[i] === key) break;
    }
    // Backward shift: move up every later entry of the run whose home does not lie in (i, j].
    for (let j = (i + 1) & mask; values[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.home(keys[j]!);
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      keys[i] = keys[j]!;
      values[i] = values[j];
      i = j;
    }
    values[i] = EMPTY;
    this.count--;
    return true;
  }

  clear(): void {
    this.values.fill(EMPTY);
    this.count = 0;
  }

  *entries(): IterableIterator<[number, V]> {
    for (let i = 0; i < this.values.length; i++) {
      const value = this.values[i];
      if (value !== EMPTY) yield [this.keys[i]!, value];
    }
  }

  private home(key: number): number {
    // Fibonacci hashing: the top bits of key × 2^32/φ.
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const capacity = oldKeys.length * 2;
    this.keys = new Uint32Array(capacity);
    this.values = new Array<V | undefined>(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const value = oldValues[i];
      if (value !== EMPTY) this.set(oldKeys[i]!, value);
    }
  }
}
