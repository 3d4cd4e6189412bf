export type { DeadlineClock, DeadlineEntry, DeadlineTimer } from './deadline-list';
export { DeadlineList, Deadlines } from './deadline-list';
export { InflightProbe } from './inflight-probe';
export type { InflightMember } from './inflight-set';
export { InflightSet } from './inflight-set';
export type { ProbeLoopOptions } from './probe-loop';
export { sessionLoop } from './probe-loop';
export { raceUntil, sleepUntil } from './wait';
