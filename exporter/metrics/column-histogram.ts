import { CLIENT_MODEL_FIELDS } from './client-model-fields';
import type { MetricBodies } from './family-encoding';
import { NativeSpans } from './native-spans';
import {
  DOUBLE_FIELD_SIZE,
  ProtoWriter,
  delimitedSize,
  uintFieldSize,
  varintSize,
  zigzag,
} from './proto-writer';
import {
  HISTOGRAM_BUCKETS,
  HISTOGRAM_COUNT,
  HISTOGRAM_SUM,
  NATIVE_COUNTS_AT,
  NATIVE_LAYOUT_STRIDE,
  NATIVE_NEGATIVE_KEY,
  NATIVE_NEGATIVE_LENGTH,
  NATIVE_POSITIVE_KEY,
  NATIVE_POSITIVE_LENGTH,
  NATIVE_SCHEMA,
  type HistogramColumn,
} from './store-snapshot';

const METRIC = CLIENT_MODEL_FIELDS.Metric;
const HISTOGRAM = CLIENT_MODEL_FIELDS.Histogram;
const { BucketSpan: SPAN, Bucket: BUCKET } = CLIENT_MODEL_FIELDS;

/** Bytes of a positive_span field holding the no-op span (offset 0, length 0). */
const NO_OP_SPAN_SIZE = 2 + 4;

/**
 * The Metric.histogram fields of a histogram column's series, for FamilyEncoding: `size(i)` reads
 * series i once (its classic buckets summed, its native buckets into spans and deltas, the bytes of
 * each part) and `write(i)` writes what it read, with no second walk over the buckets. The sizing
 * and the writing each walked them before; the 10,000 RTT histograms at 10,000 targets were two
 * fifths of a steady protobuf rendering's encoding (bench/results.md, "Exporter: the scrape's
 * cost", 2026-12-03, third part).
 *
 * One object per writer for every histogram family and scrape, pointed at a column by `of()` just
 * before its family is encoded (LabelSetSequence says why not one per family and scrape); its
 * scratch (the spans and deltas of each sign, the classic cumulative counts) reused from one series
 * to the next.
 *
 * Invariant: `write(i)` follows `size(i)` for the same i, nothing read between (FamilyEncoding's
 * order); it writes exactly the bytes `size(i)` returned.
 */
export class ColumnHistogramBodies implements MetricBodies {
  private column: HistogramColumn | undefined = undefined;
  private readonly negative = new NativeSpans();
  private readonly positive = new NativeSpans();
  private cumulative = new Float64Array(32);
  /** The series `size()` read last, and the content size of its Histogram message. */
  private index = -1;
  private content = 0;
  private classicBuckets = 0;
  private noOpSpan = false;

  /** The bodies of `column`'s series, until the next call. */
  of(column: HistogramColumn): this {
    this.column = column;
    this.index = -1;
    return this;
  }

  size(index: number): number {
    const column = this.column!;
    const { values, stride, boundaries, native } = column;
    const at = index * stride;
    let size = uintFieldSize(values[at + HISTOGRAM_COUNT]!) + DOUBLE_FIELD_SIZE;
    this.classicBuckets = 0;
    if (!native || native.classicInProtobuf) {
      if (this.cumulative.length < boundaries.length) this.cumulative = new Float64Array(boundaries.length);
      const { cumulative } = this;
      let sum = 0;
      let b = 0;
      for (; b < boundaries.length && HISTOGRAM_BUCKETS + b < stride; b++) {
        sum += values[at + HISTOGRAM_BUCKETS + b]!;
        if (boundaries[b] === Infinity) break;
        cumulative[b] = sum;
        size += bucketSize(sum);
      }
      this.classicBuckets = b;
    }
    this.noOpSpan = false;
    if (native) {
      const base = index * NATIVE_LAYOUT_STRIDE;
      const { layout, zero, counts } = native;
      const countsAt = layout[base + NATIVE_COUNTS_AT]!;
      const positiveLength = layout[base + NATIVE_POSITIVE_LENGTH]!;
      const { negative, positive } = this;
      negative.fill(
        counts,
        countsAt + positiveLength,
        layout[base + NATIVE_NEGATIVE_LENGTH]!,
        layout[base + NATIVE_NEGATIVE_KEY]!,
      );
      positive.fill(counts, countsAt, positiveLength, layout[base + NATIVE_POSITIVE_KEY]!);
      const zeroCount = zero[index * 2 + 1]!;
      size += uintFieldSize(zigzag(layout[base + NATIVE_SCHEMA]!)) + DOUBLE_FIELD_SIZE;
      size += uintFieldSize(zeroCount) + negative.size();
      // Nothing would tell a native histogram from a classic one: a no-op span does (client_model's rule).
      this.noOpSpan = positive.empty && negative.empty && zero[index * 2] === 0 && zeroCount === 0;
      size += this.noOpSpan ? NO_OP_SPAN_SIZE : positive.size();
    }
    this.index = index;
    this.content = size;
    return 1 + varintSize(size) + size;
  }

  write(index: number, writer: ProtoWriter): void {
    if (index !== this.index) this.size(index);
    const column = this.column!;
    const { values, stride, boundaries, native } = column;
    const at = index * stride;
    writer.lengthPrefix(METRIC.histogram, this.content);
    writer.uintField(HISTOGRAM.sampleCount, values[at + HISTOGRAM_COUNT]!);
    writer.doubleField(HISTOGRAM.sampleSum, values[at + HISTOGRAM_SUM]!);
    const { cumulative } = this;
    for (let b = 0; b < this.classicBuckets; b++) {
      const count = cumulative[b]!;
      writer.lengthPrefix(HISTOGRAM.bucket, uintFieldSize(count) + DOUBLE_FIELD_SIZE);
      writer.uintField(BUCKET.cumulativeCount, count);
      writer.doubleField(BUCKET.upperBound, boundaries[b]!);
    }
    if (!native) return;
    const base = index * NATIVE_LAYOUT_STRIDE;
    const { layout, zero } = native;
    writer.sintField(HISTOGRAM.schema, layout[base + NATIVE_SCHEMA]!);
    writer.doubleField(HISTOGRAM.zeroThreshold, zero[index * 2]!);
    writer.uintField(HISTOGRAM.zeroCount, zero[index * 2 + 1]!);
    this.negative.write(writer, HISTOGRAM.negativeSpan, HISTOGRAM.negativeDelta);
    if (this.noOpSpan) {
      writer.lengthPrefix(HISTOGRAM.positiveSpan, 4);
      writer.sintField(SPAN.offset, 0);
      writer.uintField(SPAN.length, 0);
    } else this.positive.write(writer, HISTOGRAM.positiveSpan, HISTOGRAM.positiveDelta);
  }
}

/** Bytes of a Bucket field: cumulative_count (1) and upper_bound (2). */
export function bucketSize(cumulative: number): number {
  return delimitedSize(uintFieldSize(cumulative) + DOUBLE_FIELD_SIZE);
}
