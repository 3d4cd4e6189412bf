import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { ExporterError } from '../errors';
import { CLIENT_MODEL_FIELDS, METRIC_TYPE } from './client-model-fields';
import { LabelEncodings } from './label-encodings';
import { NativeSpans } from './native-spans';
import { columnName, metricName, prometheusType, sanitizeName } from './prometheus-text';
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
  type MetricColumn,
} from './store-snapshot';

const TYPE = METRIC_TYPE;
const FAMILY = CLIENT_MODEL_FIELDS.MetricFamily;
const METRIC = CLIENT_MODEL_FIELDS.Metric;
const HISTOGRAM = CLIENT_MODEL_FIELDS.Histogram;
const { BucketSpan: SPAN, Bucket: BUCKET, LabelPair: PAIR, Gauge: GAUGE } = CLIENT_MODEL_FIELDS;

/**
 * One metric family in the protobuf exposition: `header()` is the family's length prefix and its
 * name, help and type; then each metric (series) `i` is `metricSize(i)` bytes written by
 * `writeMetric(i, writer)`. A family is one length-delimited MetricFamily message, so its size is
 * known before its first byte: `header()` sizes every metric first (a pass that writes nothing).
 */
export interface ProtobufFamily {
  readonly length: number;
  header(): Buffer;
  metricSize(index: number): number;
  writeMetric(index: number, writer: ProtoWriter): void;
}

/**
 * The Prometheus protobuf exposition (`application/vnd.google.protobuf;
 * proto=io.prometheus.client.MetricFamily; encoding=delimited`): the same families, names, help and
 * label sets as PrometheusTextWriter's text, encoded by hand for the few client_model messages it
 * takes (see the README, "Native histograms", for why not a library). Histograms carry their classic
 * buckets (without the implicit +Inf one, as client_golang) and, when the store keeps them, their
 * native buckets. A label set's encoded LabelPairs are made once and cached (LabelEncodings), as the
 * text writer caches its label text.
 */
export class PrometheusProtobufWriter {
  private readonly labelBytes = new LabelEncodings(encodeLabels);
  /** Name, help and type fields by family name (a name has one help and type). */
  private readonly headers = new Map<string, Buffer>();
  private readonly spans = new NativeSpans();

  /** `target_info` from the resource attributes, a whole delimited family. */
  targetInfo(attributes: Attributes): Buffer {
    const labels = this.labelBytes.of(attributes);
    const metric = labels.length + GAUGE_SIZE;
    const fields = this.headerFields('target_info', 'Target metadata', TYPE.gauge);
    const size = fields.length + delimitedSize(metric);
    const writer = new ProtoWriter(Buffer.allocUnsafe(varintSize(size) + size));
    writer.varint(size);
    writer.bytes(fields);
    writer.lengthPrefix(FAMILY.metric, metric);
    writer.bytes(labels);
    writeGauge(writer, METRIC.gauge, 1);
    return writer.buffer;
  }

  /** The family of a stored metric. */
  column(column: MetricColumn): ProtobufFamily {
    const name = columnName(column);
    const type = column.kind === 'histogram' ? TYPE.histogram : TYPE[column.kind];
    const help = column.descriptor.description || 'description missing';
    const labels = this.labelBytes.column(column.descriptor, column.attributes);
    if (column.kind === 'histogram') {
      return this.family(
        name,
        help,
        type,
        column.length,
        (i) => labels[i]!.length + delimitedSize(this.columnHistogramBody(column, i, undefined)),
        // `size`: the Metric's, from the sizing pass (the Histogram's is what the labels leave of it).
        (i, w, size) => {
          w.bytes(labels[i]!);
          w.lengthPrefix(METRIC.histogram, contentSize(size - labels[i]!.length));
          this.columnHistogramBody(column, i, w);
        },
      );
    }
    const field = column.kind === 'counter' ? METRIC.counter : METRIC.gauge;
    return this.family(
      name,
      help,
      type,
      column.length,
      (i) => labels[i]!.length + GAUGE_SIZE,
      (i, w) => {
        w.bytes(labels[i]!);
        writeGauge(w, field, column.values[i]!);
      },
    );
  }

  /** The family of an SDK metric; empty for the kinds the text format has no samples for either. */
  metric(metric: MetricData): ProtobufFamily {
    const name = metricName(metric);
    const help = metric.descriptor.description || 'description missing';
    const kind = prometheusType(metric);
    if (metric.dataPointType === DataPointType.HISTOGRAM) {
      const points = metric.dataPoints;
      const labels = this.pointLabels(metric);
      return this.family(
        name,
        help,
        TYPE.histogram,
        points.length,
        (i) => labels[i]!.length + delimitedSize(pointHistogramBody(points[i]!, undefined)),
        (i, w, size) => {
          w.bytes(labels[i]!);
          w.lengthPrefix(METRIC.histogram, contentSize(size - labels[i]!.length));
          pointHistogramBody(points[i]!, w);
        },
      );
    }
    if (metric.dataPointType !== DataPointType.GAUGE && metric.dataPointType !== DataPointType.SUM)
      return this.family(
        name,
        help,
        TYPE.untyped,
        0,
        () => 0,
        () => {},
      );
    const points: ReadonlyArray<DataPoint<number>> = metric.dataPoints;
    const labels = this.pointLabels(metric);
    const field = kind === 'counter' ? METRIC.counter : METRIC.gauge;
    return this.family(
      name,
      help,
      kind === 'counter' ? TYPE.counter : TYPE.gauge,
      points.length,
      (i) => labels[i]!.length + GAUGE_SIZE,
      (i, w) => {
        w.bytes(labels[i]!);
        writeGauge(w, field, points[i]!.value);
      },
    );
  }

  /** The LabelPairs of an SDK metric's points, in order. */
  private pointLabels(metric: MetricData): readonly Buffer[] {
    const points: ReadonlyArray<DataPoint<unknown>> = metric.dataPoints;
    return this.labelBytes.column(
      metric.descriptor,
      points.map((point) => point.attributes),
    );
  }

  /** A family whose metric i has a body of bodySize(i) bytes written by writeBody(i, writer). */
  private family(
    name: string,
    help: string,
    type: number,
    length: number,
    bodySize: (index: number) => number,
    writeBody: (index: number, writer: ProtoWriter, size: number) => void,
  ): ProtobufFamily {
    const sizes = new Int32Array(length);
    const header = (): Buffer => {
      const fields = this.headerFields(name, help, type);
      let size = fields.length;
      for (let i = 0; i < length; i++) {
        sizes[i] = bodySize(i);
        size += delimitedSize(sizes[i]!);
      }
      const writer = new ProtoWriter(Buffer.allocUnsafe(varintSize(size) + fields.length));
      writer.varint(size);
      writer.bytes(fields);
      return writer.buffer.subarray(0, writer.pos);
    };
    return {
      length,
      header,
      metricSize: (i) => delimitedSize(sizes[i]!),
      writeMetric: (i, writer) => {
        writer.lengthPrefix(FAMILY.metric, sizes[i]!);
        const end = writer.pos + sizes[i]!;
        writeBody(i, writer, sizes[i]!);
        if (writer.pos !== end)
          throw new ExporterError(
            'ERR_INTERNAL',
            `protobuf: metric ${i} of ${name} is not the size computed`,
          );
      },
    };
  }

  /** The name, help and type fields of a family; cached per name (they do not change). */
  private headerFields(name: string, help: string, type: number): Buffer {
    const key = `${type} ${name} ${help}`;
    let fields = this.headers.get(key);
    if (!fields) {
      const nameBytes = Buffer.from(name, 'utf8');
      const helpBytes = Buffer.from(help, 'utf8');
      const writer = new ProtoWriter(
        Buffer.alloc(delimitedSize(nameBytes.length) + delimitedSize(helpBytes.length) + uintFieldSize(type)),
      );
      writer.lengthPrefix(FAMILY.name, nameBytes.length);
      writer.bytes(nameBytes);
      writer.lengthPrefix(FAMILY.help, helpBytes.length);
      writer.bytes(helpBytes);
      writer.uintField(FAMILY.type, type);
      fields = writer.buffer;
      this.headers.set(key, fields);
    }
    return fields;
  }

  /** Writes the Histogram message's fields of point `index` when given a writer; returns their size. */
  private columnHistogramBody(
    column: HistogramColumn,
    index: number,
    writer: ProtoWriter | undefined,
  ): number {
    const { values, stride, boundaries, native } = column;
    const at = index * stride;
    const count = values[at + HISTOGRAM_COUNT]!;
    let size = uintFieldSize(count) + DOUBLE_FIELD_SIZE;
    writer?.uintField(HISTOGRAM.sampleCount, count);
    writer?.doubleField(HISTOGRAM.sampleSum, values[at + HISTOGRAM_SUM]!);
    if (!native || native.classicInProtobuf) {
      let cumulative = 0;
      for (let b = 0; b < boundaries.length && HISTOGRAM_BUCKETS + b < stride; b++) {
        cumulative += values[at + HISTOGRAM_BUCKETS + b]!;
        if (boundaries[b] === Infinity) break;
        size += bucketSize(cumulative);
        if (writer) writeBucket(writer, cumulative, boundaries[b]!);
      }
    }
    if (!native) return size;
    const base = index * NATIVE_LAYOUT_STRIDE;
    const { layout, zero, counts } = native;
    const schema = layout[base + NATIVE_SCHEMA]!;
    const zeroThreshold = zero[index * 2]!;
    const zeroCount = zero[index * 2 + 1]!;
    size += uintFieldSize(zigzag(schema)) + DOUBLE_FIELD_SIZE + uintFieldSize(zeroCount);
    writer?.sintField(HISTOGRAM.schema, schema);
    writer?.doubleField(HISTOGRAM.zeroThreshold, zeroThreshold);
    writer?.uintField(HISTOGRAM.zeroCount, zeroCount);
    const countsAt = layout[base + NATIVE_COUNTS_AT]!;
    const positiveLength = layout[base + NATIVE_POSITIVE_LENGTH]!;
    const negativeLength = layout[base + NATIVE_NEGATIVE_LENGTH]!;
    const { spans } = this;
    spans.fill(counts, countsAt + positiveLength, negativeLength, layout[base + NATIVE_NEGATIVE_KEY]!);
    const noNegative = spans.empty;
    size += spans.size();
    if (writer) spans.write(writer, HISTOGRAM.negativeSpan, HISTOGRAM.negativeDelta);
    spans.fill(counts, countsAt, positiveLength, layout[base + NATIVE_POSITIVE_KEY]!);
    if (spans.empty && noNegative && zeroThreshold === 0 && zeroCount === 0) {
      // Nothing would tell a native histogram from a classic one: a no-op span does (client_model's rule).
      size += NO_OP_SPAN_SIZE;
      if (writer) {
        writer.lengthPrefix(HISTOGRAM.positiveSpan, 4);
        writer.sintField(SPAN.offset, 0);
        writer.uintField(SPAN.length, 0);
      }
      return size;
    }
    size += spans.size();
    if (writer) spans.write(writer, HISTOGRAM.positiveSpan, HISTOGRAM.positiveDelta);
    return size;
  }
}

/** An SDK histogram point's Histogram fields (classic buckets only), written when given a writer. */
function pointHistogramBody(point: DataPoint<Histogram>, writer: ProtoWriter | undefined): number {
  const { count, sum, buckets } = point.value;
  let size = uintFieldSize(count);
  writer?.uintField(HISTOGRAM.sampleCount, count);
  if (sum !== undefined) {
    size += DOUBLE_FIELD_SIZE;
    writer?.doubleField(HISTOGRAM.sampleSum, sum);
  }
  let cumulative = 0;
  for (let i = 0; i < buckets.counts.length && i < buckets.boundaries.length; i++) {
    cumulative += buckets.counts[i]!;
    if (buckets.boundaries[i] === Infinity) break;
    size += bucketSize(cumulative);
    if (writer) writeBucket(writer, cumulative, buckets.boundaries[i]!);
  }
  return size;
}

/** Bytes of a Gauge or Counter field: the message holds its value (a double, field 1). */
const GAUGE_SIZE = 2 + DOUBLE_FIELD_SIZE;

/** Bytes of a positive_span field holding the no-op span (offset 0, length 0). */
const NO_OP_SPAN_SIZE = 2 + 4;

function writeGauge(writer: ProtoWriter, field: number, value: number): void {
  writer.lengthPrefix(field, DOUBLE_FIELD_SIZE);
  // Gauge.value and Counter.value are both field 1.
  writer.doubleField(GAUGE.value, value);
}

/** Bytes of a Bucket field: cumulative_count (1) and upper_bound (2). */
function bucketSize(cumulative: number): number {
  return delimitedSize(uintFieldSize(cumulative) + DOUBLE_FIELD_SIZE);
}

function writeBucket(writer: ProtoWriter, cumulative: number, upperBound: number): void {
  writer.lengthPrefix(HISTOGRAM.bucket, uintFieldSize(cumulative) + DOUBLE_FIELD_SIZE);
  writer.uintField(BUCKET.cumulativeCount, cumulative);
  writer.doubleField(BUCKET.upperBound, upperBound);
}

/** The content size of a length-delimited field (number below 16) of `total` bytes in all. */
function contentSize(total: number): number {
  for (let prefix = 2; prefix <= 11; prefix++) {
    if (1 + varintSize(total - prefix) === prefix) return total - prefix;
  }
  throw new ExporterError('ERR_INTERNAL', `protobuf: no field is ${total} bytes long`);
}

/**
 * The Metric.label fields of an attribute set, in the text format's order and names: one buffer,
 * written in place (pieces concatenated would leave their garbage in the pool slabs the kept
 * encoding shares).
 */
function encodeLabels(attributes: Attributes): Buffer {
  const pairs: Array<[name: string, value: string]> = Object.entries(attributes).map(([key, value]) => [
    sanitizeName(key),
    typeof value === 'string' ? value : (JSON.stringify(value) ?? ''),
  ]);
  let size = 0;
  for (const [name, value] of pairs) size += delimitedSize(pairSize(name, value));
  const writer = new ProtoWriter(Buffer.allocUnsafe(size));
  for (const [name, value] of pairs) {
    writer.lengthPrefix(METRIC.label, pairSize(name, value));
    writer.lengthPrefix(PAIR.name, Buffer.byteLength(name, 'utf8'));
    writer.pos += writer.buffer.write(name, writer.pos, 'utf8');
    writer.lengthPrefix(PAIR.value, Buffer.byteLength(value, 'utf8'));
    writer.pos += writer.buffer.write(value, writer.pos, 'utf8');
  }
  return writer.buffer;
}

/** Bytes of a LabelPair message: its name (1) and value (2). */
function pairSize(name: string, value: string): number {
  return delimitedSize(Buffer.byteLength(name, 'utf8')) + delimitedSize(Buffer.byteLength(value, 'utf8'));
}
