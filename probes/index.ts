export type { ProbeErrorCode } from './errors';
export { ProbeError } from './errors';
export type { PingerOptions, PingFailure, PingRequest, PingResult, RttSummary } from './ping';
export { Pinger, summarizeRtts } from './ping';
export type { BindOptions, IcmpSocketStats, RawTransport, RawTransportFactory } from './socket';
export { IcmpSocket, SocketRegistry, openRawTransport, sharedSockets } from './socket';
