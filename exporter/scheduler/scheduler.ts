import type { Logger } from '../logging';
import { systemClock, type Clock } from './clock';
import { OverrunReport } from './overrun-report';
import { PeriodicJob } from './periodic-job';
import { TimerQueue } from './timer-queue';
import type { Prober, ProbeRunner, ProbeSubject } from './prober';
import { JobPlacement } from './placement';

interface Entry {
  job: PeriodicJob;
  runner: ProbeRunner;
}

/**
 * Runs every (probe, target, address, plan) at its interval, start times spread across the
 * interval (JobPlacement: by a hash of the job for the first few of an interval, then in blocks in
 * the order they start), so that targets added together do not all probe at once.
 */
export class Scheduler {
  /** Jobs by (probe, target, address), each with one entry per plan. */
  private readonly entries = new Map<string, Entry[]>();
  private jobCount = 0;
  private readonly timers: TimerQueue;
  private readonly overruns: OverrunReport;
  private readonly placement = new JobPlacement();

  constructor(
    private readonly logger: Logger,
    clock: Clock = systemClock,
  ) {
    this.timers = new TimerQueue(clock);
    this.overruns = new OverrunReport(logger, clock);
  }

  /** Starts the subject's jobs for this prober, if the target enables it and they are not running yet. */
  start(prober: Prober, subject: ProbeSubject): void {
    const key = subjectKey(prober.name, subject);
    const plans = prober.plansOf(subject.target);
    if (plans.length === 0 || this.entries.has(key)) return;
    const entries: Entry[] = [];
    for (const plan of plans) {
      const runner = prober.open(subject, plan);
      const intervalMs = plan.interval * 1000;
      const context = () => ({
        target: subject.target.name,
        address: subject.address,
        probe: prober.name,
        ...(plan.id !== '' && { plan: plan.id }),
      });
      const job = new PeriodicJob(this.timers, {
        intervalMs,
        offsetMs: this.placement.offset(`${key}\u0000${plan.id}`, intervalMs),
        run: () => runner.run(),
        ...(runner.start && { start: (done: () => void) => runner.start!(done) }),
        onError: (error) => this.logger.error('probe run failed', { ...context(), err: error }),
        onOverrun: (skipped) => {
          prober.ticksSkipped?.(skipped);
          this.overruns.add(prober.name, `${subject.target.name} ${subject.address}`, skipped);
        },
      });
      entries.push({ job, runner });
    }
    this.entries.set(key, entries);
    this.jobCount += entries.length;
  }

  /** Stops every job of this probe on the subject and closes their runners. */
  stop(probe: string, subject: Omit<ProbeSubject, 'family'>): void {
    const key = subjectKey(probe, subject);
    const entries = this.entries.get(key);
    if (!entries) return;
    this.entries.delete(key);
    this.jobCount -= entries.length;
    for (const entry of entries) close(entry);
  }

  stopAll(): void {
    this.overruns.flush();
    for (const entries of this.entries.values()) for (const entry of entries) close(entry);
    this.entries.clear();
    this.jobCount = 0;
  }

  /** Jobs running. */
  get size(): number {
    return this.jobCount;
  }
}

function close(entry: Entry): void {
  entry.job.stop();
  entry.runner.close();
}

const subjectKey = (probe: string, subject: Omit<ProbeSubject, 'family'>): string =>
  `${probe}\u0000${subject.target.name}\u0000${subject.address}`;
