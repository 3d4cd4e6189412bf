/**
 * Packs text into Buffers of `size` bytes and hands each one over as it fills. Text kept as strings
 * until a turn's end (5 MB for 2,000 histograms) outlived the scavenges made while it was built and
 * was promoted to the old generation, and the HTTP layer then flattened the whole rope once more to
 * measure it: two copies of every scrape in the heap. Here each piece is garbage as soon as it is
 * copied out, and a full chunk lives outside the heap until the socket has sent it.
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
