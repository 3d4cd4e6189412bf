const DEFAULT_EXPECTED = 16;

/** A window's loss ratio and jitter at one moment (RollingWindow.read); undefined: nothing to tell. */
export interface WindowReading {
  loss: number | undefined;
  jitter: number | undefined;
}

/** Where loss() and jitter() read into (one at a time: JavaScript runs one of them at once). */
const scratch: WindowReading = { loss: undefined, jitter: undefined };

/**
 * The results of the last `windowMs` of one series: loss ratio and jitter over them.
 * Times are milliseconds of a monotonic clock. A ring in one Float64Array, a result's time then its
 * RTT (a loss is NaN): adding a result allocates nothing once the ring holds the window, where an
 * array of boxed numbers would allocate one per result and keep it for the whole window.
 */
export class RollingWindow {
  /** Pairs (time, rtt); its memory is outside the V8 heap, one allocation per window. */
  private slots: Float64Array;
  /** Pairs the ring holds: slots.length / 2. */
  private ring: number;
  private head = 0;
  private count = 0;

  /**
   * @param expected results the window is expected to hold (window / interval): the ring is made
   *   that big at once, not grown by doubling (copies, and freed rings left in the allocator, for
   *   every series of the same interval at once). Default 16; the ring grows past it if needed.
   */
  constructor(
    private readonly windowMs: number,
    expected = DEFAULT_EXPECTED,
  ) {
    // Two spare: a tick may come a few milliseconds early, and the oldest result leaves only then.
    this.ring = Math.max(1, Math.ceil(expected) + 2);
    this.slots = new Float64Array(2 * this.ring);
  }

  /** Results held (for tests and memory checks). */
  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.ring;
  }

  add(at: number, rtt: number | null): void {
    this.prune(at);
    if (this.count === this.ring) this.grow();
    const index = 2 * ((this.head + this.count) % this.ring);
    this.slots[index] = at;
    this.slots[index + 1] = rtt ?? NaN;
    this.count++;
  }

  /** Lost fraction of the probes in the window; undefined when it holds none. */
  loss(now: number): number | undefined {
    this.read(now, scratch);
    return scratch.loss;
  }

  /** Mean absolute difference of consecutive RTTs (losses skipped); undefined below two replies. */
  jitter(now: number): number | undefined {
    this.read(now, scratch);
    return scratch.jitter;
  }

  /**
   * Loss and jitter at `now` into `into`, in one pass over the window: a scrape reads both for
   * every series (10,000 targets, 60 results each), and two passes with a modulo per result were
   * a tenth of a collection (bench/results.md, "Exporter: the scrape's cost").
   */
  read(now: number, into: WindowReading): void {
    this.prune(now);
    const { slots, ring, head, count } = this;
    let lost = 0;
    let previous = NaN;
    let sum = 0;
    let pairs = 0;
    for (let i = 0, index = head; i < count; i++, index = index + 1 === ring ? 0 : index + 1) {
      const rtt = slots[2 * index + 1]!;
      if (Number.isNaN(rtt)) {
        lost++;
        continue;
      }
      if (!Number.isNaN(previous)) {
        sum += Math.abs(rtt - previous);
        pairs++;
      }
      previous = rtt;
    }
    into.loss = count === 0 ? undefined : lost / count;
    into.jitter = pairs === 0 ? undefined : sum / pairs;
  }

  private prune(now: number): void {
    const oldest = now - this.windowMs;
    const { slots, ring } = this;
    let { head, count } = this;
    // A compare, not a modulo, per result gone: a scrape prunes a scrape interval's results of
    // every series (150,000 at 10,000 targets), and this loop, with the modulo and a write of
    // `head` per result, was a fifth of the collection's window reads in a profile.
    while (count > 0 && slots[2 * head]! <= oldest) {
      head = head + 1 === ring ? 0 : head + 1;
      count--;
    }
    this.head = head;
    this.count = count;
  }

  private grow(): void {
    const slots = new Float64Array(this.slots.length * 2);
    for (let i = 0; i < this.count; i++) {
      const from = 2 * ((this.head + i) % this.ring);
      slots[2 * i] = this.slots[from]!;
      slots[2 * i + 1] = this.slots[from + 1]!;
    }
    this.slots = slots;
    this.ring = slots.length / 2;
    this.head = 0;
  }
}

/** Results a window of `windowSeconds` holds at one per `intervalSeconds`: RollingWindow's `expected`. */
export function expectedResults(
  windowSeconds: number,
  intervalSeconds: number | undefined,
): number | undefined {
  return intervalSeconds !== undefined && intervalSeconds > 0 ? windowSeconds / intervalSeconds : undefined;
}
