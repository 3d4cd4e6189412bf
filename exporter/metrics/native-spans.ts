import { CLIENT_MODEL_FIELDS } from './client-model-fields';
import { ProtoWriter, varintSize, zigzag } from './proto-writer';

const SPAN = CLIENT_MODEL_FIELDS.BucketSpan;

/**
 * The spans and deltas of one sign of a native histogram's buckets, as client_model encodes them:
 * spans of consecutive buckets (the first's offset is its first key, each next one's the gap since
 * the previous span), and per bucket the difference of its count to the previous bucket's. A gap of
 * at most two empty buckets stays inside the span as zero counts (client_golang's makeBuckets does
 * the same): a new span costs more bytes than two deltas.
 *
 * Scratch arrays, reused from one histogram to the next: `fill()` then `size()` / `write()`.
 */
export class NativeSpans {
  private offsets = new Int32Array(16);
  private lengths = new Int32Array(16);
  private deltas = new Float64Array(64);
  private spanCount = 0;
  private deltaCount = 0;
  /** Bytes of the packed deltas. */
  private deltaBytes = 0;

  /** Reads the `length` counts at `at` of `counts`, the first of bucket `firstKey`. */
  fill(counts: Float64Array, at: number, length: number, firstKey: number): void {
    this.spanCount = 0;
    this.deltaCount = 0;
    this.deltaBytes = 0;
    let previous = 0;
    let nextKey = 0;
    for (let i = 0; i < length; i++) {
      const count = counts[at + i]!;
      if (count === 0) continue;
      const key = firstKey + i;
      const gap = key - nextKey;
      if (this.spanCount === 0 || gap > 2) {
        this.addSpan(gap);
      } else {
        for (let j = 0; j < gap; j++) {
          this.addDelta(-previous);
          previous = 0;
        }
      }
      this.addDelta(count - previous);
      previous = count;
      nextKey = key + 1;
    }
  }

  /** Bytes of the span fields and the packed delta field `write()` writes (field numbers below 16). */
  size(): number {
    let size = 0;
    for (let i = 0; i < this.spanCount; i++) {
      const span = spanBodySize(this.offsets[i]!, this.lengths[i]!);
      size += 1 + varintSize(span) + span;
    }
    if (this.deltaCount > 0) size += 1 + varintSize(this.deltaBytes) + this.deltaBytes;
    return size;
  }

  write(writer: ProtoWriter, spanField: number, deltaField: number): void {
    for (let i = 0; i < this.spanCount; i++) {
      const offset = this.offsets[i]!;
      const length = this.lengths[i]!;
      writer.lengthPrefix(spanField, spanBodySize(offset, length));
      writer.sintField(SPAN.offset, offset);
      writer.uintField(SPAN.length, length);
    }
    if (this.deltaCount === 0) return;
    writer.lengthPrefix(deltaField, this.deltaBytes);
    for (let i = 0; i < this.deltaCount; i++) writer.varint(zigzag(this.deltas[i]!));
  }

  /** Whether no bucket is non-empty. */
  get empty(): boolean {
    return this.spanCount === 0;
  }

  private addSpan(offset: number): void {
    if (this.spanCount === this.offsets.length) {
      this.offsets = grown(this.offsets, new Int32Array(this.offsets.length * 2));
      this.lengths = grown(this.lengths, new Int32Array(this.lengths.length * 2));
    }
    this.offsets[this.spanCount] = offset;
    this.lengths[this.spanCount++] = 0;
  }

  private addDelta(delta: number): void {
    if (this.deltaCount === this.deltas.length)
      this.deltas = grown(this.deltas, new Float64Array(this.deltas.length * 2));
    this.deltas[this.deltaCount++] = delta;
    this.deltaBytes += varintSize(zigzag(delta));
    this.lengths[this.spanCount - 1]!++;
  }
}

/** Bytes of a BucketSpan's fields: offset (sint32, 1) and length (uint32, 2). */
function spanBodySize(offset: number, length: number): number {
  return 2 + varintSize(zigzag(offset)) + varintSize(length);
}

function grown<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
