const INITIAL_CAPACITY = 16;

/**
 * The results of the last `windowMs` of one series: loss ratio and jitter over them.
 * Times are milliseconds of a monotonic clock. A ring of two Float64Arrays (a loss is NaN): adding
 * a result allocates nothing once the ring has grown to the window, where an array of boxed
 * numbers would allocate one per result and keep it for the whole window.
 */
export class RollingWindow {
  private times = new Float64Array(INITIAL_CAPACITY);
  private rtts = new Float64Array(INITIAL_CAPACITY);
  private head = 0;
  private count = 0;

  constructor(private readonly windowMs: number) {}

  /** Results held (for tests and memory checks). */
  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.times.length;
  }

  add(at: number, rtt: number | null): void {
    this.prune(at);
    if (this.count === this.times.length) this.grow();
    const index = (this.head + this.count) % this.times.length;
    this.times[index] = at;
    this.rtts[index] = rtt ?? NaN;
    this.count++;
  }

  /** Lost fraction of the probes in the window; undefined when it holds none. */
  loss(now: number): number | undefined {
    this.prune(now);
    if (this.count === 0) return undefined;
    let lost = 0;
    for (let i = 0; i < this.count; i++) if (Number.isNaN(this.rtt(i))) lost++;
    return lost / this.count;
  }

  /** Mean absolute difference of consecutive RTTs (losses skipped); undefined below two replies. */
  jitter(now: number): number | undefined {
    this.prune(now);
    let previous = NaN;
    let sum = 0;
    let pairs = 0;
    for (let i = 0; i < this.count; i++) {
      const rtt = this.rtt(i);
      if (Number.isNaN(rtt)) continue;
      if (!Number.isNaN(previous)) {
        sum += Math.abs(rtt - previous);
        pairs++;
      }
      previous = rtt;
    }
    return pairs === 0 ? undefined : sum / pairs;
  }

  private rtt(i: number): number {
    return this.rtts[(this.head + i) % this.rtts.length]!;
  }

  private prune(now: number): void {
    const oldest = now - this.windowMs;
    while (this.count > 0 && this.times[this.head]! <= oldest) {
      this.head = (this.head + 1) % this.times.length;
      this.count--;
    }
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    const rtts = new Float64Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.times.length;
      times[i] = this.times[from]!;
      rtts[i] = this.rtts[from]!;
    }
    this.times = times;
    this.rtts = rtts;
    this.head = 0;
  }
}
