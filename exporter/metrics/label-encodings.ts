import type { Attributes } from '@opentelemetry/api';

/** What was encoded for one family at the last scrape: its series' label sets, in order. */
interface LastColumn<T> {
  readonly attributes: readonly Attributes[];
  readonly encoded: readonly T[];
}

/**
 * The encoded labels of every series of a family, cached across scrapes: the text format's label
 * text (the protobuf exposition keeps whole encoded series instead, FamilyEncoding). A label set is one object for its series' life (the store keeps it), so its encoding is
 * made once. The cache is looked up by position first: a family lists its series in the same order
 * from one scrape to the next, so series i's label set is most often the very object at position i
 * last time, and an identity check finds its encoding without hashing. A WeakMap by label set
 * catches the rest (a series added or removed shifts those after it), then the encoder.
 *
 * At 10,000 targets a scrape writes about 120,000 series: two WeakMap lookups each (the protobuf
 * sizing pass and the writing) were a quarter of a protobuf rendering's time (bench/results.md,
 * "Exporter: the scrape's cost"); the positional check is a load and a compare.
 *
 * Invariants: the cache holds no label set past the scrape after its series went (the positional
 * arrays are replaced at every scrape, the WeakMap holds its keys weakly); a label set's encoding
 * never changes (label sets are not mutated: a relabelled series is a new object).
 */
export class LabelEncodings<T> {
  private readonly bySet = new WeakMap<Attributes, T>();
  /** Keyed by the family's descriptor, one object per metric kept across scrapes. */
  private readonly last = new WeakMap<object, LastColumn<T>>();

  constructor(private readonly encode: (attributes: Attributes) => T) {}

  /** The encoding of one label set (target_info, or a family seen once). */
  of(attributes: Attributes): T {
    let encoded = this.bySet.get(attributes);
    if (encoded === undefined) {
      encoded = this.encode(attributes);
      this.bySet.set(attributes, encoded);
    }
    return encoded;
  }

  /** The encodings of `attributes`, the label sets of family `family`'s series in order, this scrape. */
  column(family: object, attributes: readonly Attributes[]): readonly T[] {
    const last = this.last.get(family);
    const encoded = new Array<T>(attributes.length);
    for (let i = 0; i < attributes.length; i++) {
      const set = attributes[i]!;
      encoded[i] = last !== undefined && last.attributes[i] === set ? last.encoded[i]! : this.of(set);
    }
    this.last.set(family, { attributes, encoded });
    return encoded;
  }
}
