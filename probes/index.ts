export type { ProbeErrorCode } from './errors';
export { CodedError } from './coded-error';
export { ProbeError } from './errors';
export { probesInFlight } from './probe-request';
export { IpProtocol, tcpFlagLetters, type IpProtocolNumber } from './packet';
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
  SocketPinsOptions,
  TcpSocketStats,
  UdpSocketStats,
  KernelDropsOptions,
  KernelDropsTotal,
  ProcFiles,
  RawSocketLine,
  RawTransport,
  RawTransportFactory,
  StampsMissed,
  TimestampSource,
} from './socket';
export {
  IcmpSocket,
  KernelDrops,
  SocketPins,
  SocketRegistry,
  TcpSocket,
  UdpSocket,
  openRawTransport,
  parseProcNetRaw,
  sharedSockets,
} from './socket';
export type {
  BudgetLimits,
  PacingClock,
  ResponderBudgetOptions,
  FlowPath,
  ForwardLoss,
  ForwardLossOptions,
  ForwardLossWindowOptions,
  HopResponder,
  LossFigure,
  MdaEvidence,
  PathWatchChange,
  TraceHop,
  TracePath,
  TraceProtocol,
  TraceRequest,
  TraceResult,
  TracerOptions,
} from './trace';
export {
  DEFAULT_TCP_PORT,
  DEFAULT_UDP_PORT,
  EVIDENCE_MAX_AGE,
  FORWARD_LOSS_MIN_PROBES,
  FORWARD_LOSS_MAX_AGE,
  FORWARD_LOSS_WINDOW_PROBES,
  ForwardLossWindow,
  PathWatch,
  LINUX_ICMP_LIMITS,
  ResponderBudget,
  Tracer,
  forwardLoss,
  hopFigure,
  stoppingPoint,
  summarizeTrace,
  validateTraceRequest,
} from './trace';
