export type { EchoSessionSpec } from './echo-session';
export { EchoSession } from './echo-session';
export type { PingFailure, PingResult } from './ping-result';
export type { PingerOptions, PingRequest } from './pinger';
export { Pinger } from './pinger';
export type { RttSummary } from './summary';
export { summarizeRtts } from './summary';
