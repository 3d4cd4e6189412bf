import { randomInt } from 'node:crypto';
import { ProbeError } from '../errors';

/** Draws a uniformly random integer in [0, 65536). */
export type IdentifierDraw = () => number;

const IDENTIFIERS = 0x10000;
/**
 * Random draws tried before scanning. Below 15/16 of the identifiers in use, all of them hit used
 * ones with a probability under (15/16)^64 ≈ 2 %; the scan then starts from the last random draw,
 * so the identifier it finds is unpredictable still.
 */
const DRAWS = 64;

const cryptoDraw: IdentifierDraw = () => randomInt(0, IDENTIFIERS);

/**
 * Hands out 16-bit identifiers unique among the live users of one socket family, so that
 * (identifier, sequence) names exactly one pending probe of the process.
 *
 * Each identifier is drawn at random among the free ones (cryptographic randomness by default),
 * never derived from the previous one: the identifier of one target's probes, which the owner of
 * that target sees, tells nothing about the identifier of another target's, so an off-path sender
 * of forged ICMP errors must guess all 16 bits (SECURITY.md).
 */
export class IdentifierPool {
  private readonly inUse = new Set<number>();

  /** @param draw the random source (default: node:crypto's randomInt); tests inject their own. */
  constructor(private readonly draw: IdentifierDraw = cryptoDraw) {}

  allocate(): number {
    if (this.inUse.size >= IDENTIFIERS) {
      throw new ProbeError('ERR_IDENTIFIERS_EXHAUSTED', 'all 65536 ICMP identifiers are in use');
    }
    let id = this.draw() & 0xffff;
    for (let tries = 1; this.inUse.has(id) && tries < DRAWS; tries++) id = this.draw() & 0xffff;
    // A nearly full pool: the first free one after a random point (terminates, as one is free).
    while (this.inUse.has(id)) id = (id + 1) & 0xffff;
    this.inUse.add(id);
    return id;
  }

  release(id: number): void {
    this.inUse.delete(id);
  }

  get size(): number {
    return this.inUse.size;
  }
}
