import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { LabelEncodings } from './label-encodings';
import {
  HISTOGRAM_BUCKETS,
  HISTOGRAM_COUNT,
  HISTOGRAM_SUM,
  type ColumnDescriptor,
  type HistogramColumn,
  type MetricColumn,
} from './store-snapshot';

/**
 * The Prometheus text format (0.0.4) of collected OpenTelemetry metrics, in the output of
 * @opentelemetry/exporter-prometheus' serializer (same names, HELP/UNIT/TYPE lines, label order,
 * escaping, `_total` rule, histogram lines), but built for tens of thousands of series: the label
 * text of an attribute set is rendered once and cached (LabelEncodings), as the store and the SDK
 * keep each series' attributes object from one collection to the next.
 */
export class PrometheusTextWriter {
  private readonly labelText = new LabelEncodings(labelText);
  /** The label texts of each column or metric being written, found once per column, not per slice. */
  private readonly columnLabels = new WeakMap<object, readonly string[]>();
  private readonly leTexts = new WeakMap<readonly number[], string[]>();

  /** `target_info` from the resource attributes. */
  targetInfo(attributes: Attributes): string {
    return `# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info${braces(this.labelText.of(attributes))} 1\n`;
  }

  /** The HELP, UNIT and TYPE lines of a metric. */
  header(metric: MetricData): string {
    return headerText(metricName(metric), metric.descriptor, prometheusType(metric));
  }

  /** The HELP, UNIT and TYPE lines of a stored metric. */
  columnHeader(column: MetricColumn): string {
    return headerText(columnName(column), column.descriptor, column.kind);
  }

  /** The sample lines of series [start, end) of a stored metric. */
  columnSamples(column: MetricColumn, start: number, end: number): string {
    const name = columnName(column);
    const last = Math.min(end, column.length);
    const labels = this.labelsOf(column, column.descriptor, column.attributes);
    let text = '';
    if (column.kind === 'histogram') {
      for (let i = start; i < last; i++) text += this.columnHistogram(name, column, i, labels[i]!);
      return text;
    }
    for (let i = start; i < last; i++) {
      text += `${name}${braces(labels[i]!)} ${valueText(column.values[i]!)}\n`;
    }
    return text;
  }

  /** The sample lines of data points [start, end) of a metric. */
  samples(metric: MetricData, start: number, end: number): string {
    const name = metricName(metric);
    let text = '';
    if (metric.dataPointType === DataPointType.HISTOGRAM) {
      const points = metric.dataPoints;
      const labels = this.pointLabels(metric);
      for (let i = start; i < end && i < points.length; i++)
        text += this.histogram(name, points[i]!, labels[i]!);
      return text;
    }
    if (metric.dataPointType !== DataPointType.GAUGE && metric.dataPointType !== DataPointType.SUM)
      return text;
    const points: ReadonlyArray<DataPoint<number>> = metric.dataPoints;
    const labels = this.pointLabels(metric);
    for (let i = start; i < end && i < points.length; i++) {
      text += `${name}${braces(labels[i]!)} ${valueText(points[i]!.value)}\n`;
    }
    return text;
  }

  /** The label texts of an SDK metric's points, in order. */
  private pointLabels(metric: MetricData): readonly string[] {
    const points: ReadonlyArray<DataPoint<unknown>> = metric.dataPoints;
    return (
      this.columnLabels.get(metric) ??
      this.labelsOf(
        metric,
        metric.descriptor,
        points.map((point) => point.attributes),
      )
    );
  }

  /** The label texts of `attributes`, the series of `written` (one collection's column or metric) in order. */
  private labelsOf(
    written: object,
    descriptor: object,
    attributes: readonly Attributes[],
  ): readonly string[] {
    let labels = this.columnLabels.get(written);
    if (!labels) {
      labels = this.labelText.column(descriptor, attributes);
      this.columnLabels.set(written, labels);
    }
    return labels;
  }

  private columnHistogram(name: string, column: HistogramColumn, index: number, labels: string): string {
    const set = braces(labels);
    const values = column.values;
    const at = index * column.stride;
    let text = `${name}_count${set} ${valueText(values[at + HISTOGRAM_COUNT]!)}\n`;
    text += `${name}_sum${set} ${valueText(values[at + HISTOGRAM_SUM]!)}\n`;
    const les = this.les(column.boundaries);
    const prefix = `${name}_bucket{${labels}${labels === '' ? '' : ','}le="`;
    let cumulative = 0;
    for (let b = 0; b < les.length && HISTOGRAM_BUCKETS + b < column.stride; b++) {
      cumulative += values[at + HISTOGRAM_BUCKETS + b]!;
      text += `${prefix}${les[b]}"} ${cumulative}\n`;
    }
    return text;
  }

  private histogram(name: string, point: DataPoint<Histogram>, labels: string): string {
    const set = braces(labels);
    const { count, sum, buckets } = point.value;
    let text = `${name}_count${set} ${valueText(count)}\n`;
    if (sum !== undefined) text += `${name}_sum${set} ${valueText(sum)}\n`;
    const les = this.les(buckets.boundaries);
    const prefix = `${name}_bucket{${labels}${labels === '' ? '' : ','}le="`;
    let cumulative = 0;
    for (let i = 0; i < buckets.counts.length && i < les.length; i++) {
      cumulative += buckets.counts[i]!;
      text += `${prefix}${les[i]}"} ${cumulative}\n`;
    }
    return text;
  }

  /** `le` values of the boundaries, with the implicit +Inf bucket last. */
  private les(boundaries: readonly number[]): string[] {
    let les = this.leTexts.get(boundaries);
    if (!les) {
      les = boundaries.filter((b) => b !== Infinity).map((b) => String(b));
      les.push('+Inf');
      this.leTexts.set(boundaries, les);
    }
    return les;
  }
}

/** The text of a label set inside the braces: `name="value"` pairs, in the attributes' order. */
function labelText(attributes: Attributes): string {
  const pairs: string[] = [];
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    pairs.push(`${sanitizeName(key)}="${escapeLabelValue(attributes[key])}"`);
  }
  // join() makes one flat string; `+=` made a rope of half a dozen string objects per label set,
  // kept for the series' life (400,000 of them, 16 MB, in a heap snapshot at 10,000 targets).
  return pairs.join(',');
}

const metricNames = new WeakMap<MetricData['descriptor'], string>();

/** The Prometheus name of an SDK metric (both expositions). */
export function metricName(metric: MetricData): string {
  let name = metricNames.get(metric.descriptor);
  if (name === undefined) {
    name = prometheusName(
      metric.descriptor.name,
      metric.dataPointType === DataPointType.SUM && metric.isMonotonic,
    );
    metricNames.set(metric.descriptor, name);
  }
  return name;
}

const columnNames = new WeakMap<ColumnDescriptor, string>();

/** The Prometheus name of a stored metric (both expositions). */
export function columnName(column: MetricColumn): string {
  let name = columnNames.get(column.descriptor);
  if (name === undefined) {
    name = prometheusName(column.descriptor.name, column.kind === 'counter');
    columnNames.set(column.descriptor, name);
  }
  return name;
}

function headerText(name: string, descriptor: { description: string; unit: string }, type: string): string {
  let text = `# HELP ${name} ${escapeText(descriptor.description || 'description missing')}\n`;
  if (descriptor.unit) text += `# UNIT ${name} ${escapeText(descriptor.unit)}\n`;
  return `${text}# TYPE ${name} ${type}\n`;
}

/** The Prometheus type of an SDK metric: counter, gauge, histogram or untyped. */
export function prometheusType(metric: MetricData): string {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic ? 'counter' : 'gauge';
    case DataPointType.GAUGE:
      return 'gauge';
    case DataPointType.HISTOGRAM:
      return 'histogram';
    default:
      return 'untyped';
  }
}

function prometheusName(otelName: string, counter: boolean): string {
  let name = sanitizeName(escapeText(otelName));
  if (/^[0-9]/.test(name)) name = `_${name}`;
  if (counter && !name.endsWith('_total')) name += '_total';
  return name;
}

const braces = (labels: string): string => (labels === '' ? '' : `{${labels}}`);

/** A label or metric name with every character Prometheus does not allow replaced by `_`. */
export const sanitizeName = (name: string): string =>
  name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');

const escapeText = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function escapeLabelValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return escapeText(text ?? '').replace(/"/g, '\\"');
}

function valueText(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}
