// The package entry: the probes library (usable on its own with any OpenTelemetry setup).
export type {
  BindOptions,
  IcmpSocketStats,
  PingerOptions,
  PingFailure,
  PingRequest,
  PingResult,
  ProbeErrorCode,
  RawTransport,
  RawTransportFactory,
  RttSummary,
} from './probes';
export {
  IcmpSocket,
  Pinger,
  ProbeError,
  SocketRegistry,
  openRawTransport,
  sharedSockets,
  summarizeRtts,
} from './probes';
