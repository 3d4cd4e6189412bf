import {
  ValueType,
  type Attributes,
  type Histogram as OtelHistogram,
  type HrTime,
  type Meter,
} from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type DataPoint,
  type Histogram,
  type HistogramMetricData,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { emptyResource } from '@opentelemetry/resources';
import { observeWithMeter, type ObservedBinding, type ObservedCollect, type ObservedSpec } from './observed';

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
}

/** A sink over an instrument of any MeterProvider; such series cannot be dropped. */
export class InstrumentHistogramSink implements HistogramSink {
  constructor(private readonly histogram: OtelHistogram) {}
  record(value: number, attributes: Attributes): void {
    this.histogram.record(value, attributes);
  }
  forget(): void {}
  close(): void {}
}

interface Cell {
  readonly attributes: Attributes;
  readonly startTime: HrTime;
  readonly counts: number[];
  count: number;
  sum: number;
  min: number;
  max: number;
}

class StoredHistogram implements HistogramSink {
  private readonly cells = new Map<Attributes, Cell>();

  constructor(
    readonly spec: HistogramSpec,
    private readonly onClose: (histogram: StoredHistogram) => void,
  ) {}

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
      };
      this.cells.set(attributes, cell);
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

  data(endTime: HrTime): HistogramMetricData {
    const boundaries = this.spec.boundaries as number[];
    const dataPoints: Array<DataPoint<Histogram>> = [];
    for (const cell of this.cells.values()) {
      dataPoints.push({
        attributes: cell.attributes,
        startTime: cell.startTime,
        endTime,
        value: {
          buckets: { boundaries, counts: cell.counts.slice() },
          count: cell.count,
          sum: cell.sum,
          min: cell.min,
          max: cell.max,
        },
      });
    }
    return {
      descriptor: {
        name: this.spec.name,
        description: this.spec.description,
        unit: this.spec.unit,
        valueType: ValueType.DOUBLE,
      },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints,
    };
  }
}

interface ObservedGroup {
  readonly specs: readonly ObservedSpec[];
  readonly collect: ObservedCollect;
}

/**
 * The exporter's own metric state, handed to a metric reader (Prometheus, OTLP) as a
 * MetricProducer: cumulative explicit-bucket histograms and observed gauges and counters.
 *
 * The SDK's instruments hash every attribute set on every observation (about 60 µs per series per
 * scrape at 10,000 targets) and cannot drop a series; here a series is an object the exporter
 * holds, its values are read straight into data points, and it goes when its target goes.
 */
export class MetricStore implements MetricProducer {
  private readonly histograms = new Set<StoredHistogram>();
  private readonly groups = new Set<ObservedGroup>();
  private readonly startTime = nowHrTime();

  histogram(spec: HistogramSpec): HistogramSink {
    const histogram = new StoredHistogram({ ...spec, boundaries: [...spec.boundaries] }, (closed) =>
      this.histograms.delete(closed),
    );
    this.histograms.add(histogram);
    return histogram;
  }

  observe(specs: readonly ObservedSpec[], collect: ObservedCollect): ObservedBinding {
    const group: ObservedGroup = { specs, collect };
    this.groups.add(group);
    return { detach: () => void this.groups.delete(group) };
  }

  async collect(): Promise<CollectionResult> {
    const endTime = nowHrTime();
    const metrics: MetricData[] = [];
    for (const { specs, collect } of this.groups) {
      const points = new Map<ObservedSpec, Array<DataPoint<number>>>(specs.map((spec) => [spec, []]));
      collect((spec, value, attributes) => {
        points.get(spec)?.push({ attributes, startTime: this.startTime, endTime, value });
      });
      for (const spec of specs) metrics.push(observedData(spec, points.get(spec) ?? []));
    }
    for (const histogram of this.histograms) metrics.push(histogram.data(endTime));
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [{ scope: { name: 'netdiag-exporter' }, metrics }],
      },
      errors: [],
    };
  }
}

function observedData(spec: ObservedSpec, dataPoints: Array<DataPoint<number>>): MetricData {
  const descriptor = {
    name: spec.name,
    description: spec.description,
    unit: spec.unit ?? '',
    valueType: ValueType.DOUBLE,
  };
  const temporality = AggregationTemporality.CUMULATIVE;
  return spec.kind === 'gauge'
    ? { descriptor, aggregationTemporality: temporality, dataPointType: DataPointType.GAUGE, dataPoints }
    : {
        descriptor,
        aggregationTemporality: temporality,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints,
      };
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
