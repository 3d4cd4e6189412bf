import type { Attributes } from '@opentelemetry/api';

/**
 * The label sets of a column's series, in order, as a collection reads them: when they are the very
 * objects of the previous collection's column, in the same order (most scrapes: a label set is one
 * object for its series' life), the result is that column's array itself, no new one. The
 * renderers then find a family's series unchanged by one comparison of arrays, not one per series
 * (FamilyEncoding), and a collection allocates no array of 100,000 label sets to find it out.
 *
 * Invariant: an array `build()` returns is never written to afterwards (it may be handed out again
 * by the next collection); a new one is made from the first label set that differs.
 */
export class LabelSetSequence {
  /** Made at the first label set that is not the previous column's at its position. */
  private sets: Attributes[] | undefined;
  private length = 0;

  constructor(private readonly previous: readonly Attributes[] = []) {}

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

  /** The label sets pushed, in order. */
  build(): readonly Attributes[] {
    const { sets, length, previous } = this;
    if (sets === undefined) return length === previous.length ? previous : previous.slice(0, length);
    sets.length = length;
    return sets;
  }
}
