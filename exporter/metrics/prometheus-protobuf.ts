import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { ExporterError } from '../errors';
import { CLIENT_MODEL_FIELDS, METRIC_TYPE } from './client-model-fields';
import { EncodedMetrics, FamilyEncoding, type MetricBodies } from './family-encoding';
import { LabelPairs } from './label-pairs';
import { ColumnHistogramBodies, bucketSize } from './column-histogram';
import { columnName, metricName, prometheusType } from './prometheus-text';
import type { TextChunks } from './text-chunks';
import { DOUBLE_FIELD_SIZE, ProtoWriter, delimitedSize, uintFieldSize, varintSize } from './proto-writer';
import type { MetricColumn } from './store-snapshot';

const TYPE = METRIC_TYPE;
const FAMILY = CLIENT_MODEL_FIELDS.MetricFamily;
const METRIC = CLIENT_MODEL_FIELDS.Metric;
const HISTOGRAM = CLIENT_MODEL_FIELDS.Histogram;
const { Bucket: BUCKET, Gauge: GAUGE } = CLIENT_MODEL_FIELDS;

/**
 * One metric family in the protobuf exposition, one length-delimited MetricFamily message: `header()`
 * encodes the family's series (its size comes before them) and returns its length prefix and its
 * name, help and type; then `write()` copies the `metric` fields of series [start, end), in order,
 * until the last.
 */
export interface ProtobufFamily {
  readonly length: number;
  header(): Buffer;
  write(out: TextChunks, start: number, end: number): void;
}

/**
 * The Prometheus protobuf exposition (`application/vnd.google.protobuf;
 * proto=io.prometheus.client.MetricFamily; encoding=delimited`): the same families, names, help and
 * label sets as PrometheusTextWriter's text, encoded by hand for the few client_model messages it
 * takes (see the README, "Native histograms", for why not a library). Histograms carry their classic
 * buckets (without the implicit +Inf one, as client_golang) and, when the store keeps them, their
 * native buckets. Each family's encoded series are kept from one scrape to the next
 * (FamilyEncoding): a series that did not change is copied, one whose value changed keeps its
 * encoded labels.
 */
export class PrometheusProtobufWriter {
  private readonly labels = new LabelPairs();
  /** By the family's descriptor, one object per metric kept across scrapes. */
  private readonly encodings = new WeakMap<object, FamilyEncoding>();
  /** Name, help and type fields by family name (a name has one help and type). */
  private readonly headers = new Map<string, Buffer>();
  /** One object for every histogram column and scrape (LabelSetSequence says why), pointed at one at a time. */
  private readonly histogramBodies = new ColumnHistogramBodies();

  /** `target_info` from the resource attributes, a whole delimited family. */
  targetInfo(attributes: Attributes): Buffer {
    const labels = this.labels.size(attributes);
    const metric = labels + GAUGE_SIZE;
    const fields = this.headerFields('target_info', 'Target metadata', TYPE.gauge);
    const size = fields.length + delimitedSize(metric);
    const writer = new ProtoWriter(Buffer.allocUnsafe(varintSize(size) + size));
    writer.varint(size);
    writer.bytes(fields);
    writer.lengthPrefix(FAMILY.metric, metric);
    this.labels.write(attributes, writer);
    writeGauge(writer, METRIC.gauge, 1);
    return writer.buffer;
  }

  /** The family of a stored metric. */
  column(column: MetricColumn): ProtobufFamily {
    const name = columnName(column);
    const help = column.descriptor.description || 'description missing';
    const { attributes, length } = column;
    if (column.kind === 'histogram') {
      const bodies = this.histogramBodies;
      return this.family(name, help, TYPE.histogram, column.descriptor, attributes, length, () =>
        bodies.of(column),
      );
    }
    const { values } = column;
    const field = column.kind === 'counter' ? METRIC.counter : METRIC.gauge;
    const bodies: MetricBodies = {
      values,
      size: () => GAUGE_SIZE,
      write: (i, w) => writeGauge(w, field, values[i]!),
    };
    return this.family(name, help, TYPE[column.kind], column.descriptor, attributes, length, () => bodies);
  }

  /** The family of an SDK metric; empty for the kinds the text format has no samples for either. */
  metric(metric: MetricData): ProtobufFamily {
    const name = metricName(metric);
    const help = metric.descriptor.description || 'description missing';
    const kind = prometheusType(metric);
    const attributes = (metric.dataPoints as ReadonlyArray<DataPoint<unknown>>).map(
      (point) => point.attributes,
    );
    if (metric.dataPointType === DataPointType.HISTOGRAM) {
      const points = metric.dataPoints;
      const bodies: MetricBodies = {
        size: (i) => delimitedSize(pointHistogramBody(points[i]!, undefined)),
        write: (i, w, size) => {
          w.lengthPrefix(METRIC.histogram, contentSize(size));
          pointHistogramBody(points[i]!, w);
        },
      };
      return this.family(
        name,
        help,
        TYPE.histogram,
        metric.descriptor,
        attributes,
        points.length,
        () => bodies,
      );
    }
    if (metric.dataPointType !== DataPointType.GAUGE && metric.dataPointType !== DataPointType.SUM)
      return { length: 0, header: () => Buffer.alloc(0), write: () => {} };
    // A few series each: encoded at every scrape (no values to compare), their labels kept.
    const points: ReadonlyArray<DataPoint<number>> = metric.dataPoints;
    const field = kind === 'counter' ? METRIC.counter : METRIC.gauge;
    const bodies: MetricBodies = {
      size: () => GAUGE_SIZE,
      write: (i, w) => writeGauge(w, field, points[i]!.value),
    };
    return this.family(
      name,
      help,
      kind === 'counter' ? TYPE.counter : TYPE.gauge,
      metric.descriptor,
      attributes,
      points.length,
      () => bodies,
    );
  }

  /**
   * A family of the series `attributes` (the first `length`), their bodies written by what `bodies`
   * returns when the header is written (the histogram bodies are one object, pointed at the family then).
   */
  private family(
    name: string,
    help: string,
    type: number,
    key: object,
    attributes: readonly Attributes[],
    length: number,
    bodies: () => MetricBodies,
  ): ProtobufFamily {
    let encoding = this.encodings.get(key);
    if (encoding === undefined) this.encodings.set(key, (encoding = new FamilyEncoding(this.labels)));
    // A rendering skips an empty family (no header): its series that went are let go here.
    if (length === 0) encoding.forget();
    let encoded: EncodedMetrics | undefined;
    return {
      length,
      header: () => {
        encoded = encoding.encode(attributes, length, bodies());
        const fields = this.headerFields(name, help, type);
        const size = fields.length + encoded.size;
        const writer = new ProtoWriter(Buffer.allocUnsafe(varintSize(size) + fields.length));
        writer.varint(size);
        writer.bytes(fields);
        return writer.buffer;
      },
      write: (out, start, end) => {
        if (encoded === undefined)
          throw new ExporterError('ERR_INTERNAL', `protobuf: ${name} written before its header`);
        if (start >= end) return;
        out.copy(encoded.bytes, encoded.start(start), encoded.ends[end - 1]!);
        // Copied out to its end: the next scrape may write over it.
        if (end >= length) encoded.inUse = false;
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

function writeGauge(writer: ProtoWriter, field: number, value: number): void {
  writer.lengthPrefix(field, DOUBLE_FIELD_SIZE);
  // Gauge.value and Counter.value are both field 1.
  writer.doubleField(GAUGE.value, value);
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
