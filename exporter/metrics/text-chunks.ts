/**
 * Buffers of one size, handed back once the socket has sent them and handed out again. A large
 * scrape is megabytes of text (bench/results.md, "Exporter": /metrics size); as fresh Buffers each
 * chunk outlived a turn, was promoted, and its memory came back only at the next full garbage
 * collection, so scrapes in a row piled up external memory. Reused, the text in flight is what
 * stays: a turn's worth.
 */
export class ChunkPool {
  private readonly free: Buffer[] = [];

  /**
   * @param size bytes per chunk; default 64 KiB.
   * @param keep chunks kept for reuse at most; default 128 (8 MiB of 64 KiB chunks).
   */
  constructor(
    readonly size = 64 * 1024,
    private readonly keep = 128,
  ) {}

  /** Chunks waiting for reuse. */
  get available(): number {
    return this.free.length;
  }

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Takes back a chunk from `take()` that nothing refers to any more. */
  give(chunk: Buffer): void {
    if (this.free.length < this.keep && chunk.length === this.size) this.free.push(chunk);
  }
}

/**
 * Packs text into the pool's chunks and hands each one over as it fills, with the function that
 * returns it to the pool once sent. A turn's text kept as one string (a rope) was flattened again by
 * the HTTP layer to measure it: allocation sampling showed that copy, a second scrape's worth of text
 * on the heap. Here the pieces are small and die young.
 */
export class TextChunks {
  private chunk: Buffer;
  private used = 0;
  /** Bytes handed over so far (flushed chunks and buffers of their own): what a renderer paces its turns by. */
  handedOver = 0;

  constructor(
    private readonly emit: (text: Buffer, release: () => void) => void,
    private readonly pool = new ChunkPool(),
  ) {
    this.chunk = pool.take();
  }

  add(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.used + text.length * 3 > this.chunk.length) {
      this.flush();
      if (text.length * 3 > this.pool.size) {
        const bytes = Buffer.from(text, 'utf8');
        this.handedOver += bytes.length;
        this.emit(bytes, noop);
        return;
      }
    }
    this.used += this.chunk.write(text, this.used, 'utf8');
  }

  /**
   * Room for `size` bytes that the caller writes at once, before anything else is added: into the
   * returned buffer from `reservedAt` (the protobuf exposition writes in place). The chunk being
   * filled, or a buffer of their own when they are more than a chunk holds, handed over at the next
   * addition or flush. No function per call: at 10,000 targets a protobuf scrape writes 120,000
   * series, and a closure each was most of its garbage (bench/results.md, "Exporter: the scrape's cost").
   */
  reserve(size: number): Buffer {
    if (this.used + size > this.chunk.length) {
      this.flush();
      if (size > this.chunk.length) {
        // Back to the pool: the next chunk is taken after this one is handed over.
        this.pool.give(this.chunk);
        this.chunk = Buffer.allocUnsafe(size);
      }
    }
    this.reservedAt = this.used;
    this.used += size;
    return this.chunk;
  }

  /** Where the bytes of the last `reserve()` go in the buffer it returned. */
  reservedAt = 0;

  /** `bytes` as they are. */
  addBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length).set(bytes, this.reservedAt);
  }

  /**
   * Bytes [start, end) of `bytes`, copied into as many chunks as they fill (no buffer of their own,
   * however many they are: the protobuf exposition copies a family's cached encoding this way).
   */
  copy(bytes: Buffer, start: number, end: number): void {
    while (start < end) {
      if (this.used === this.chunk.length) this.flush();
      const copied = bytes.copy(
        this.chunk,
        this.used,
        start,
        Math.min(end, start + this.chunk.length - this.used),
      );
      this.used += copied;
      start += copied;
    }
  }

  /** Hands over what is held (if anything); the next text goes to another chunk. */
  flush(): void {
    if (this.used === 0) return;
    const chunk = this.chunk;
    const text = chunk.subarray(0, this.used);
    // A buffer of its own (reserve) is not the pool's: ChunkPool.give leaves it to the collector.
    this.chunk = this.pool.take();
    this.handedOver += this.used;
    this.used = 0;
    let held = true;
    // Once only: a chunk in the pool twice would be filled by two scrapes at once.
    this.emit(text, () => {
      if (held) this.pool.give(chunk);
      held = false;
    });
  }

  /** Returns the chunk being filled to the pool; nothing may be added after. */
  close(): void {
    this.flush();
    this.pool.give(this.chunk);
  }
}

const noop = (): void => {};

/**
 * The holders of one chunk written to several responses: `release` (the chunk's way back to the
 * pool) runs once, after the last holder let go, and never while one still may send it.
 */
export class ChunkHolders {
  /** Holders, plus one for the writer until `seal()`: no release while the chunk is still being handed out. */
  private count = 1;
  private sealed = false;

  constructor(private readonly release: () => void) {}

  /** One more holder; it calls the returned function (once or more) when it no longer needs the chunk. */
  hold(): () => void {
    this.count++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.letGo();
    };
  }

  /** Every holder has been given the chunk. */
  seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    this.letGo();
  }

  private letGo(): void {
    if (--this.count === 0) this.release();
  }
}
