/**
 * The results of the last `windowSeconds` of one series: loss ratio and jitter over them.
 * Times are milliseconds of a monotonic clock.
 */
export class RollingWindow {
  private times: number[] = [];
  private rtts: Array<number | null> = [];
  private head = 0;

  constructor(private readonly windowMs: number) {}

  add(at: number, rtt: number | null): void {
    this.times.push(at);
    this.rtts.push(rtt);
    this.prune(at);
  }

  /** Lost fraction of the probes in the window; undefined when it holds none. */
  loss(now: number): number | undefined {
    this.prune(now);
    const total = this.times.length - this.head;
    if (total === 0) return undefined;
    let lost = 0;
    for (let i = this.head; i < this.rtts.length; i++) if (this.rtts[i] === null) lost++;
    return lost / total;
  }

  /** Mean absolute difference of consecutive RTTs (losses skipped); undefined below two replies. */
  jitter(now: number): number | undefined {
    this.prune(now);
    let previous: number | null = null;
    let sum = 0;
    let pairs = 0;
    for (let i = this.head; i < this.rtts.length; i++) {
      const rtt = this.rtts[i];
      if (rtt === null || rtt === undefined) continue;
      if (previous !== null) {
        sum += Math.abs(rtt - previous);
        pairs++;
      }
      previous = rtt;
    }
    return pairs === 0 ? undefined : sum / pairs;
  }

  private prune(now: number): void {
    const oldest = now - this.windowMs;
    while (this.head < this.times.length && (this.times[this.head] ?? Infinity) <= oldest) this.head++;
    // Compact once the dead prefix dominates, so memory stays proportional to the window.
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.rtts = this.rtts.slice(this.head);
      this.head = 0;
    }
  }
}
