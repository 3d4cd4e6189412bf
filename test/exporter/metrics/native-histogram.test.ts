import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataPointType, type ExponentialHistogramMetricData } from '@opentelemetry/sdk-metrics';
import { columnToMetricData, MetricStore, type HistogramColumn } from '../../../exporter/metrics';
import { NativeBuckets, type NativeHistogramOptions } from '../../../exporter/metrics/native-histogram';
import { bucketKey, DEFAULT_ZERO_THRESHOLD } from '../../../exporter/metrics/native-schema';
import {
  HISTOGRAM_COUNT,
  NATIVE_COUNTS_AT,
  NATIVE_LAYOUT_STRIDE,
  NATIVE_POSITIVE_KEY,
  NATIVE_POSITIVE_LENGTH,
  NATIVE_SCHEMA,
} from '../../../exporter/metrics/store-snapshot';

const options = (parts: Partial<NativeHistogramOptions> = {}): NativeHistogramOptions => ({
  schema: 3,
  zeroThreshold: DEFAULT_ZERO_THRESHOLD,
  maxBuckets: 160,
  classicInProtobuf: true,
  ...parts,
});

/** The (key, count) pairs of the positive buckets. */
function positive(buckets: NativeBuckets): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  buckets.positive.forEach((key, count) => pairs.push([key, count]));
  return pairs;
}

/** One histogram of `store` with native buckets, and a reader of its single series. */
function storeHistogram(native: NativeHistogramOptions) {
  const store = new MetricStore();
  const sink = store.histogram({
    name: 'rtt_seconds',
    description: '',
    unit: 's',
    boundaries: [0.01, 0.1],
    native,
  });
  const column = (): HistogramColumn => store.snapshot().columns[0] as HistogramColumn;
  return { store, sink, column };
}

describe('native buckets', () => {
  it('counts each value in its exponential bucket, and |v| up to the zero threshold in the zero bucket', () => {
    const buckets = new NativeBuckets(options());
    const values = [0.0012, 0.0013, 0.0012, 0.02, 0.5, 2 ** -127];
    for (const v of values) assert.equal(buckets.observe(v), true);
    for (const v of [0, 2 ** -128, -(2 ** -128)]) buckets.observe(v);
    assert.equal(buckets.zeroCount, 3);
    const expected = new Map<number, number>();
    for (const v of values) expected.set(bucketKey(v, 3), (expected.get(bucketKey(v, 3)) ?? 0) + 1);
    assert.deepEqual(
      positive(buckets),
      [...expected].sort((a, b) => a[0] - b[0]),
    );
    assert.equal(buckets.populated(), expected.size);
    buckets.observe(-0.5);
    assert.equal(buckets.negative?.populated, 1);
  });

  it('past the bucket limit, halves the resolution until the limit holds, each count kept in the bucket holding its value', () => {
    const buckets = new NativeBuckets(options({ maxBuckets: 4 }));
    // Five buckets at schema 3 (factor 2^(1/8)): 1.05 to 1.6 are keys 1 to 6 apart.
    const values = [1.05, 1.15, 1.25, 1.4, 1.6];
    for (const v of values) buckets.observe(v);
    assert.equal(buckets.schema, 2);
    assert.ok(buckets.populated() <= 4);
    const counts = new Map<number, number>();
    for (const v of values) counts.set(bucketKey(v, 2), (counts.get(bucketKey(v, 2)) ?? 0) + 1);
    assert.deepEqual(
      positive(buckets),
      [...counts].sort((a, b) => a[0] - b[0]),
    );
    // Far-flung values: the schema keeps going down, never past the limit.
    for (const v of [1e-6, 1e-3, 10, 1e3, 1e6, 1e9]) {
      buckets.observe(v);
      assert.ok(buckets.populated() <= 4, `${buckets.populated()} buckets at schema ${buckets.schema}`);
    }
    assert.ok(buckets.schema < 0);
    let total = 0;
    buckets.positive.forEach((_key, count) => (total += count));
    assert.equal(total, values.length + 6);
  });

  it('resets the series past the limit when the last reset is min_reset_duration old; coarsens before', () => {
    let now = 0;
    const { sink, column } = storeHistogram(options({ maxBuckets: 2, minResetMs: 60_000, now: () => now }));
    const labels = { target: 'a' };
    // Keys -79, -78, -77 at schema 3; -39, -39, -38 at schema 2.
    sink.record(0.001, labels);
    sink.record(0.00109, labels);
    now = 30_000;
    sink.record(0.00118, labels); // a third bucket, 30 s after the start: coarsen
    let snapshot = column();
    assert.equal(snapshot.native!.layout[NATIVE_SCHEMA], 2);
    assert.equal(snapshot.values[HISTOGRAM_COUNT], 3);
    const started = snapshot.startTimes[0];
    now = 61_000;
    sink.record(0.0011, labels); // coarsened and a minute on: start over, from this observation
    snapshot = column();
    assert.equal(snapshot.native!.layout[NATIVE_SCHEMA], 3);
    assert.equal(snapshot.values[HISTOGRAM_COUNT], 1);
    assert.notDeepEqual(snapshot.startTimes[0], started);
    assert.equal(snapshot.native!.layout[NATIVE_POSITIVE_KEY], bucketKey(0.0011, 3));
    // Past the limit with the reset due: the series resets rather than coarsens.
    sink.record(0.01, labels);
    now = 200_000;
    sink.record(0.1, labels);
    snapshot = column();
    assert.equal(snapshot.native!.layout[NATIVE_SCHEMA], 3);
    assert.equal(snapshot.values[HISTOGRAM_COUNT], 1);
  });

  it('snapshots each series’ window of buckets, empty ones between as 0', () => {
    const { sink, column } = storeHistogram(options());
    // A series is its attributes object (the store's key), as the exporter's series hold theirs.
    const [a, b] = [{ target: 'a' }, { target: 'b' }];
    sink.record(0.001, a);
    sink.record(0.0016, a);
    sink.record(0.05, b);
    const { native, length } = column();
    assert.equal(length, 2);
    const windows = [0, 1].map((point) => {
      const base = point * NATIVE_LAYOUT_STRIDE;
      const at = native!.layout[base + NATIVE_COUNTS_AT]!;
      const size = native!.layout[base + NATIVE_POSITIVE_LENGTH]!;
      return {
        key: native!.layout[base + NATIVE_POSITIVE_KEY],
        counts: [...native!.counts.subarray(at, at + size)],
      };
    });
    const first = bucketKey(0.001, 3);
    const gap = bucketKey(0.0016, 3) - first;
    assert.deepEqual(windows[0], { key: first, counts: [1, ...new Array<number>(gap - 1).fill(0), 1] });
    assert.deepEqual(windows[1], { key: bucketKey(0.05, 3), counts: [1] });
  });

  it('leaves the native buckets out of a snapshot asked without them (the text format), the classic ones the same', () => {
    const { store, sink, column } = storeHistogram(options());
    for (const v of [0.001, 0.05, 0.3]) sink.record(v, { target: 'a' });
    const without = store.snapshot({ native: false }).columns[0] as HistogramColumn;
    const withNative = column();
    assert.equal(without.native, undefined);
    assert.ok(withNative.native);
    assert.deepEqual([...without.values], [...withNative.values]);
    // The next snapshot with them is whole again.
    assert.deepEqual(column().native, withNative.native);
  });

  it('turns into OpenTelemetry exponential histogram points of the same scale, OTel index = key - 1', () => {
    const { sink, column } = storeHistogram(options());
    const a = { target: 'a' };
    const values = [0.001, 0.0016, 0.0016, 0.05];
    for (const v of values) sink.record(v, a);
    const metric = columnToMetricData(column(), [0, 0], [1, 0]) as ExponentialHistogramMetricData;
    assert.equal(metric.dataPointType, DataPointType.EXPONENTIAL_HISTOGRAM);
    const { value } = metric.dataPoints[0]!;
    assert.equal(value.scale, 3);
    assert.equal(value.count, 4);
    assert.equal(value.min, 0.001);
    assert.equal(value.max, 0.05);
    // OTel's bucket i holds (base^i, base^(i+1)]: each value lies in the bucket it is counted in.
    const base = 2 ** (1 / 8);
    for (const v of values) {
      const index = Math.ceil(Math.log2(v) * 8) - 1;
      assert.ok(base ** index < v && v <= base ** (index + 1) * (1 + 1e-12));
      assert.ok(value.positive.bucketCounts[index - value.positive.offset]! >= 1, `${v} at index ${index}`);
    }
    assert.equal(
      value.positive.bucketCounts.reduce((x, y) => x + y, 0),
      4,
    );
  });
});
