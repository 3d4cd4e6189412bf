import type { IdentifierPool } from '../socket';

const SEQUENCES = 0x10000;
/**
 * Pairs tried for one request before it fails: a pair is taken only while its previous request is
 * still in flight, which the growth rule below keeps to at most half of the pairs, so a run of taken
 * pairs this long is a pool that could not grow (every identifier of the family in use).
 */
const TRIES = 64;

/** What an echo request holds on the wire: written by EchoIdentifiers.assign(). */
export interface EchoPair {
  identifier: number;
  sequence: number;
}

/**
 * The ICMP identifiers the echo requests of one Pinger and family go out under: as few as the
 * requests in flight need, shared by every session, with sequences handed out in turn across
 * sessions (fping's way, which runs on one identifier). Another program's `ping` on the same host
 * picks its own identifier at random and meets one of ours with a probability of the identifiers
 * held / 65,536, rather than the number of targets / 65,536.
 *
 * A request gets the next (identifier, sequence) of a cycle over the identifiers held, 65,536
 * sequences each, from a random start. The socket's probe table refuses a pair whose previous
 * request is still in flight (a long timeout, a stalled loop); the next pair is tried then. What
 * makes a reply one request's, beyond the pair, is unchanged: its source and the 8-byte random
 * token the request carries.
 *
 * Growth: one more identifier, from the family's IdentifierPool, as soon as the requests in flight
 * would exceed half of the pairs held (k × 65,536 / 2). So a pair comes back only after a whole
 * cycle of k × 65,536 requests, which at that rate lasts at least twice the timeout of the requests
 * in flight: a reply late by up to one more timeout still finds its pair free, or held by a
 * request whose token it does not carry. At 10,000 targets pinged every second with a 1 s timeout,
 * at most 10,000 requests are in flight: one identifier. The identifiers are given back to the pool
 * when the last session closes (not as the rate falls: the peak stays held).
 */
export class EchoIdentifiers {
  private readonly held: number[] = [];
  /** The first sequence handed out under each identifier held (random): its share of the cycle ends there. */
  private readonly starts: number[] = [];
  private index = 0;
  private sequence = 0;
  private inFlight = 0;
  private sessions = 0;

  /**
   * @param pool the family's identifiers (shared with ICMP traces, which take theirs whole).
   * @param randomSequence the first sequence of each identifier taken; default 0 (tests); the Pinger draws it at random.
   */
  constructor(
    private readonly pool: IdentifierPool,
    private readonly randomSequence: () => number = () => 0,
  ) {}

  /** Identifiers held now. */
  get size(): number {
    return this.held.length;
  }

  /** Requests in flight under the identifiers held. */
  get pending(): number {
    return this.inFlight;
  }

  /** A session starts using the identifiers. */
  join(): void {
    this.sessions++;
  }

  /** A session ended (its requests settled): the last one gives every identifier back. */
  leave(): void {
    if (this.sessions === 0) return;
    if (--this.sessions > 0) return;
    for (const identifier of this.held) this.pool.release(identifier);
    this.held.length = 0;
    this.starts.length = 0;
    this.index = 0;
    this.inFlight = 0;
  }

  /**
   * Writes the next free pair into `request` and registers it with `register` (the socket's probe
   * table: false when the pair is still in flight). Returns false after TRIES taken pairs. Throws
   * ProbeError ERR_IDENTIFIERS_EXHAUSTED when an identifier is needed and the pool has none.
   */
  assign<T extends EchoPair>(request: T, register: (request: T) => boolean): boolean {
    if (this.held.length === 0 || (this.inFlight + 1) * 2 > this.held.length * SEQUENCES) this.grow();
    for (let tries = 0; tries < TRIES; tries++) {
      request.identifier = this.held[this.index]!;
      request.sequence = this.sequence;
      this.advance();
      if (register(request)) {
        this.inFlight++;
        return true;
      }
    }
    return false;
  }

  /** A request registered by assign() settled: its pair is free again. */
  settled(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  private advance(): void {
    this.sequence = (this.sequence + 1) & 0xffff;
    if (this.sequence !== this.starts[this.index]) return;
    // A whole identifier's sequences handed out: on to the next identifier of the cycle.
    this.index = (this.index + 1) % this.held.length;
    this.sequence = this.starts[this.index]!;
  }

  private grow(): void {
    const identifier = this.pool.allocate();
    const start = this.randomSequence() & 0xffff;
    if (this.held.length === 0) {
      this.held.push(identifier);
      this.starts.push(start);
      this.index = 0;
      this.sequence = start;
      return;
    }
    // Next in the cycle after the one in use: its sequences are all fresh.
    this.held.splice(this.index + 1, 0, identifier);
    this.starts.splice(this.index + 1, 0, start);
  }
}
