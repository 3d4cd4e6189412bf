import type { HistoryShape } from './rtt-history';
import { slotFields } from './slot-ring';

/** Series per chunk: a chunk is two buffers, allocated when the slab grows. */
const SERIES_PER_CHUNK = 64;

/**
 * Where one series' history lives: two typed arrays over a chunk shared with other series, and this
 * series' offsets in them (in elements). Given back to its slab by release().
 */
export class HistoryCells {
  private released = false;

  constructor(
    private readonly slab: HistorySlab,
    /** Chunk × seriesPerChunk + index in the chunk. */
    readonly cell: number,
    /** Float32 fields per slot (slotFields). */
    readonly fields: number,
    readonly values: Float32Array,
    readonly numbers: Uint32Array,
    /** Offset of the series' values: the fine ring's slot fields, the coarse ring's, then the two samples. */
    readonly valuesAt: number,
    /** Offset of the series' slot numbers: the fine ring's, then the coarse ring's. */
    readonly numbersAt: number,
  ) {}

  /** Gives the cells back (idempotent): the history must not be written after. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.slab.giveBack(this.cell);
  }
}

interface Chunk {
  readonly values: Float32Array;
  readonly numbers: Uint32Array;
}

/**
 * The RTT histories of a store, many series to a buffer. In a buffer of its own a history cost about
 * 2 KB besides its data (the ArrayBuffer, six typed-array views, the allocator's overhead:
 * bench/results.md, "Status page history in slabs"); here a series costs its data and two offsets.
 * Cells given back are handed out again first. Invariant: the slab holds as many chunks as the most
 * series ever held at once needed; chunks are never freed.
 */
export class HistorySlab {
  private readonly chunks: Chunk[] = [];
  /** Free cells; popped from the end. */
  private readonly free: number[] = [];
  readonly valuesPerSeries: number;
  readonly numbersPerSeries: number;
  /** Float32 fields per slot of its series. */
  readonly fields: number;

  /**
   * @param countsOpen whether its series' slots count open answers (knock series; default true).
   * @param seriesPerChunk series per chunk (two buffers); default 64.
   */
  constructor(
    readonly shape: HistoryShape,
    countsOpen = true,
    readonly seriesPerChunk: number = SERIES_PER_CHUNK,
  ) {
    const slots = shape.fineSlots + shape.coarseSlots;
    this.fields = slotFields(countsOpen);
    this.valuesPerSeries = slots * this.fields + 2 * shape.sampleSize;
    this.numbersPerSeries = slots;
  }

  take(): HistoryCells {
    if (this.free.length === 0) this.grow();
    const cell = this.free.pop()!;
    const chunk = this.chunks[Math.floor(cell / this.seriesPerChunk)]!;
    const index = cell % this.seriesPerChunk;
    return new HistoryCells(
      this,
      cell,
      this.fields,
      chunk.values,
      chunk.numbers,
      index * this.valuesPerSeries,
      index * this.numbersPerSeries,
    );
  }

  /** Typed-array bytes one series uses. */
  get bytesPerSeries(): number {
    return this.valuesPerSeries * 4 + this.numbersPerSeries * 4;
  }

  /** Series the slab holds room for. */
  get capacity(): number {
    return this.chunks.length * this.seriesPerChunk;
  }

  /** For HistoryCells.release only. */
  giveBack(cell: number): void {
    this.free.push(cell);
  }

  private grow(): void {
    const chunk = this.chunks.length;
    this.chunks.push({
      values: new Float32Array(this.seriesPerChunk * this.valuesPerSeries),
      numbers: new Uint32Array(this.seriesPerChunk * this.numbersPerSeries),
    });
    // Pushed in reverse so that cells are handed out in index order.
    for (let index = this.seriesPerChunk - 1; index >= 0; index--)
      this.free.push(chunk * this.seriesPerChunk + index);
  }
}
