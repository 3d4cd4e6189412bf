// The package entry. `probes` is a library of its own (Pinger and the shared raw sockets); the
// exporter part runs the same schedules inside any application's OpenTelemetry MeterProvider.
export type {
  BindOptions,
  EchoSessionSpec,
  IcmpSocketStats,
  KnockAnswer,
  KnockerOptions,
  KnockFailure,
  KnockRequest,
  KnockResult,
  KnockSessionSpec,
  PingerOptions,
  PingFailure,
  PingRequest,
  PingResult,
  PortState,
  ProbeErrorCode,
  RawTransport,
  RawTransportFactory,
  RttSummary,
  FlowPath,
  HopResponder,
  TraceHop,
  TracePath,
  TraceProtocol,
  TraceRequest,
  TraceResult,
  TracerOptions,
  BudgetLimits,
  PacingClock,
  ResponderBudgetOptions,
} from './probes';
export {
  EchoSession,
  IcmpSocket,
  KnockSession,
  Knocker,
  Pinger,
  ProbeError,
  SocketRegistry,
  openRawTransport,
  sharedSockets,
  summarizeRtts,
  summarizeTrace,
  Tracer,
  ResponderBudget,
  LINUX_ICMP_LIMITS,
} from './probes';

export type { Agent, AgentOptions } from './exporter/agent';
export { startAgent } from './exporter/agent';
export type { Config, ConfigIssue, PingProbeConfig, TargetConfig } from './exporter/config';
export { ConfigError, formatIssue, loadConfig, parseConfig } from './exporter/config';
export type { Logger, LoggerOptions } from './exporter/logging';
export { createLogger } from './exporter/logging';
export type { NetdiagViewsOptions } from './exporter/metrics';
export { METRIC, netdiagViews } from './exporter/metrics';
