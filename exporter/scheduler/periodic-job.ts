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
 * Runs a job at first + k * interval: no drift, and never two runs of one job at once (ticks that
 * fall inside a run that takes too long are skipped, not queued).
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

  private arm(): void {
    if (this.stopped) return;
    const due = this.first + this.tick * this.options.intervalMs;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, due - this.clock.now()));
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
        const late = Math.floor((this.clock.now() - this.first) / this.options.intervalMs) + 1 - this.tick;
        if (late > 0) {
          this.tick += late;
          this.options.onOverrun?.(late);
        }
        this.arm();
      });
  }
}
