export type { Clock } from './clock';
export { systemClock } from './clock';
export type { PeriodicJobOptions } from './periodic-job';
export { PeriodicJob } from './periodic-job';
export type { Prober, ProbePlan, ProbeRunner, ProbeSubject } from './prober';
export { Scheduler } from './scheduler';
export { spreadOffset } from './spread';
export type { QueuedTimer, TimerQueueOptions } from './timer-queue';
export { TimerQueue } from './timer-queue';
