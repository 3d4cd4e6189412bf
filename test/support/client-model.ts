import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { repoRoot } from './paths';

/**
 * A decoder of the Prometheus protobuf exposition for the tests, independent of the exporter's
 * hand-written encoder: built at run time from the vendored client_model schema
 * (exporter/metrics/proto/, see its README for the upstream version) by protobufjs. Before a
 * message is decoded, a strict walk over its wire bytes rejects what the schema does not declare
 * for the message it appears in: an unknown field number, a wire type that is not the declared
 * field's (a packed run only for a repeated scalar), a length that runs past its message.
 * protobufjs' own decoder would skip unknown fields and read a mistyped one as if it were right.
 */

export const SCHEMA_FILE = path.join(
  repoRoot,
  'exporter',
  'metrics',
  'proto',
  'io',
  'prometheus',
  'client',
  'metrics.proto',
);

const schema = protobuf.loadSync(SCHEMA_FILE).resolveAll();

/** A message type of client_model by its name in the schema (`MetricFamily`, `Histogram` ...). */
export const clientModelType = (name: string): protobuf.Type =>
  schema.lookupType(`io.prometheus.client.${name}`);

const METRIC_FAMILY = clientModelType('MetricFamily');

/** client_model's MetricType names by value, from the schema's enum. */
export const METRIC_TYPES: Readonly<Record<number, string>> = schema.lookupEnum(
  'io.prometheus.client.MetricType',
).valuesById;

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
/** A MetricFamily as protobufjs' toObject gives it: camelCase names, 64-bit integers as numbers. */
export interface DecodedFamily {
  name?: string;
  help?: string;
  type?: number;
  metric?: DecodedMetric[];
}

/**
 * Every length-delimited MetricFamily of `bytes`; throws on anything the schema does not allow.
 * `seen` collects the fields met, as `Message.field`.
 */
export function decodeMetricFamilies(bytes: Uint8Array, seen?: Set<string>): DecodedFamily[] {
  const reader = protobuf.Reader.create(bytes);
  const families: DecodedFamily[] = [];
  while (reader.pos < reader.len) {
    const where = `MetricFamily #${families.length} at byte ${reader.pos}`;
    const length = reader.uint32();
    const start = reader.pos;
    if (start + length > reader.len)
      throw new SchemaViolation(`${where}: ${length} bytes announced, ${reader.len - start} left`);
    const message = bytes.subarray(start, start + length);
    checkAgainstSchema(message, METRIC_FAMILY, where, seen);
    families.push(METRIC_FAMILY.toObject(METRIC_FAMILY.decode(message), { longs: Number }) as DecodedFamily);
    reader.pos = start + length;
  }
  return families;
}

/** What the schema does not allow, found in encoded bytes. */
export class SchemaViolation extends Error {}

/**
 * Walks the fields of one `type` message in `bytes` (and of every message inside it), throwing a
 * SchemaViolation at the first field the schema does not declare with that wire type.
 */
export function checkAgainstSchema(
  bytes: Uint8Array,
  type: protobuf.Type,
  where = type.name,
  seen?: Set<string>,
): void {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const number = tag >>> 3;
    const wireType = tag & 7;
    const field = type.fieldsById[number];
    if (!field)
      throw new SchemaViolation(
        `${where}: field ${number} (wire type ${wireType}) is not declared in ${type.name}`,
      );
    seen?.add(`${type.name}.${field.name}`);
    const declared = declaredWireType(field);
    const packed = wireType === 2 && field.repeated && declared !== 2;
    if (wireType !== declared && !packed)
      throw new SchemaViolation(
        `${where}: ${type.name}.${field.name} (${number}) has wire type ${wireType}, the schema's ${field.type} is ${declared}`,
      );
    if (wireType !== 2) {
      skip(reader, wireType, `${where}.${field.name}`);
      continue;
    }
    const length = reader.uint32();
    const start = reader.pos;
    if (start + length > reader.len)
      throw new SchemaViolation(
        `${where}.${field.name}: ${length} bytes announced, ${reader.len - start} left in ${type.name}`,
      );
    if (field.resolvedType instanceof protobuf.Type)
      checkAgainstSchema(
        bytes.subarray(start, start + length),
        field.resolvedType,
        `${where}.${field.name}`,
        seen,
      );
    else if (packed) checkPacked(bytes.subarray(start, start + length), declared, `${where}.${field.name}`);
    reader.pos = start + length;
  }
}

/** The wire type the schema gives `field`: its scalar's, varint for an enum, length-delimited for a message. */
function declaredWireType(field: protobuf.Field): number {
  if (field.resolvedType instanceof protobuf.Type) return 2;
  if (field.resolvedType instanceof protobuf.Enum) return 0;
  const wireType = (protobuf.types.basic as Record<string, number | undefined>)[field.type];
  if (wireType === undefined) throw new Error(`client-model: no wire type for ${field.type}`);
  return wireType;
}

/** A packed run is whole values of its scalar, nothing cut off at its end. */
function checkPacked(bytes: Uint8Array, wireType: number, where: string): void {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) skip(reader, wireType, where);
}

function skip(reader: protobuf.Reader, wireType: number, where: string): void {
  try {
    reader.skipType(wireType);
  } catch (error) {
    throw new SchemaViolation(`${where}: ${(error as Error).message}`);
  }
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
