import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/** The sampling timer's period (ms): a block shorter than it may go unseen. Node's default resolution. */
const DEFAULT_RESOLUTION_MS = 10;

/** The event loop delay over a period, in seconds. */
export interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * How late the event loop runs what is due: a timer armed every `resolutionMs` records how long
 * after its due time it ran.
 *
 * Not perf_hooks' monitorEventLoopDelay: it records the time between two runs of its timer, the
 * resolution plus the delay, so an idle loop read as the resolution itself; and its reset() also
 * forgets when the timer last ran, so a block right after a scrape went unrecorded. Here the due
 * time survives take(), and what is recorded is the lateness alone. A loop blocked for B ms reads
 * between B − resolution and B: the timer that fell due during the block waited for the rest of it.
 */
export class EventLoopDelay {
  private readonly histogram: RecordableHistogram = createHistogram();
  private due: number;
  private timer: NodeJS.Timeout | undefined;
  private last: LoopDelay | undefined;

  constructor(private readonly resolutionMs = DEFAULT_RESOLUTION_MS) {
    this.due = performance.now() + resolutionMs;
    this.arm();
  }

  /**
   * The delay since the previous take (or since start), then starts a new period; undefined before the
   * first sample. A take with nothing recorded since the last one (a second scraper right behind the
   * first: an HA pair of Prometheus servers) gets the last period again, so the series never blinks out.
   */
  take(): LoopDelay | undefined {
    const histogram = this.histogram;
    if (histogram.count === 0) return this.last;
    const delay = {
      p50: histogram.percentile(50) / 1e9,
      p99: histogram.percentile(99) / 1e9,
      max: histogram.max / 1e9,
    };
    histogram.reset();
    this.last = delay;
    return delay;
  }

  /** Stops sampling. Idempotent. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = setTimeout(this.sample, this.resolutionMs);
    // The process does not stay up for this timer alone.
    this.timer.unref();
  }

  private readonly sample = (): void => {
    const now = performance.now();
    // In nanoseconds; the histogram takes integers ≥ 1 (an on-time run records 1 ns).
    this.histogram.record(Math.max(1, Math.round((now - this.due) * 1e6)));
    this.due = now + this.resolutionMs;
    this.arm();
  };
}
