import type { Attributes } from '@opentelemetry/api';
import { ExporterError } from '../errors';
import { CLIENT_MODEL_FIELDS } from './client-model-fields';
import type { LabelPairs } from './label-pairs';
import { ProtoWriter, delimitedSize } from './proto-writer';

const FAMILY = CLIENT_MODEL_FIELDS.MetricFamily;

/**
 * What one scrape encoded of a family: its series' `metric` fields (MetricFamily field 4: tag,
 * length, then the Metric's labels and value) one after the other in `bytes`, and where each series
 * and its labels lie, to be found again at the next scrape.
 */
export class EncodedMetrics {
  private buffer: Buffer = Buffer.alloc(0);
  /** `bytes` as a DataView: words copied and doubles written over without Buffer's calls. */
  view: DataView = new DataView(this.buffer.buffer, this.buffer.byteOffset, 0);
  /** Bytes used in `bytes`. */
  size = 0;
  length = 0;
  attributes: readonly Attributes[] = [];
  /** Series i's `metric` field ends at ends[i] (and starts where series i - 1's ends). */
  ends = new Int32Array(0);
  /** Series i's label fields lie at [labelStarts[i], labelEnds[i]). */
  labelStarts = new Int32Array(0);
  labelEnds = new Int32Array(0);
  /** A scalar series' value as two 32-bit halves (its exact bits: 0 and -0, NaNs, are told apart). */
  bits = new Uint32Array(0);
  /** A rendering is still copying these bytes out: the next encoding must not reuse them. */
  inUse = false;

  get bytes(): Buffer {
    return this.buffer;
  }

  set bytes(bytes: Buffer) {
    this.buffer = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /** Where series i's `metric` field starts. */
  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }

  /**
   * Empties it for `length` series, keeping the arrays when they are large enough, with room for
   * `expectedSize` bytes and a margin (a family's size changes little between scrapes).
   */
  reset(attributes: readonly Attributes[], length: number, scalar: boolean, expectedSize: number): void {
    this.attributes = attributes;
    this.length = length;
    this.size = 0;
    if (this.bytes.length < expectedSize) this.bytes = Buffer.allocUnsafeSlow(Math.ceil(expectedSize * 1.1));
    if (this.ends.length < length) {
      const capacity = Math.ceil(length * 1.25);
      this.ends = new Int32Array(capacity);
      this.labelStarts = new Int32Array(capacity);
      this.labelEnds = new Int32Array(capacity);
    }
    if (scalar && this.bits.length < length * 2) this.bits = new Uint32Array(Math.ceil(length * 1.25) * 2);
  }

  /**
   * Room for `more` bytes past `size`: the buffer grows by half at least, its bytes copied (those
   * up to `size`, the ones not written yet included: a run of copied series is written later).
   */
  reserve(more: number): void {
    if (this.size + more <= this.bytes.length) return;
    const grown = Buffer.allocUnsafeSlow(
      Math.max(this.size + more, Math.ceil(this.bytes.length * 1.5), 4096),
    );
    this.bytes.copy(grown, 0, 0, this.size);
    this.bytes = grown;
  }
}

/** A family's series after their labels: the Metric's gauge, counter or histogram field. */
export interface MetricBodies {
  /**
   * The values of a gauge or counter family, one per series, which its bodies encode and nothing
   * else, each as the last 8 bytes of its body (a double): a series whose label set is that of last
   * time is copied as it was, its value written over when it changed. Absent for histograms
   * (their bodies are written at each scrape).
   */
  readonly values?: Float64Array;
  /** Bytes of series i's body. */
  size(index: number): number;
  /** Writes series i's body, `size` bytes (what `size(index)` returned just before). */
  write(index: number, writer: ProtoWriter, size: number): void;
}

/**
 * The `metric` fields of one family, cached from one scrape to the next. A series is found again by
 * its label set: the very object at its position last time, or, after a series was added or
 * removed, anywhere in last time's list (a Map made at the first miss of a scrape). Found, a gauge or
 * counter series is copied as it was, runs of them at once, and its value written over when its
 * bits changed; a histogram series keeps its encoded labels and its histogram is written again.
 * Only a label set not in the family last time is encoded (LabelPairs).
 *
 * At 10,000 targets a protobuf scrape is 110,000 series; between two scrapes about half of them
 * (error counters, addresses, up) keep their value, and all keep their labels. Encoding labels was
 * most of a first scrape, and one small Buffer and a WeakMap entry per label set (the cache this
 * replaces) made every major garbage collection after it slower (bench/results.md, "Exporter: the
 * scrape's cost", 2026-12-03, second part).
 *
 * Memory: a gauge or counter family whose series are those of last time, in the same order, is
 * rewritten in place: one encoding, about the size of its protobuf bytes, and a few typed arrays
 * (20 bytes a series). Otherwise, and for histograms, two: the last scrape's and the one being made,
 * swapped at each scrape; a third only while a rendering still copies out an encoding the next one
 * would reuse (`EncodedMetrics.inUse`), left to the collector after. An encoding more than four
 * times larger than the family needs is given back. No label set is kept past the scrape after its
 * series went.
 */
export class FamilyEncoding {
  private last = new EncodedMetrics();
  private spare: EncodedMetrics | undefined = new EncodedMetrics();
  private readonly writer = new ProtoWriter(Buffer.alloc(0));
  /** Last time's positions by label set: made at the first series not found at its position. */
  private lastIndex: Map<Attributes, number> | undefined;
  /** Series encoded, or whose value was written over, by the last `encode`: for the tests. */
  encodedSeries = 0;
  private changed = new Int32Array(0);

  constructor(private readonly labels: LabelPairs) {}

  /**
   * Encodes the `metric` fields of the series `attributes` (their first `length`), reusing what
   * did not change since the last call; the result is valid until the next call but one, and marked
   * in use until the caller clears `inUse`.
   */
  encode(attributes: readonly Attributes[], length: number, bodies: MetricBodies): EncodedMetrics {
    const last = this.last;
    if (this.rewriteInPlace(attributes, length, bodies)) return last;
    let next = this.spare;
    if (next === undefined || next.inUse) next = new EncodedMetrics();
    // A family that shrank a lot gives back its bytes.
    else if (next.bytes.length > 4 * last.size + 65_536) next.bytes = Buffer.alloc(0);
    const { values } = bodies;
    // Last time's bytes a series, or a guess at the first scrape: a few labels and a value.
    const expectedSize = last.length > 0 ? Math.ceil((last.size / last.length) * length) : length * 64;
    next.reset(attributes, length, values !== undefined, expectedSize);
    const lastBits = last.bits;
    const bits =
      values === undefined ? undefined : new Uint32Array(values.buffer, values.byteOffset, length * 2);
    const writer = this.writer;
    this.encodedSeries = 0;
    // Unchanged series that lie one after the other last time are copied at once: the bytes
    // [runFrom, runTo) of last time go to runAt, copied before anything else is written.
    let runFrom = 0;
    let runTo = 0;
    let runAt = 0;
    // Copied series whose value changed: written over once their bytes are copied.
    if (this.changed.length < length) this.changed = new Int32Array(Math.ceil(length * 1.25));
    const changed = this.changed;
    let changes = 0;
    // The store hands out last time's array when the label sets did not change (LabelSetSequence).
    const sameSeries = last.attributes === attributes && last.length === length;
    for (let i = 0; i < length; i++) {
      const set = attributes[i]!;
      const j = sameSeries || (i < last.length && last.attributes[i] === set) ? i : this.find(set);
      if (bits !== undefined) {
        next.bits[2 * i] = bits[2 * i]!;
        next.bits[2 * i + 1] = bits[2 * i + 1]!;
      }
      const at = next.size;
      if (j >= 0 && bits !== undefined) {
        // Its labels as they were: its bytes copied, its value written over if it changed.
        if (lastBits[2 * j] !== bits[2 * i] || lastBits[2 * j + 1] !== bits[2 * i + 1])
          changed[changes++] = i;
        const from = last.start(j);
        const size = last.ends[j]! - from;
        if (from !== runTo || runTo === runFrom) {
          if (runTo > runFrom) last.bytes.copy(next.bytes, runAt, runFrom, runTo);
          runFrom = from;
          runAt = at;
        }
        runTo = from + size;
        next.reserve(size);
        next.size += size;
        next.labelStarts[i] = at + (last.labelStarts[j]! - from);
        next.labelEnds[i] = at + (last.labelEnds[j]! - from);
        next.ends[i] = next.size;
        continue;
      }
      if (runTo > runFrom) last.bytes.copy(next.bytes, runAt, runFrom, runTo);
      runFrom = runTo = 0;
      this.encodedSeries++;
      const labelSize = j >= 0 ? last.labelEnds[j]! - last.labelStarts[j]! : this.labels.size(set);
      const bodySize = bodies.size(i);
      const content = labelSize + bodySize;
      next.reserve(delimitedSize(content));
      writer.buffer = next.bytes;
      writer.pos = at;
      writer.lengthPrefix(FAMILY.metric, content);
      next.labelStarts[i] = writer.pos;
      if (j >= 0)
        writer.pos = copyWords(last.view, last.labelStarts[j]!, last.labelEnds[j]!, next.view, writer.pos);
      else this.labels.write(set, writer);
      next.labelEnds[i] = writer.pos;
      bodies.write(i, writer, bodySize);
      if (writer.pos !== at + delimitedSize(content))
        throw new ExporterError('ERR_INTERNAL', `protobuf: series ${i} is not the size computed`);
      next.size = writer.pos;
      next.ends[i] = writer.pos;
    }
    if (runTo > runFrom) last.bytes.copy(next.bytes, runAt, runFrom, runTo);
    writeChanged(next, changed, changes, values!);
    this.encodedSeries += changes;
    this.lastIndex = undefined;
    this.spare = last;
    this.last = next;
    next.inUse = true;
    return next;
  }

  /**
   * When a gauge or counter family has the very series of last time in the same order (the common
   * case), and no rendering is copying last time's bytes out: writes the changed values over them
   * and lets the spare encoding go, so that such a family keeps one buffer, not two. Returns false,
   * having changed nothing, otherwise.
   */
  private rewriteInPlace(attributes: readonly Attributes[], length: number, bodies: MetricBodies): boolean {
    const last = this.last;
    const { values } = bodies;
    if (values === undefined || last.inUse || last.length !== length || length === 0) return false;
    // The store hands out last time's array when the label sets did not change (LabelSetSequence).
    if (last.attributes !== attributes) {
      for (let i = 0; i < length; i++) if (last.attributes[i] !== attributes[i]) return false;
    }
    const bits = new Uint32Array(values.buffer, values.byteOffset, length * 2);
    const lastBits = last.bits;
    if (this.changed.length < length) this.changed = new Int32Array(Math.ceil(length * 1.25));
    const changed = this.changed;
    // The changes listed first, written after: a loop with no branch it has not taken yet (the
    // first rendering after the first is optimized on families with no change).
    let changes = 0;
    for (let i = 0; i < length; i++) {
      const low = bits[2 * i]!;
      const high = bits[2 * i + 1]!;
      if (lastBits[2 * i] === low && lastBits[2 * i + 1] === high) continue;
      lastBits[2 * i] = low;
      lastBits[2 * i + 1] = high;
      changed[changes++] = i;
    }
    writeChanged(last, changed, changes, values);
    last.attributes = attributes;
    last.inUse = true;
    this.spare = undefined;
    this.encodedSeries = changes;
    return true;
  }

  /** The family has no series this scrape: nothing of its last ones is kept. */
  forget(): void {
    if (this.last.length === 0) return;
    this.last = new EncodedMetrics();
    this.spare = undefined;
  }

  /** Where `set` was last time; -1 if nowhere. */
  private find(set: Attributes): number {
    const last = this.last;
    if (last.length === 0) return -1;
    if (this.lastIndex === undefined) {
      this.lastIndex = new Map();
      for (let j = 0; j < last.length; j++) this.lastIndex.set(last.attributes[j]!, j);
    }
    return this.lastIndex.get(set) ?? -1;
  }
}

/** Writes series `changed[c]`'s value, c below `changes`, over the last 8 bytes of its `metric` field. */
function writeChanged(
  encoded: EncodedMetrics,
  changed: Int32Array,
  changes: number,
  values: Float64Array,
): void {
  const { view, ends } = encoded;
  for (let c = 0; c < changes; c++) {
    const i = changed[c]!;
    view.setFloat64(ends[i]! - 8, values[i]!, true);
  }
}

/**
 * Copies bytes [from, to) of `source` to `target` at `at`, four at a time; returns where they end.
 * For a few dozen bytes (a series' labels) a DataView's words take a third of a byte loop's time,
 * and Buffer.copy's call more than the loop (it makes a view of the source each time).
 */
function copyWords(source: DataView, from: number, to: number, target: DataView, at: number): number {
  let k = from;
  let pos = at;
  for (; k + 4 <= to; k += 4, pos += 4) target.setUint32(pos, source.getUint32(k, true), true);
  for (; k < to; k++, pos++) target.setUint8(pos, source.getUint8(k));
  return pos;
}
