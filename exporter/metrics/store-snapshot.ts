import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type DataPoint,
  type ExponentialHistogram,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { LabelSetSequence } from './label-set-sequence';

/** Name, help and unit of a stored metric; one object per metric, kept across snapshots. */
export interface ColumnDescriptor {
  /** Full Prometheus name. */
  readonly name: string;
  readonly description: string;
  readonly unit: string;
}

/** The gauge or counter values of one metric at one collection, one entry per series. */
export interface ScalarColumn {
  readonly kind: 'gauge' | 'counter';
  readonly descriptor: ColumnDescriptor;
  readonly length: number;
  readonly attributes: readonly Attributes[];
  readonly values: Float64Array;
}

/** Offsets within a histogram point's stride of `HistogramColumn.values`. */
export const HISTOGRAM_COUNT = 0;
export const HISTOGRAM_SUM = 1;
export const HISTOGRAM_MIN = 2;
export const HISTOGRAM_MAX = 3;
/** The first bucket count; the buckets (boundaries + 1, the last unbounded) follow. */
export const HISTOGRAM_BUCKETS = 4;

/** The cumulative histograms of one metric at one collection. */
export interface HistogramColumn {
  readonly kind: 'histogram';
  readonly descriptor: ColumnDescriptor;
  readonly length: number;
  readonly boundaries: readonly number[];
  readonly attributes: readonly Attributes[];
  readonly startTimes: readonly HrTime[];
  /** Point i at i * stride: count, sum, min, max, then the bucket counts (not cumulative). */
  readonly values: Float64Array;
  readonly stride: number;
  /**
   * The native buckets of every point, when the histogram keeps them. Always a property, undefined
   * when there are none: the objects of a hot path keep one hidden class (LabelSetSequence says why).
   */
  readonly native: NativeColumn | undefined;
}

/** Offsets within a point's stride of `NativeColumn.layout`. */
export const NATIVE_SCHEMA = 0;
export const NATIVE_POSITIVE_KEY = 1;
export const NATIVE_POSITIVE_LENGTH = 2;
export const NATIVE_NEGATIVE_KEY = 3;
export const NATIVE_NEGATIVE_LENGTH = 4;
/** Where the point's positive counts start in `counts`; its negative ones follow them. */
export const NATIVE_COUNTS_AT = 5;
export const NATIVE_LAYOUT_STRIDE = 6;

/**
 * The native buckets of a histogram column's points. Each point has a window of positive and one of
 * negative bucket counts, from its first to its last non-empty bucket (empty ones between are 0).
 */
export interface NativeColumn {
  /** Point i at i * NATIVE_LAYOUT_STRIDE: schema, the windows' first keys and lengths, where they are. */
  readonly layout: Int32Array;
  /** Point i at 2i: the zero threshold, then the zero bucket's count. */
  readonly zero: Float64Array;
  readonly counts: Float64Array;
  /** Whether the protobuf exposition carries the classic buckets too. */
  readonly classicInProtobuf: boolean;
}

export type MetricColumn = ScalarColumn | HistogramColumn;

/**
 * A consistent read of every stored metric, in columns. A scrape keeps it for as long as its text
 * takes to write, many event-loop turns, so whatever it holds is promoted to the old generation:
 * as data points (objects per series) that was megabytes per scrape (allocation sampling); as
 * columns it is a few typed arrays per metric.
 */
export interface StoreSnapshot {
  /** Start of the observed (gauge and counter) series. */
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly columns: readonly MetricColumn[];
}

/**
 * A snapshot whose typed arrays go back to the store for a later one. A scrape holds its snapshot
 * for many turns, so its arrays (megabytes at 10,000 targets) were promoted to the old generation
 * and freed only by the next major collection: resident memory climbed scrape after scrape until one
 * came (bench/results.md, "Exporter, 2026-12-04: a scrape's arrays given back to the store").
 */
export interface ReleasableSnapshot extends StoreSnapshot {
  /**
   * Gives the columns' arrays back: call once, when nothing reads the snapshot any more (its columns
   * are then rewritten by a later snapshot). Not calling it is safe: the arrays are garbage then.
   */
  release(): void;
}

/**
 * The spare array of one owner: an array given back by a released snapshot, taken by the next
 * collection that fits in it. Invariant: an array is in at most one place at once, a live snapshot
 * or the spare (taking it empties the spare), so no two snapshots ever share one.
 */
export class SpareArray<A extends Float64Array | Int32Array> {
  /** The whole array (from index 0 of its buffer to its end). */
  private spare: A | undefined;

  constructor(private readonly kind: TypedArrayKind<A>) {}

  /**
   * An array of `length` elements, contents unspecified: the start of the spare when it is long
   * enough, else a new one.
   */
  take(length: number): A {
    const spare = this.spare;
    // An empty column does not take the spare from the next one that has series.
    if (spare !== undefined && spare.length >= length && length > 0) {
      this.spare = undefined;
      return spare.subarray(0, length) as A;
    }
    return new this.kind(length);
  }

  /** An array from take() that nothing reads any more (its whole buffer is kept; the longer of two). */
  giveBack(view: A): void {
    const whole = new this.kind(view.buffer as ArrayBuffer);
    if (this.spare === undefined || whole.length > this.spare.length) this.spare = whole;
  }
}

/** Float64Array or Int32Array, as SpareArray makes and views them. */
export interface TypedArrayKind<A> {
  new (length: number): A;
  new (buffer: ArrayBuffer): A;
}

/**
 * Collects the series of one gauge or counter at each collection (`start()`), growing its values as
 * needed. They are made at the previous collection's length rather than grown by pushes: at 10,000
 * targets a collection makes a dozen such columns of 10,000 series, and their growth was a tenth of
 * a scrape's garbage. The label sets are the previous column's array when they did not change
 * (LabelSetSequence). One builder per metric for the store's life, as LabelSetSequence says why.
 */
export class ScalarColumnBuilder {
  private values: Float64Array = new Float64Array(0);
  private readonly attributes = new LabelSetSequence();
  private length = 0;
  private readonly spare = new SpareArray<Float64Array>(Float64Array);

  constructor(
    private readonly kind: 'gauge' | 'counter',
    private readonly descriptor: ColumnDescriptor,
  ) {}

  /** A new collection: its values in an array no snapshot holds (the last column may still be read). */
  start(): void {
    this.values = this.spare.take(Math.max(this.attributes.previousLength, 4));
    this.length = 0;
    this.attributes.start();
  }

  add(value: number, attributes: Attributes): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.attributes.push(attributes);
    this.values[this.length++] = value;
  }

  /** The collection's column; its array goes back with `giveBack(column.values)` once released. */
  build(): ScalarColumn {
    const { kind, descriptor, length } = this;
    return {
      kind,
      descriptor,
      length,
      attributes: this.attributes.build(),
      values: this.values.subarray(0, length),
    };
  }

  /** Takes back the values of a column it built. */
  giveBack(values: Float64Array): void {
    this.spare.giveBack(values);
  }
}

/**
 * The native buckets of a histogram column as OpenTelemetry exponential histogram points: the same
 * scale (OTel's scale is the schema), and OTel's bucket index i holds (base^i, base^(i+1)], one below
 * Prometheus' key of the same bucket. The zero bucket's threshold has no field in the SDK's points:
 * OTLP receivers read the zero count as that of exact zeros (an RTT is never within 2^-128 s of 0).
 */
function exponentialPoints(
  column: HistogramColumn,
  native: NativeColumn,
  endTime: HrTime,
): Array<DataPoint<ExponentialHistogram>> {
  const points: Array<DataPoint<ExponentialHistogram>> = [];
  const { layout, zero, counts } = native;
  const v = column.values;
  for (let i = 0; i < column.length; i++) {
    const at = i * column.stride;
    const base = i * NATIVE_LAYOUT_STRIDE;
    const countsAt = layout[base + NATIVE_COUNTS_AT]!;
    const positiveLength = layout[base + NATIVE_POSITIVE_LENGTH]!;
    const negativeLength = layout[base + NATIVE_NEGATIVE_LENGTH]!;
    points.push({
      attributes: column.attributes[i]!,
      startTime: column.startTimes[i]!,
      endTime,
      value: {
        count: v[at + HISTOGRAM_COUNT]!,
        sum: v[at + HISTOGRAM_SUM]!,
        min: v[at + HISTOGRAM_MIN]!,
        max: v[at + HISTOGRAM_MAX]!,
        scale: layout[base + NATIVE_SCHEMA]!,
        zeroCount: zero[i * 2 + 1]!,
        positive: {
          offset: layout[base + NATIVE_POSITIVE_KEY]! - 1,
          bucketCounts: Array.from(counts.subarray(countsAt, countsAt + positiveLength)),
        },
        negative: {
          offset: layout[base + NATIVE_NEGATIVE_KEY]! - 1,
          bucketCounts: Array.from(
            counts.subarray(countsAt + positiveLength, countsAt + positiveLength + negativeLength),
          ),
        },
      },
    });
  }
  return points;
}

/**
 * The column as OpenTelemetry metric data (OTLP push, tests): one object per point. A histogram with
 * native buckets is an exponential histogram, unless `histograms` asks for its classic buckets.
 */
export function columnToMetricData(
  column: MetricColumn,
  startTime: HrTime,
  endTime: HrTime,
  histograms: 'exponential' | 'explicit' = 'exponential',
): MetricData {
  const { name, description, unit } = column.descriptor;
  const descriptor = { name, description, unit, valueType: ValueType.DOUBLE };
  const aggregationTemporality = AggregationTemporality.CUMULATIVE;
  if (column.kind === 'histogram' && column.native && histograms === 'exponential') {
    return {
      descriptor,
      aggregationTemporality,
      dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
      dataPoints: exponentialPoints(column, column.native, endTime),
    };
  }
  if (column.kind === 'histogram') {
    const boundaries = column.boundaries as number[];
    const dataPoints: Array<DataPoint<Histogram>> = [];
    for (let i = 0; i < column.length; i++) {
      const at = i * column.stride;
      const v = column.values;
      dataPoints.push({
        attributes: column.attributes[i]!,
        startTime: column.startTimes[i]!,
        endTime,
        value: {
          buckets: { boundaries, counts: Array.from(v.subarray(at + HISTOGRAM_BUCKETS, at + column.stride)) },
          count: v[at + HISTOGRAM_COUNT]!,
          sum: v[at + HISTOGRAM_SUM]!,
          min: v[at + HISTOGRAM_MIN]!,
          max: v[at + HISTOGRAM_MAX]!,
        },
      });
    }
    return { descriptor, aggregationTemporality, dataPointType: DataPointType.HISTOGRAM, dataPoints };
  }
  const dataPoints: Array<DataPoint<number>> = [];
  for (let i = 0; i < column.length; i++) {
    dataPoints.push({ attributes: column.attributes[i]!, startTime, endTime, value: column.values[i]! });
  }
  return column.kind === 'gauge'
    ? { descriptor, aggregationTemporality, dataPointType: DataPointType.GAUGE, dataPoints }
    : { descriptor, aggregationTemporality, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints };
}
