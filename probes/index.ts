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
export type {
  KnockAnswer,
  KnockerOptions,
  KnockFailure,
  KnockRequest,
  KnockResult,
  KnockSessionSpec,
  PortState,
} from './knock';
export { KnockSession, Knocker } from './knock';
export type {
  BindOptions,
  IcmpSocketStats,
  KernelDropsOptions,
  KernelDropsTotal,
  ProcFiles,
  RawSocketLine,
  RawTransport,
  RawTransportFactory,
} from './socket';
export {
  IcmpSocket,
  KernelDrops,
  SocketRegistry,
  openRawTransport,
  parseProcNetRaw,
  sharedSockets,
} from './socket';
export type {
  FlowPath,
  HopResponder,
  TraceHop,
  TracePath,
  TraceProtocol,
  TraceRequest,
  TraceResult,
  TracerOptions,
} from './trace';
export { Tracer } from './trace';
