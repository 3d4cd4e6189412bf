import type { Logger } from '../logging';
import type { Clock } from './clock';

/** Milliseconds between two summary lines at most. */
export const OVERRUN_REPORT_MS = 10_000;

interface Tally {
  jobs: Set<string>;
  skipped: number;
}

/**
 * Skipped ticks, summed per probe into one warning line per period: a stall of the whole process
 * (a long scrape, a paused container) makes every job skip at once, and ten thousand jobs must
 * not mean ten thousand lines. The line names an example job, which the per-probe counter
 * netdiag_probe_ticks_skipped_total does not.
 */
export class OverrunReport {
  private readonly tallies = new Map<string, Tally>();
  private timer: unknown;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  add(probe: string, job: string, skipped: number): void {
    let tally = this.tallies.get(probe);
    if (!tally) this.tallies.set(probe, (tally = { jobs: new Set(), skipped: 0 }));
    tally.jobs.add(job);
    tally.skipped += skipped;
    this.timer ??= this.clock.setTimeout(() => this.flush(), OVERRUN_REPORT_MS);
  }

  /** Logs what was tallied (on close too). */
  flush(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const [probe, { jobs, skipped }] of this.tallies) {
      this.logger.warn('ticks skipped: a probe run outlasted its interval or the process stalled', {
        probe,
        jobs: jobs.size,
        skipped,
        example: jobs.values().next().value,
      });
    }
    this.tallies.clear();
  }
}
