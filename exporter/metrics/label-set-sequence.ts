import type { Attributes } from '@opentelemetry/api';

/**
 * The label sets of one column's series, in order, collection after collection: when they are the
 * very objects of the previous collection's column, in the same order (most scrapes: a label set is
 * one object for its series' life), the result is that column's array itself, no new one. The
 * renderers then find a family's series unchanged by one comparison of arrays, not one per series
 * (FamilyEncoding), and a collection allocates no array of 100,000 label sets to find it out.
 *
 * One object per column for the store's life (`start()` begins each collection), not one per
 * collection: V8's optimized code checks the hidden class of the objects it reads, and that of an
 * object no longer alive is dropped by a full garbage collection, with the code that depended on it
 * (bench/results.md, "Exporter: the scrape's cost", 2026-12-03, third part).
 *
 * Invariant: an array `build()` returns is never written to afterwards (it may be handed out again
 * by the next collection); a new one is made from the first label set that differs.
 */
export class LabelSetSequence {
  /** The last collection's label sets. */
  private previous: readonly Attributes[] = [];
  /** Made at the first label set that is not the previous column's at its position. */
  private sets: Attributes[] | undefined = undefined;
  private length = 0;

  /** Label sets the last collection had: the next one's likely count. */
  get previousLength(): number {
    return this.previous.length;
  }

  /** A new collection: no label set pushed yet. */
  start(): void {
    this.sets = undefined;
    this.length = 0;
  }

  push(set: Attributes): void {
    if (this.sets === undefined) {
      if (this.previous[this.length] === set) {
        this.length++;
        return;
      }
      this.sets = new Array<Attributes>(Math.max(this.previous.length, this.length + 1));
      for (let i = 0; i < this.length; i++) this.sets[i] = this.previous[i]!;
    }
    this.sets[this.length++] = set;
  }

  /** The label sets pushed since `start()`, in order; the next collection's previous ones. */
  build(): readonly Attributes[] {
    const { sets, length, previous } = this;
    let built: readonly Attributes[];
    if (sets === undefined) built = length === previous.length ? previous : previous.slice(0, length);
    else {
      sets.length = length;
      built = sets;
    }
    this.previous = built;
    this.sets = undefined;
    return built;
  }
}
