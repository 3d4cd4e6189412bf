export type { PingerOptions, PingFailure, PingRequest, PingResult } from './pinger';
export { Pinger } from './pinger';
export type { RttSummary } from './summary';
export { summarizeRtts } from './summary';
