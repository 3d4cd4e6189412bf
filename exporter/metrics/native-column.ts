import type { NativeBuckets, NativeHistogramOptions } from './native-histogram';
import type { SpareArray } from './store-snapshot';
import {
  NATIVE_COUNTS_AT,
  NATIVE_LAYOUT_STRIDE,
  NATIVE_NEGATIVE_KEY,
  NATIVE_NEGATIVE_LENGTH,
  NATIVE_POSITIVE_KEY,
  NATIVE_POSITIVE_LENGTH,
  NATIVE_SCHEMA,
  type NativeColumn,
} from './store-snapshot';

/**
 * The native buckets of a histogram's series, point i from `series[i]`, read into three typed arrays
 * (a scrape holds them for many turns: no object per series, as for the classic buckets). Each
 * series' windows are trimmed to its first and last non-empty bucket. One pass over the series:
 * the counts are made `slotsHint` long (the last column's, a little more) and grown if need be,
 * rather than sized by a first pass that read every series' buckets twice.
 */
export function nativeColumn(
  series: readonly NativeBuckets[],
  options: NativeHistogramOptions,
  slotsHint: number,
  spares: NativeSpares,
): NativeColumn {
  // Every element of layout and zero is written below, and counts up to `at`, where it is cut.
  const layout = spares.layout.take(series.length * NATIVE_LAYOUT_STRIDE);
  const zero = spares.zero.take(series.length * 2);
  let counts = spares.counts.take(Math.ceil(slotsHint * 1.1) + 64);
  let at = 0;
  for (let point = 0; point < series.length; point++) {
    const buckets = series[point]!;
    const { positive, negative } = buckets;
    const room = positive.windowLength + (negative ? negative.windowLength : 0);
    if (at + room > counts.length) {
      const grown = new Float64Array(Math.max(at + room, counts.length * 2));
      grown.set(counts.subarray(0, at));
      counts = grown;
    }
    const base = point * NATIVE_LAYOUT_STRIDE;
    layout[base + NATIVE_SCHEMA] = buckets.schema;
    layout[base + NATIVE_COUNTS_AT] = at;
    layout[base + NATIVE_POSITIVE_KEY] = positive.spanKey();
    const positiveLength = positive.copyTo(counts, at);
    layout[base + NATIVE_POSITIVE_LENGTH] = positiveLength;
    at += positiveLength;
    layout[base + NATIVE_NEGATIVE_KEY] = negative ? negative.spanKey() : 0;
    const negativeLength = negative ? negative.copyTo(counts, at) : 0;
    layout[base + NATIVE_NEGATIVE_LENGTH] = negativeLength;
    at += negativeLength;
    zero[point * 2] = buckets.zeroThreshold;
    zero[point * 2 + 1] = buckets.zeroCount;
  }
  return { layout, zero, counts: counts.subarray(0, at), classicInProtobuf: options.classicInProtobuf };
}

/** Where a native column's arrays come from: a released column's, when they fit (ReleasableSnapshot). */
export interface NativeSpares {
  readonly layout: SpareArray<Int32Array>;
  readonly zero: SpareArray<Float64Array>;
  readonly counts: SpareArray<Float64Array>;
}
