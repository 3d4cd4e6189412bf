/**
 * Packs text into Buffers of `size` bytes and hands each one over as it fills. A turn's text kept as
 * one string (a rope of ~5 MB for 2,000 histograms) was flattened again by the HTTP layer to measure
 * it: allocation sampling showed that copy as 24 MB of heap per 10,000-target scrape. Here the
 * pieces are small and die young, and a full chunk lives outside the heap until the socket sent it.
 */
export class TextChunks {
  private chunk: Buffer;
  private used = 0;

  constructor(
    private readonly emit: (chunk: Buffer) => void,
    private readonly size = 64 * 1024,
  ) {
    this.chunk = Buffer.allocUnsafe(size);
  }

  add(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.used + text.length * 3 > this.size) {
      this.flush();
      if (text.length * 3 > this.size) {
        this.emit(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.used += this.chunk.write(text, this.used, 'utf8');
  }

  /** Hands over what is held (if anything); the next text goes to a new chunk. */
  flush(): void {
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(this.size);
    this.used = 0;
    this.emit(full);
  }
}
