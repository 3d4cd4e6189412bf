export type { FlowTransport } from './flow-transport';
export type { ForwardLoss, ForwardLossOptions } from './loss/forward-loss';
export { forwardLoss } from './loss/forward-loss';
export {
  FORWARD_LOSS_MIN_PROBES,
  FORWARD_LOSS_MAX_AGE,
  FORWARD_LOSS_WINDOW_PROBES,
  ForwardLossWindow,
} from './loss/forward-loss-window';
export type { ForwardLossWindowOptions } from './loss/forward-loss-window';
export type { LossFigure } from './loss/loss-figure';
export { hopFigure } from './loss/loss-figure';
export type { PathWatchChange } from './watch/path-watch';
export { PathWatch } from './watch/path-watch';
export { distinctPaths, flowPaths, pathSetHash } from './paths';
export { stoppingPoint } from './mda/stopping-points';
export { runTrace } from './run-trace';
export type { TraceProtocol, TraceRequest, TraceSpec } from './trace-request';
export { DEFAULT_TCP_PORT, DEFAULT_UDP_PORT, validateTraceRequest } from './trace-request';
export type {
  AnswerKind,
  FlowPath,
  HopResponder,
  LateAnswer,
  ProbeAnswer,
  ProbeOutcome,
  SendFailure,
  TraceHop,
  TracePath,
  TraceResult,
} from './trace-result';
export type { CarriedAnswer, CarriedFlow, MdaEvidence } from './mda/evidence';
export { EVIDENCE_MAX_AGE } from './mda/evidence';
export type { TracerOptions } from './tracer';
export { Tracer, summarizeTrace } from './tracer';
export type { BudgetLimits, PacingClock, ResponderBudgetOptions, RoundPacing } from './pacing';
export { LINUX_ICMP_LIMITS, ResponderBudget } from './pacing';
