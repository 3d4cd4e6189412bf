import type { QueuedTimer, TimerQueue } from './timer-queue';

export interface PeriodicJobOptions {
  /** Milliseconds between the starts of two runs. */
  intervalMs: number;
  /** Milliseconds from now to the first run (spreads jobs over the interval). */
  offsetMs: number;
  /** One run; its rejection (or throw) is reported, never thrown. */
  run: () => Promise<void>;
  /** The callback form of run, used instead when given: calls `done` once the run is over. */
  start?: (done: () => void) => void;
  onError?: (error: unknown) => void;
  /**
   * Called with the number of ticks skipped: due a whole interval or more before the job could
   * start them, because its previous run was still going or the process was stalled.
   */
  onOverrun?: (skipped: number) => void;
}

/**
 * Runs a job at first + k * interval: no drift, and never two runs of one job at once. A run that
 * outlasts its interval delays the next tick until it ends. When a tick starts, the ticks due before
 * the latest one due are skipped and reported: after a long run or a stall of the whole process (a
 * paused container, a busy event loop) the job runs once, for the latest tick, not once per missed
 * tick. Invariant: every tick due either runs, less than an interval after it was due, or is
 * counted in onOverrun, once.
 * The job is its own entry in the shared timer queue: a tick allocates no timer.
 */
export class PeriodicJob implements QueuedTimer {
  due = 0;
  queueIndex = -1;
  private readonly first: number;
  private tick = 0;
  private running = false;
  private stopped = false;

  constructor(
    private readonly timers: TimerQueue,
    private readonly options: PeriodicJobOptions,
  ) {
    this.first = timers.now() + options.offsetMs;
    this.timers.schedule(this, this.first);
  }

  stop(): void {
    this.stopped = true;
    this.timers.cancel(this);
  }

  fire(): void {
    if (this.stopped || this.running) return;
    // A run that ends a little after the next tick was due (a timeout equal to the interval
    // does) starts that tick at once; only ticks a whole interval behind are skipped.
    const behind = Math.floor((this.timers.now() - this.nextDue()) / this.options.intervalMs);
    if (behind > 0) {
      this.tick += behind;
      this.options.onOverrun?.(behind);
    }
    this.running = true;
    this.tick++;
    const { start } = this.options;
    if (start) {
      try {
        start(this.ended);
      } catch (error) {
        this.failed(error);
      }
      return;
    }
    let run: Promise<void>;
    try {
      run = this.options.run();
    } catch (error) {
      this.failed(error);
      return;
    }
    run.then(this.ended, this.failed);
  }

  private nextDue(): number {
    return this.first + this.tick * this.options.intervalMs;
  }

  private readonly failed = (error: unknown): void => {
    this.options.onError?.(error);
    this.ended();
  };

  private readonly ended = (): void => {
    this.running = false;
    if (this.stopped) return;
    // Due already after a long run: fire() then skips what is a whole interval behind.
    this.timers.schedule(this, this.nextDue());
  };
}
