import { randomInt } from 'node:crypto';
import { ProbeError } from '../errors';

/**
 * Hands out 16-bit identifiers unique among the live users of one socket family, so that
 * (identifier, sequence) names exactly one pending probe of the process. The start is random
 * so that two processes are unlikely to use the same identifiers.
 */
export class IdentifierPool {
  private readonly inUse = new Set<number>();
  private next: number;

  constructor(start: number = randomInt(0, 0x10000)) {
    this.next = start & 0xffff;
  }

  allocate(): number {
    if (this.inUse.size >= 0x10000) {
      throw new ProbeError('ERR_IDENTIFIERS_EXHAUSTED', 'all 65536 ICMP identifiers are in use');
    }
    while (this.inUse.has(this.next)) this.next = (this.next + 1) & 0xffff;
    const id = this.next;
    this.inUse.add(id);
    this.next = (id + 1) & 0xffff;
    return id;
  }

  release(id: number): void {
    this.inUse.delete(id);
  }

  get size(): number {
    return this.inUse.size;
  }
}
