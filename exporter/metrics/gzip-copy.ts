import { createGzip, type Gzip } from 'node:zlib';

/**
 * One gzip stream fed with a rendering's text chunks, its output handed to every response that
 * accepts gzip: the text is compressed once per rendering, however many scrapes share it.
 *
 * Bounded: the rendering waits (`consumed()`) until zlib has taken every chunk given so far before
 * it renders the next slice, so what zlib holds is a slice's text, and its output goes to the
 * responses, whose own backlog the rendering already waits on.
 */
export class GzipCopy {
  private readonly gzip: Gzip;
  /** Chunks written and not yet taken by zlib. */
  private pending = 0;
  private idle: Array<() => void> = [];
  private failure: Error | undefined;
  private readonly ended: Promise<void>;

  /**
   * @param onOutput called with each piece of compressed bytes, in order.
   * @param level zlib level (1 fastest to 9 smallest).
   */
  constructor(onOutput: (compressed: Buffer) => void, level: number) {
    this.gzip = createGzip({ level });
    this.gzip.on('data', onOutput);
    this.ended = new Promise<void>((resolve, reject) => {
      this.gzip.once('end', resolve);
      this.gzip.once('error', (error) => {
        this.failure = error;
        this.wake();
        reject(error);
      });
    });
    // Awaited only by end(); a failure before then is thrown by consumed() instead.
    this.ended.catch(() => {});
  }

  /** Compresses `chunk`; `release` runs once zlib no longer reads it (the chunk may be reused then). */
  write(chunk: Buffer, release: () => void): void {
    this.pending++;
    this.gzip.write(chunk, () => {
      release();
      if (--this.pending === 0) this.wake();
    });
  }

  /** Resolves once zlib has taken every chunk written so far. */
  async consumed(): Promise<void> {
    if (this.pending > 0 && !this.failure) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.failure) throw this.failure;
  }

  /** Ends the stream; resolves once its last bytes went to `onOutput`. */
  end(): Promise<void> {
    this.gzip.end();
    return this.ended;
  }

  /**
   * Drops the stream (a rendering that stopped early). Chunks zlib had not started on are released;
   * one it was reading is not, and is left to the garbage collector rather than reused. Idempotent.
   */
  destroy(): void {
    this.gzip.destroy();
  }

  private wake(): void {
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }
}
