import type { TargetConfig } from '../config';
import type { ProbeName } from '../metrics';

/** One address of a target, as a diagnostic sees it. */
export interface ProbeSubject {
  readonly target: TargetConfig;
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * One periodic job of a probe on a subject. Most probes have one plan per target; knock has one
 * per knocked port.
 */
export interface ProbePlan {
  /** Distinguishes the plans of one probe on one target ('' when there is only one). */
  readonly id: string;
  /** Seconds between runs. */
  readonly interval: number;
}

/**
 * The one signature every diagnostic implements for the scheduler. A prober turns a subject and a
 * plan into a runner; the scheduler calls `run()` once per interval.
 */
export interface Prober {
  readonly name: ProbeName;
  /** The jobs this target asks of this probe; empty when the target does not enable it. */
  plansOf(target: TargetConfig): readonly ProbePlan[];
  open(subject: ProbeSubject, plan: ProbePlan): ProbeRunner;
  /** Told how many ticks of one of its jobs the scheduler skipped (see PeriodicJob), to count them. */
  ticksSkipped?(count: number): void;
}

export interface ProbeRunner {
  /** One probe, its result recorded; resolves (never rejects) within the probe's timeout. */
  run(): Promise<void>;
  /**
   * Optional callback form of run(): calls `done` once, when the result is recorded. The scheduler
   * uses it when present; ten thousand runs a second then cost no promise each.
   */
  start?(done: () => void): void;
  /** Releases what open() took (identifiers, series). */
  close(): void;
}
