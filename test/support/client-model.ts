/**
 * A decoder of the Prometheus protobuf exposition written for the tests, independent of the
 * exporter's encoder: a generic Protocol Buffers wire reader, and the schema of client_model's
 * messages (prometheus/client_model, io/prometheus/client/metrics.proto; Prometheus' own copy is
 * prompb/io/prometheus/client/metrics.proto) as tables of field numbers and types. It rejects what
 * the schema does not allow: an unknown field, a wire type that does not match the field's type, a
 * message that runs past its length.
 */

type ScalarType = 'string' | 'double' | 'uint' | 'sint' | 'enum';
interface FieldSpec {
  readonly name: string;
  readonly type: ScalarType | MessageSpec;
  readonly repeated?: boolean;
}
type MessageSpec = { readonly [field: number]: FieldSpec };

const LABEL_PAIR: MessageSpec = { 1: { name: 'name', type: 'string' }, 2: { name: 'value', type: 'string' } };
const VALUE: MessageSpec = { 1: { name: 'value', type: 'double' } };
const BUCKET: MessageSpec = {
  1: { name: 'cumulativeCount', type: 'uint' },
  2: { name: 'upperBound', type: 'double' },
  4: { name: 'cumulativeCountFloat', type: 'double' },
};
const BUCKET_SPAN: MessageSpec = { 1: { name: 'offset', type: 'sint' }, 2: { name: 'length', type: 'uint' } };
const HISTOGRAM: MessageSpec = {
  1: { name: 'sampleCount', type: 'uint' },
  2: { name: 'sampleSum', type: 'double' },
  3: { name: 'bucket', type: BUCKET, repeated: true },
  4: { name: 'sampleCountFloat', type: 'double' },
  5: { name: 'schema', type: 'sint' },
  6: { name: 'zeroThreshold', type: 'double' },
  7: { name: 'zeroCount', type: 'uint' },
  8: { name: 'zeroCountFloat', type: 'double' },
  9: { name: 'negativeSpan', type: BUCKET_SPAN, repeated: true },
  10: { name: 'negativeDelta', type: 'sint', repeated: true },
  11: { name: 'negativeCount', type: 'double', repeated: true },
  12: { name: 'positiveSpan', type: BUCKET_SPAN, repeated: true },
  13: { name: 'positiveDelta', type: 'sint', repeated: true },
  14: { name: 'positiveCount', type: 'double', repeated: true },
};
const METRIC: MessageSpec = {
  1: { name: 'label', type: LABEL_PAIR, repeated: true },
  2: { name: 'gauge', type: VALUE },
  3: { name: 'counter', type: VALUE },
  5: { name: 'untyped', type: VALUE },
  6: { name: 'timestampMs', type: 'uint' },
  7: { name: 'histogram', type: HISTOGRAM },
};
const METRIC_FAMILY: MessageSpec = {
  1: { name: 'name', type: 'string' },
  2: { name: 'help', type: 'string' },
  3: { name: 'type', type: 'enum' },
  4: { name: 'metric', type: METRIC, repeated: true },
};

/** client_model's MetricType names. */
export const METRIC_TYPES = [
  'COUNTER',
  'GAUGE',
  'SUMMARY',
  'UNTYPED',
  'HISTOGRAM',
  'GAUGE_HISTOGRAM',
] as const;

export interface DecodedSpan {
  offset?: number;
  length?: number;
}
export interface DecodedHistogram {
  sampleCount?: number;
  sampleSum?: number;
  bucket?: Array<{ cumulativeCount?: number; upperBound?: number }>;
  schema?: number;
  zeroThreshold?: number;
  zeroCount?: number;
  negativeSpan?: DecodedSpan[];
  negativeDelta?: number[];
  positiveSpan?: DecodedSpan[];
  positiveDelta?: number[];
}
export interface DecodedMetric {
  label?: Array<{ name?: string; value?: string }>;
  gauge?: { value?: number };
  counter?: { value?: number };
  histogram?: DecodedHistogram;
}
export interface DecodedFamily {
  name?: string;
  help?: string;
  type?: number;
  metric?: DecodedMetric[];
}

/** Every length-delimited MetricFamily of `bytes`; throws on anything the schema does not allow. */
export function decodeMetricFamilies(bytes: Uint8Array): DecodedFamily[] {
  const reader = new WireReader(bytes, 0, bytes.length);
  const families: DecodedFamily[] = [];
  while (reader.pos < reader.end) {
    const length = reader.varint();
    families.push(decodeMessage(reader.sub(length), METRIC_FAMILY) as DecodedFamily);
  }
  return families;
}

/** The labels of a decoded metric as a record. */
export function labelsOf(metric: DecodedMetric): Record<string, string> {
  return Object.fromEntries((metric.label ?? []).map(({ name, value }) => [name ?? '', value ?? '']));
}

/**
 * The native buckets of one sign as (key, count) pairs: spans give the keys (the first span's offset
 * is its first key, a later one's the gap after the previous span), deltas the counts.
 */
export function nativeBuckets(spans: DecodedSpan[] = [], deltas: number[] = []): Array<[number, number]> {
  const buckets: Array<[number, number]> = [];
  let key = 0;
  let count = 0;
  let d = 0;
  for (const span of spans) {
    key += span.offset ?? 0;
    for (let i = 0; i < (span.length ?? 0); i++) {
      count += deltas[d++]!;
      if (count < 0) throw new Error(`negative bucket count at key ${key}`);
      buckets.push([key++, count]);
    }
  }
  if (d !== deltas.length) throw new Error(`${deltas.length} deltas for spans of ${d} buckets`);
  return buckets;
}

function decodeMessage(reader: WireReader, spec: MessageSpec): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  while (reader.pos < reader.end) {
    const tag = reader.varint();
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    const field = spec[number];
    if (!field) throw new Error(`unknown field ${number} (wire type ${wireType})`);
    const values: unknown[] = [];
    if (typeof field.type === 'object') {
      expectWireType(field, wireType, 2);
      values.push(decodeMessage(reader.sub(reader.varint()), field.type));
    } else if (field.type === 'string') {
      expectWireType(field, wireType, 2);
      values.push(reader.string(reader.varint()));
    } else if (wireType === 2 && field.repeated) {
      // A packed repeated scalar.
      const packed = reader.sub(reader.varint());
      while (packed.pos < packed.end) values.push(scalar(packed, field.type));
    } else {
      expectWireType(field, wireType, field.type === 'double' ? 1 : 0);
      values.push(scalar(reader, field.type));
    }
    if (field.repeated) ((message[field.name] ??= []) as unknown[]).push(...values);
    else message[field.name] = values[0];
  }
  return message;
}

function expectWireType(field: FieldSpec, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`field ${field.name}: wire type ${actual}, expected ${expected}`);
}

function scalar(reader: WireReader, type: ScalarType): number {
  if (type === 'double') return reader.double();
  const value = reader.varint();
  // Zigzag: 0, 1, 2, 3 ... are 0, -1, 1, -2 ...
  return type === 'sint' ? (value % 2 === 0 ? value / 2 : -(value + 1) / 2) : value;
}

class WireReader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  }

  double(): number {
    this.need(8);
    const value = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).readDoubleLE(0);
    this.pos += 8;
    return value;
  }

  string(length: number): string {
    this.need(length);
    const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, length).toString('utf8');
    this.pos += length;
    return text;
  }

  /** A reader of the next `length` bytes; this one moves past them. */
  sub(length: number): WireReader {
    this.need(length);
    const reader = new WireReader(this.bytes, this.pos, this.pos + length);
    this.pos += length;
    return reader;
  }

  private byte(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private need(length: number): void {
    if (this.pos + length > this.end)
      throw new Error(`truncated: ${length} bytes at ${this.pos}, end ${this.end}`);
  }
}
