const DEFAULT_EXPECTED = 16;

/** A window's loss ratio and jitter at one moment (RollingWindow.read); undefined: nothing to tell. */
export interface WindowReading {
  loss: number | undefined;
  jitter: number | undefined;
}

/** Where loss() and jitter() read into (one at a time: JavaScript runs one of them at once). */
const scratch: WindowReading = { loss: undefined, jitter: undefined };

/** One float32 and its bits: where an RTT is turned into the word a ring holds, and back. */
const float32 = new Float32Array(1);
const float32Bits = new Uint32Array(float32.buffer);
/** The word of a lost result: a float32 NaN (no RTT is one). */
const LOST = 0x7fc00000;

/**
 * The longest window a RollingWindow takes (12.4 days; the config's durations stop at a day): its
 * times wrap at 2^32 ms, and an age of two windows must read right as a signed 32-bit difference.
 */
const MAX_WINDOW_MS = 2 ** 30 - 1;

/**
 * The results of the last `windowMs` of one series: loss ratio and jitter over them.
 * Times are milliseconds of a monotonic clock. A ring in one Uint32Array, a result's time (whole
 * milliseconds) then its RTT's float32 bits (a loss is LOST): adding a result allocates nothing once
 * the ring holds the window, where an array of boxed numbers would allocate one per result and keep
 * it for the whole window. 8 bytes a result, not 16 as Float64 pairs took, and one typed array, not
 * a view per half (bench/results.md, "Exporter: loss windows and histories trimmed").
 *
 * Invariant: every time held is within windowMs of the newest result's. A prune first drops them all
 * when the newest has left the window (compared exactly, in float64); otherwise each result is under
 * 2 × windowMs < 2^31 ms old, and its age, (now - time) as a signed 32-bit difference, is exact.
 */
export class RollingWindow {
  /** Pairs (whole milliseconds mod 2^32, RTT as float32 bits); its memory is outside the V8 heap. */
  private slots: Uint32Array;
  /** Pairs the ring holds: slots.length / 2. */
  private ring: number;
  private head = 0;
  private count = 0;
  /** Time of the newest result, exact; -Infinity before the first. */
  private newest = -Infinity;

  /**
   * @param windowMs at most MAX_WINDOW_MS.
   * @param expected results the window is expected to hold (window / interval): the ring is made
   *   that big at once, not grown by doubling (copies, and freed rings left in the allocator, for
   *   every series of the same interval at once). Default 16; the ring grows past it if needed.
   */
  constructor(
    private readonly windowMs: number,
    expected = DEFAULT_EXPECTED,
  ) {
    if (!(windowMs > 0 && windowMs <= MAX_WINDOW_MS))
      throw new RangeError(`a window of ${windowMs} ms is outside (0, ${MAX_WINDOW_MS}]`);
    // Two spare: a tick may come a few milliseconds early, and the oldest result leaves only then.
    this.ring = Math.max(1, Math.ceil(expected) + 2);
    this.slots = new Uint32Array(2 * this.ring);
  }

  /** Results held (for tests and memory checks). */
  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.ring;
  }

  /** Bytes of its ring. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  add(at: number, rtt: number | null): void {
    this.prune(at);
    if (this.count === this.ring) this.grow();
    const index = 2 * ((this.head + this.count) % this.ring);
    this.slots[index] = wholeMs(at);
    if (rtt === null) this.slots[index + 1] = LOST;
    else {
      float32[0] = rtt;
      this.slots[index + 1] = float32Bits[0]!;
    }
    this.count++;
    if (at > this.newest) this.newest = at;
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
      const bits = slots[2 * index + 1]!;
      if (bits === LOST) {
        lost++;
        continue;
      }
      float32Bits[0] = bits;
      const rtt = float32[0]!;
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
    if (this.count === 0) return;
    if (now - this.newest >= this.windowMs) {
      this.head = this.count = 0;
      return;
    }
    const nowMs = wholeMs(now);
    const { slots, ring, windowMs } = this;
    let { head, count } = this;
    // A compare, not a modulo, per result gone: a scrape prunes a scrape interval's results of
    // every series (150,000 at 10,000 targets), and this loop, with the modulo and a write of
    // `head` per result, was a fifth of the collection's window reads in a profile.
    while (count > 0 && ((nowMs - slots[2 * head]!) | 0) >= windowMs) {
      head = head + 1 === ring ? 0 : head + 1;
      count--;
    }
    this.head = head;
    this.count = count;
  }

  private grow(): void {
    const slots = new Uint32Array(this.slots.length * 2);
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

/** Whole milliseconds of a time, mod 2^32 (as a Uint32Array stores it). */
function wholeMs(ms: number): number {
  return Math.floor(ms) >>> 0;
}

/** Results a window of `windowSeconds` holds at one per `intervalSeconds`: RollingWindow's `expected`. */
export function expectedResults(
  windowSeconds: number,
  intervalSeconds: number | undefined,
): number | undefined {
  return intervalSeconds !== undefined && intervalSeconds > 0 ? windowSeconds / intervalSeconds : undefined;
}
