import type { IpFamily } from '../packet';
import type { TraceProtocol } from './trace-request';
import type { MdaEvidence } from './mda/evidence';

/**
 * What answered a probe: `hop` a router's time exceeded; `destination` the target itself (UDP port
 * unreachable, TCP SYN-ACK or RST, ICMP echo reply, or any ICMP error it sent); `unreachable` an ICMP
 * destination unreachable (or other error) from another node, which ends the flow there.
 */
export type AnswerKind = 'hop' | 'destination' | 'unreachable';

/**
 * How one probe ended: its answer, null when none came before the timeout, an answer read too late,
 * or a send failure.
 */
export type ProbeOutcome = ProbeAnswer | LateAnswer | SendFailure | null;

/**
 * An answer read after the probe's timeout, before the timeout fired (the event loop was stalled):
 * unanswered all the same, since its RTT measures the stall, not the network.
 */
export interface LateAnswer {
  kind: 'late';
  /** Seconds from the send to the read. */
  rtt: number;
}

/** The kernel refused the probe (ENOBUFS from a full egress queue, EHOSTUNREACH...): it never left. */
export interface SendFailure {
  kind: 'send-failed';
  message: string;
}

export interface ProbeAnswer {
  kind: AnswerKind;
  /** Canonical address of the responder. */
  from: string;
  /** Seconds from the send to the answer. */
  rtt: number;
  /** The ICMP type and code, when the answer was an ICMP error. */
  icmp?: { type: number; code: number };
}

export interface HopResponder {
  address: string;
  kind: AnswerKind;
  /** RTTs (seconds) of every answer from this address at this hop, in arrival order per flow. */
  rtts: number[];
  /** Flows (0-based) whose probes it answered, ascending. */
  flows: number[];
  /** ICMP type/code of its first answer when it was an ICMP error other than time exceeded. */
  icmp?: { type: number; code: number };
}

export interface TraceHop {
  /** TTL / hop limit of the probes of this hop. */
  ttl: number;
  /** Every address that answered, in the order of their first answer. */
  responders: HopResponder[];
  /** Probes of flows still on their way at this TTL (a flow ends at the destination or an unreachable). */
  sent: number;
  received: number;
  /** Probes of `sent` that the kernel refused (they count as lost: a full queue on the way is loss too). */
  sendFailures: number;
  /** Probes of `sent` whose answer was read after their timeout (lost: see LateAnswer). */
  late: number;
  /** (sent - received) / sent (0 when nothing was sent). */
  loss: number;
  /**
   * MDA only: whether the stopping rule held for every vertex of the hop before (all next hops found
   * at the trace's confidence); false when the flow cap (maxFlows) cut the hop short.
   */
  complete?: boolean;
  /**
   * Forwarding loss up to this hop as this trace alone shows it (loss/forward-loss.ts): the least loss
   * at this TTL or any later one; null when only ICMP errors, which may be rate-limited, showed loss.
   * One trace sends few probes per hop: the exporter reads it over a window of rounds instead.
   */
  forwardLoss?: number | null;
}

/** The route one flow took: the responder at each TTL from the first hop, null where none answered it. */
export interface FlowPath {
  flow: number;
  hops: Array<string | null>;
  /** Whether this flow's probes reached the destination. */
  reached: boolean;
  /** Stable identity of `hops` (16 hex digits). */
  hash: string;
}

/** A distinct path, with the flows that took it. */
export interface TracePath {
  hash: string;
  hops: Array<string | null>;
  flows: number[];
}

export interface TraceResult {
  destination: string;
  family: IpFamily;
  protocol: TraceProtocol;
  /** TTL of the first hop (request.firstHop). */
  firstHop: number;
  hops: TraceHop[];
  /** One per flow, in flow order. */
  flows: FlowPath[];
  /** Distinct paths, ordered by hash. */
  paths: TracePath[];
  /** Whether the destination answered any probe. */
  reached: boolean;
  /** TTL at which the destination first answered; absent when it did not. */
  hopsToDestination?: number;
  /**
   * Identity of the set of distinct paths (16 hex digits), independent of flow order and of which
   * flow took which path: a change between two traces is a path change.
   */
  pathSetHash: string;
  /** Seconds the trace took. */
  duration: number;
  /** Probes sent by the whole trace, those past the destination and those left out of the hops included. */
  probes: number;
  /** MDA only: the confidence asked for, and whether every hop met it. */
  mda?: { confidence: number; complete: boolean };
  /**
   * UDP and TCP: pass them as the next trace's `sourcePorts` to keep its flows. Fixed flows: each
   * flow's source port. MDA: those of the flows that first met each responder and link (witnessFlows):
   * the next trace finds them again and explores with new flows beyond.
   */
  sourcePorts?: number[];
  /**
   * MDA: what those flows met, per flow (in sourcePorts' order) the responder at each TTL from
   * firstHop (null: none, or not probed there; with ports, the evidence's answers). Pass it as the next trace's `knownPaths` with the
   * ports: a paced trace replays them first and expects its answers from those routers.
   */
  knownPaths?: Array<Array<string | null>>;
  /**
   * MDA, UDP and TCP: the answers the next round may count again (pass it as the next request's
   * `evidence`): the flows the stopping rule needs, in sourcePorts' order, each answer with the
   * round it was last seen in (see mda/carried-evidence.ts).
   */
  evidence?: MdaEvidence;
  /** Paced MDA: probes not sent because the routers they were expected from had no token within the window (not losses). */
  skipped?: number;
}
