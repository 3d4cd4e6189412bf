import type { Logger } from '../logging';
import { systemClock, type Clock } from './clock';
import { PeriodicJob } from './periodic-job';
import type { Prober, ProbeRunner, ProbeSubject } from './prober';
import { spreadOffset } from './spread';

interface Entry {
  job: PeriodicJob;
  runner: ProbeRunner;
}

/** Runs every (probe, target, address) at its interval, start times spread across the interval. */
export class Scheduler {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Starts the subject's job for this prober, if the target enables it and it is not running yet. */
  start(prober: Prober, subject: ProbeSubject): void {
    const interval = prober.intervalOf(subject.target);
    if (interval === undefined) return;
    const key = jobKey(prober.name, subject);
    if (this.entries.has(key)) return;
    const runner = prober.open(subject);
    const intervalMs = interval * 1000;
    const log = this.logger.child({
      target: subject.target.name,
      address: subject.address,
      probe: prober.name,
    });
    const job = new PeriodicJob(this.clock, {
      intervalMs,
      offsetMs: spreadOffset(key, intervalMs),
      run: () => runner.run(),
      onError: (error) => log.error('probe run failed', { err: error }),
      onOverrun: (skipped) => log.warn('probe run outlasted its interval', { skipped }),
    });
    this.entries.set(key, { job, runner });
  }

  stop(probe: string, subject: Omit<ProbeSubject, 'family'>): void {
    const key = jobKey(probe, subject);
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.job.stop();
    entry.runner.close();
    this.entries.delete(key);
  }

  stopAll(): void {
    for (const entry of this.entries.values()) {
      entry.job.stop();
      entry.runner.close();
    }
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

const jobKey = (probe: string, subject: Omit<ProbeSubject, 'family'>): string =>
  `${probe}\u0000${subject.target.name}\u0000${subject.address}`;
