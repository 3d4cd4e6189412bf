import { randomFillSync } from 'node:crypto';

/** Random bytes for per-probe tokens, drawn from a refilled pool (one syscall per few hundred probes). */
export class TokenSource {
  private pool: Buffer;
  private offset: number;

  constructor(private readonly poolBytes = 4096) {
    this.pool = Buffer.alloc(poolBytes);
    this.offset = poolBytes;
  }

  /** Copies `length` fresh random bytes into `target` at `targetOffset`. */
  fill(target: Buffer, targetOffset: number, length: number): void {
    if (this.offset + length > this.poolBytes) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    this.pool.copy(target, targetOffset, this.offset, this.offset + length);
    this.offset += length;
  }

  /** A fresh random unsigned 32-bit value. */
  next32(): number {
    if (this.offset + 4 > this.poolBytes) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const value = this.pool.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
}
