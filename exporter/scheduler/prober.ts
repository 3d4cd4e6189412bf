import type { TargetConfig } from '../config';
import type { ProbeName } from '../metrics';

/** One address of a target, as a diagnostic sees it. */
export interface ProbeSubject {
  readonly target: TargetConfig;
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * The one signature every diagnostic implements for the scheduler (ping now; knock and trace next).
 * A prober turns a subject into a runner; the scheduler calls `run()` once per interval.
 */
export interface Prober {
  readonly name: ProbeName;
  /** Seconds between runs for this target, or undefined when the target does not enable this probe. */
  intervalOf(target: TargetConfig): number | undefined;
  open(subject: ProbeSubject): ProbeRunner;
}

export interface ProbeRunner {
  /** One probe, its result recorded; resolves (never rejects) within the probe's timeout. */
  run(): Promise<void>;
  /** Releases what open() took (identifiers, series). */
  close(): void;
}
