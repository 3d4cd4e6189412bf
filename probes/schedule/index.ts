export type { ProbeLoopOptions } from './probe-loop';
export { probeLoop } from './probe-loop';
export { raceUntil, sleepUntil } from './wait';
