export type { ProbeErrorCode } from './errors';
export { ProbeError } from './errors';
export type {
  EchoSessionSpec,
  PingerOptions,
  PingFailure,
  PingRequest,
  PingResult,
  RttSummary,
} from './ping';
export { EchoSession, Pinger, summarizeRtts } from './ping';
export type { BindOptions, IcmpSocketStats, RawTransport, RawTransportFactory } from './socket';
export { IcmpSocket, SocketRegistry, openRawTransport, sharedSockets } from './socket';
