export type { ProbeLoopOptions } from './probe-loop';
export { probeLoop, sessionLoop } from './probe-loop';
export { raceUntil, sleepUntil } from './wait';
