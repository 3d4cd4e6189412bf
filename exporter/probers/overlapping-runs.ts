/** Sends one probe; calls `onResult` once, when it settles (at the latest at its deadline). */
export type SendProbe<R> = (onResult: (result: R) => void) => void;

/**
 * The probes of one runner when a timeout may exceed the interval: a scheduled run ends as soon as
 * its probe is sent, so the next tick sends the next one while earlier ones still wait, up to
 * `maxInFlight` (⌈timeout / interval⌉) at once. A run that would pass that bound (a stalled loop,
 * deadlines running late) ends only when the oldest probe settles, so the scheduler counts the
 * ticks skipped meanwhile instead of the runner piling up probes.
 *
 * Results are recorded in the order the probes were sent, each once: a probe lost is recorded at
 * its own deadline, and the answers of later probes that came before it wait for it. The loss and
 * jitter windows then see the results in sequence, as they did when runs never overlapped. With
 * `maxInFlight` 1 this is the old behaviour exactly: a run ends when its result is recorded.
 */
export class OverlappingRuns<R> {
  private sent = 0;
  private nextToRecord = 0;
  private inFlight = 0;
  /** Results settled before an earlier probe, by send index. */
  private readonly early = new Map<number, R>();
  /** The scheduler's `done` of the run held back while maxInFlight probes wait. */
  private held: (() => void) | undefined;

  constructor(
    private readonly maxInFlight: number,
    private readonly record: (result: R) => void,
  ) {}

  /** One run: sends a probe with `send`, and calls `done` once another run may start. */
  start(send: SendProbe<R>, done: () => void): void {
    const index = this.sent++;
    this.inFlight++;
    send((result) => this.settled(index, result));
    if (this.inFlight < this.maxInFlight) done();
    else this.held = done;
  }

  private settled(index: number, result: R): void {
    this.inFlight--;
    try {
      // The usual case, and the only one when probes never overlap: the oldest settles, nothing
      // waits behind it; recorded without touching the map (no entry per probe for the collector).
      if (index === this.nextToRecord && this.early.size === 0) {
        this.nextToRecord++;
        this.record(result);
        return;
      }
      this.early.set(index, result);
      for (
        let next = this.early.get(this.nextToRecord);
        next !== undefined;
        next = this.early.get(this.nextToRecord)
      ) {
        this.early.delete(this.nextToRecord++);
        this.record(next);
      }
    } finally {
      const held = this.held;
      if (held && this.inFlight < this.maxInFlight) {
        this.held = undefined;
        held();
      }
    }
  }
}
