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
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { emptyResource } from '@opentelemetry/resources';

/** Where RTTs go: an OpenTelemetry histogram, or the exporter's own store. */
export interface HistogramSink {
  record(value: number, attributes: Attributes): void;
  /** Drops the series of `attributes` (a removed target); a no-op where the backend cannot. */
  forget(attributes: Attributes): void;
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

  constructor(readonly spec: HistogramSpec) {}

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

/**
 * Cumulative explicit-bucket histograms kept by the exporter itself and handed to a Prometheus
 * reader as a MetricProducer. Unlike an SDK instrument, a series can be dropped when its target
 * goes away, and recording is a map lookup and a few additions.
 */
export class HistogramStore implements MetricProducer {
  private readonly histograms: StoredHistogram[] = [];

  histogram(spec: HistogramSpec): HistogramSink {
    const histogram = new StoredHistogram({ ...spec, boundaries: [...spec.boundaries] });
    this.histograms.push(histogram);
    return histogram;
  }

  async collect(): Promise<CollectionResult> {
    const endTime = nowHrTime();
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: [
          { scope: { name: 'netdiag-exporter' }, metrics: this.histograms.map((h) => h.data(endTime)) },
        ],
      },
      errors: [],
    };
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
  store: HistogramStore | undefined,
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
