import type { Attributes, Histogram as OtelHistogram, HrTime, Meter } from '@opentelemetry/api';
import type { CollectionResult, MetricProducer } from '@opentelemetry/sdk-metrics';
import { emptyResource } from '@opentelemetry/resources';
import { observeWithMeter, type ObservedBinding, type ObservedCollect, type ObservedSpec } from './observed';
import { LabelSetSequence } from './label-set-sequence';
import { nativeColumn } from './native-column';
import { NativeBuckets, type NativeHistogramOptions } from './native-histogram';
import {
  HISTOGRAM_BUCKETS,
  HISTOGRAM_COUNT,
  HISTOGRAM_MAX,
  HISTOGRAM_MIN,
  HISTOGRAM_SUM,
  ScalarColumnBuilder,
  SpareArray,
  columnToMetricData,
  type ColumnDescriptor,
  type HistogramColumn,
  type MetricColumn,
  type ReleasableSnapshot,
} from './store-snapshot';

/** Where RTTs go: an OpenTelemetry histogram, or the exporter's own store. */
export interface HistogramSink {
  record(value: number, attributes: Attributes): void;
  /** Drops the series of `attributes` (a removed target); a no-op where the backend cannot. */
  forget(attributes: Attributes): void;
  /** Stops exporting the histogram (its owner is closed); a no-op for SDK instruments. */
  close(): void;
}

export interface HistogramSpec {
  name: string;
  description: string;
  unit: string;
  boundaries: readonly number[];
  /** Native buckets next to the classic ones (the exporter's own store only). */
  native?: NativeHistogramOptions | undefined;
}

/** A sink over an instrument of any MeterProvider; such series cannot be dropped. */
class InstrumentHistogramSink implements HistogramSink {
  constructor(private readonly histogram: OtelHistogram) {}
  record(value: number, attributes: Attributes): void {
    this.histogram.record(value, attributes);
  }
  forget(): void {}
  close(): void {}
}

interface Cell {
  readonly attributes: Attributes;
  startTime: HrTime;
  readonly counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
  readonly native: NativeBuckets | undefined;
}

class StoredHistogram implements HistogramSink {
  private readonly cells = new Map<Attributes, Cell>();
  readonly descriptor: ColumnDescriptor;
  /** The label sets of its columns, one object across collections (LabelSetSequence). */
  private readonly attributes = new LabelSetSequence();
  /** Native bucket counts the last column held: the next one's first guess. */
  private lastNativeSlots = 0;
  /** Arrays of released columns, for the next ones (ReleasableSnapshot). */
  private readonly spareValues = new SpareArray<Float64Array>(Float64Array);
  private readonly spareNative = {
    layout: new SpareArray<Int32Array>(Int32Array),
    zero: new SpareArray<Float64Array>(Float64Array),
    counts: new SpareArray<Float64Array>(Float64Array),
  };

  constructor(
    readonly spec: HistogramSpec,
    private readonly onClose: (histogram: StoredHistogram) => void,
  ) {
    this.descriptor = { name: spec.name, description: spec.description, unit: spec.unit };
  }

  close(): void {
    this.cells.clear();
    this.onClose(this);
  }

  record(value: number, attributes: Attributes): void {
    let cell = this.cells.get(attributes);
    if (!cell) {
      cell = {
        attributes,
        startTime: nowHrTime(),
        counts: new Array<number>(this.spec.boundaries.length + 1).fill(0),
        count: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
        native: this.spec.native && new NativeBuckets(this.spec.native),
      };
      this.cells.set(attributes, cell);
    }
    if (cell.native && !cell.native.observe(value)) {
      // Past the bucket limit, with a reset due: the series starts over from this observation.
      resetCell(cell);
      cell.native.observe(value);
    }
    cell.counts[bucketIndex(this.spec.boundaries, value)]!++;
    cell.count++;
    cell.sum += value;
    if (value < cell.min) cell.min = value;
    if (value > cell.max) cell.max = value;
  }

  forget(attributes: Attributes): void {
    this.cells.delete(attributes);
  }

  /** Takes back the arrays of a column it made, once nothing reads it. */
  giveBack(column: HistogramColumn): void {
    this.spareValues.giveBack(column.values);
    const { native } = column;
    if (native === undefined) return;
    this.spareNative.layout.giveBack(native.layout);
    this.spareNative.zero.giveBack(native.zero);
    this.spareNative.counts.giveBack(native.counts);
  }

  /** `withNative`: false leaves the native buckets out (`native` undefined). */
  column(withNative: boolean): HistogramColumn {
    const stride = HISTOGRAM_BUCKETS + this.spec.boundaries.length + 1;
    const length = this.cells.size;
    // Every element of the first length × stride is written below.
    const values = this.spareValues.take(length * stride);
    const { attributes } = this;
    attributes.start();
    const startTimes = new Array<HrTime>(length);
    const natives = this.spec.native && withNative ? new Array<NativeBuckets>(length) : undefined;
    let at = 0;
    let point = 0;
    for (const cell of this.cells.values()) {
      attributes.push(cell.attributes);
      startTimes[point] = cell.startTime;
      if (natives) natives[point] = cell.native!;
      point++;
      values[at + HISTOGRAM_COUNT] = cell.count;
      values[at + HISTOGRAM_SUM] = cell.sum;
      values[at + HISTOGRAM_MIN] = cell.min;
      values[at + HISTOGRAM_MAX] = cell.max;
      for (let b = 0; b < cell.counts.length; b++) values[at + HISTOGRAM_BUCKETS + b] = cell.counts[b]!;
      at += stride;
    }
    const { descriptor } = this;
    const boundaries = this.spec.boundaries;
    const native =
      natives && nativeColumn(natives, this.spec.native!, this.lastNativeSlots, this.spareNative);
    if (native) this.lastNativeSlots = native.counts.length;
    return {
      kind: 'histogram',
      descriptor,
      length,
      boundaries,
      attributes: attributes.build(),
      startTimes,
      values,
      stride,
      native,
    };
  }
}

/** Every count of a cell back to 0, its start now (a counter reset for Prometheus). */
function resetCell(cell: Cell): void {
  cell.counts.fill(0);
  cell.count = 0;
  cell.sum = 0;
  cell.min = Infinity;
  cell.max = -Infinity;
  cell.startTime = nowHrTime();
  cell.native?.reset();
}

interface ObservedGroup {
  readonly collect: ObservedCollect;
  /** A builder per spec, kept across collections (LabelSetSequence says why). */
  readonly builders: ReadonlyMap<ObservedSpec, ScalarColumnBuilder>;
}

/**
 * The exporter's own metric state, handed to a metric reader (Prometheus, OTLP) as a
 * MetricProducer: cumulative explicit-bucket histograms and observed gauges and counters.
 *
 * The SDK's instruments hash every attribute set on every observation (a cost per series on every
 * scrape) and cannot drop a series; here a series is an object the exporter
 * holds, its values are read straight into columns (`snapshot()`), and it goes when its target goes.
 */
export class MetricStore implements MetricProducer {
  private readonly histograms = new Set<StoredHistogram>();
  private readonly groups = new Set<ObservedGroup>();
  private readonly startTime = nowHrTime();
  private readonly descriptors = new WeakMap<ObservedSpec, ColumnDescriptor>();

  histogram(spec: HistogramSpec): HistogramSink {
    const histogram = new StoredHistogram({ ...spec, boundaries: [...spec.boundaries] }, (closed) =>
      this.histograms.delete(closed),
    );
    this.histograms.add(histogram);
    return histogram;
  }

  observe(specs: readonly ObservedSpec[], collect: ObservedCollect): ObservedBinding {
    const builders = new Map<ObservedSpec, ScalarColumnBuilder>();
    for (const spec of specs) builders.set(spec, new ScalarColumnBuilder(spec.kind, this.descriptor(spec)));
    const group: ObservedGroup = { collect, builders };
    this.groups.add(group);
    return { detach: () => void this.groups.delete(group) };
  }

  /**
   * Every stored series, read now. `native` (default true): false leaves histograms' native buckets
   * out, for the text format, which has no use for them (text scrapes were slower with native
   * histograms on: bench/results.md, "Exporter A/B: native histograms off").
   */
  snapshot({ native = true }: { native?: boolean } = {}): ReleasableSnapshot {
    const endTime = nowHrTime();
    const columns: MetricColumn[] = [];
    /** What release() does: each column's arrays back to the builder or histogram that made them. */
    const givesBack: Array<() => void> = [];
    for (const { collect, builders } of this.groups) {
      for (const builder of builders.values()) builder.start();
      // The last spec's builder kept: a target's error counters come one after the other (50,000
      // series at 10,000 targets), each a lookup in the map otherwise.
      let lastSpec: ObservedSpec | undefined;
      let lastBuilder: ScalarColumnBuilder | undefined;
      collect((spec, value, attributes) => {
        if (spec !== lastSpec) {
          lastSpec = spec;
          lastBuilder = builders.get(spec);
        }
        lastBuilder?.add(value, attributes);
      });
      for (const builder of builders.values()) {
        const column = builder.build();
        columns.push(column);
        givesBack.push(() => builder.giveBack(column.values));
      }
    }
    for (const histogram of this.histograms) {
      const column = histogram.column(native);
      columns.push(column);
      givesBack.push(() => histogram.giveBack(column));
    }
    const release = (): void => {
      for (const giveBack of givesBack.splice(0)) giveBack();
    };
    return { startTime: this.startTime, endTime, columns, release };
  }

  async collect(): Promise<CollectionResult> {
    const { startTime, endTime, columns } = this.snapshot();
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [
          {
            scope: { name: 'netdiag-exporter' },
            metrics: columns.map((column) => columnToMetricData(column, startTime, endTime)),
          },
        ],
      },
      errors: [],
    };
  }

  private descriptor(spec: ObservedSpec): ColumnDescriptor {
    let descriptor = this.descriptors.get(spec);
    if (!descriptor) {
      descriptor = { name: spec.name, description: spec.description, unit: spec.unit ?? '' };
      this.descriptors.set(spec, descriptor);
    }
    return descriptor;
  }
}

/** Index of the bucket of `value`: the first boundary it does not exceed, or the overflow bucket. */
export function bucketIndex(boundaries: readonly number[], value: number): number {
  let low = 0;
  let high = boundaries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (value <= boundaries[middle]!) high = middle;
    else low = middle + 1;
  }
  return low;
}

function nowHrTime(): HrTime {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** A histogram in `store` when there is one (the standalone exporter), else an instrument of `meter`. */
export function createHistogramSink(
  meter: Meter,
  store: MetricStore | undefined,
  spec: HistogramSpec,
): HistogramSink {
  if (store) return store.histogram(spec);
  return new InstrumentHistogramSink(
    meter.createHistogram(spec.name, {
      description: spec.description,
      unit: spec.unit,
      advice: { explicitBucketBoundaries: [...spec.boundaries] },
    }),
  );
}

/** Observed metrics in `store` when there is one, else observable instruments of `meter`. */
export function createObserved(
  meter: Meter,
  store: MetricStore | undefined,
  specs: readonly ObservedSpec[],
  collect: ObservedCollect,
): ObservedBinding {
  return store ? store.observe(specs, collect) : observeWithMeter(meter, specs, collect);
}
