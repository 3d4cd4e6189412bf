export type { DeadlineEntry } from './deadline-list';
export { DeadlineList, Deadlines } from './deadline-list';
export type { ProbeLoopOptions } from './probe-loop';
export { sessionLoop } from './probe-loop';
export { raceUntil, sleepUntil } from './wait';
