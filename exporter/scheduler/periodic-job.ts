import type { Clock } from './clock';

export interface PeriodicJobOptions {
  /** Milliseconds between the starts of two runs. */
  intervalMs: number;
  /** Milliseconds from now to the first run (spreads jobs over the interval). */
  offsetMs: number;
  /** One run; its rejection is reported, never thrown. */
  run: () => Promise<void>;
  onError?: (error: unknown) => void;
  /** Called with the number of ticks skipped because the previous run was still going. */
  onOverrun?: (skipped: number) => void;
}

/**
 * Runs a job at first + k * interval: no drift, and never two runs of one job at once. A run that
 * outlasts its interval delays the next tick until it ends; ticks a whole interval behind are skipped.
 */
export class PeriodicJob {
  private readonly first: number;
  private tick = 0;
  private timer: unknown;
  private running = false;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: PeriodicJobOptions,
  ) {
    this.first = clock.now() + options.offsetMs;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  private due(): number {
    return this.first + this.tick * this.options.intervalMs;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, this.due() - this.clock.now()));
  }

  private fire(): void {
    if (this.stopped || this.running) return;
    this.running = true;
    this.tick++;
    this.options
      .run()
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        this.running = false;
        // A run that ends a little after the next tick was due (a timeout equal to the interval
        // does) starts that tick at once; only ticks a whole interval behind are skipped.
        const behind = Math.floor((this.clock.now() - this.due()) / this.options.intervalMs);
        if (behind > 0) {
          this.tick += behind;
          this.options.onOverrun?.(behind);
        }
        this.arm();
      });
  }
}
