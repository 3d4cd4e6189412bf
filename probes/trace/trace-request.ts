import { ProbeError, invalidOption } from '../errors';
import { canonicalAddress, ipFamily, type IpFamily } from '../packet';
import type { CarriedAnswer, MdaEvidence } from './mda/evidence';

export type TraceProtocol = 'udp' | 'tcp' | 'icmp';

export interface TraceRequest {
  /** IPv4 or IPv6 literal (resolve names first). */
  addr: string;
  /** Default 'udp'. */
  protocol?: TraceProtocol;
  /**
   * Destination port: default 33434 for UDP (fixed for every probe, not incremented: a flow keeps
   * its 5-tuple), 443 for TCP (as the exporter's config); ignored by ICMP.
   */
  port?: number;
  /**
   * Fixed flows, each with its own 5-tuple (source port, or ICMP identifier), every one probed at every
   * hop (`probes` times): at most 256. Unset: the MDA (below) picks how many flows each hop needs.
   */
  flows?: number;
  /**
   * Without `flows`: the multipath detection algorithm's confidence that each hop's next hops were all
   * found (the stopping rule, see mda/stopping-points.ts); default 0.95, from 0.5 to 0.9999.
   */
  confidence?: number;
  /** Without `flows`: the flows the MDA may use in all; default 128 (16-way ECMP at 95 % needs 97 at a hop), at most 1024. */
  maxFlows?: number;
  /**
   * Hops to the destination found by an earlier trace: this one probes at most one TTL past it
   * (to notice a longer path) unless a router answers there. Default: unknown.
   */
  pathLength?: number;
  /** Last TTL / hop limit probed; default 30, at most 255. */
  maxHops?: number;
  /** First TTL probed; default 1. */
  firstHop?: number;
  /** Probes per flow per hop: a hop gets flows × probes; default 3, at most 10. */
  probes?: number;
  /** Seconds to wait for each probe's answer, counted from its send; default 1. */
  timeout?: number;
  /** Stop after this many consecutive hops without any answer; default 5. */
  maxSilentHops?: number;
  /** Hops (TTLs) probed at the same time; default 6. */
  parallelHops?: number;
  /**
   * UDP and TCP: the source port to try first for each flow, typically a previous result's
   * `sourcePorts`, so that flows keep their 5-tuples, hence their paths, from one trace to the next
   * (a load balancer then shows the same branches every round). A port that cannot be reserved
   * now is replaced by one the kernel picks. Default: all picked by the kernel.
   */
  sourcePorts?: readonly number[];
  /**
   * MDA only: spread the probes over `window` seconds from the trace's start rather than sending each
   * hop's at once, `probes` being how many the trace is expected to send (a previous result's; default
   * 100): consecutive probes leave window / probes apart. With the Tracer's `budget`, a probe also waits
   * for a token of the routers it is expected to be answered by, at most until the window ends; past
   * that it is not sent (counted in `skipped`, never a loss). Default: no pacing, no budget.
   */
  pacing?: { window: number; probes?: number };
  /** MDA with pacing: a previous result's `knownPaths` (with its `sourcePorts`). */
  knownPaths?: ReadonlyArray<ReadonlyArray<string | null>>;
  /**
   * MDA, UDP and TCP: a previous result's `evidence`. Its flows are this trace's first (their ports
   * replace `sourcePorts`); after re-checking part of them, their answers of the last rounds count for
   * the stopping rule (see mda/carried-evidence.ts), so the trace sends only what the rule still lacks.
   */
  evidence?: MdaEvidence;
  signal?: AbortSignal;
}

/** A validated request. */
export interface TraceSpec {
  family: IpFamily;
  /** Canonical address. */
  destination: string;
  protocol: TraceProtocol;
  port: number;
  /** Fixed flows; with the MDA, the cap (maxFlows). */
  flows: number;
  /** Present when the MDA picks the flows (no `flows` in the request). */
  mda?: { confidence: number };
  pathLength?: number;
  maxHops: number;
  firstHop: number;
  probes: number;
  timeoutMs: number;
  maxSilentHops: number;
  parallelHops: number;
  /** Preferred source port per flow (0: the kernel's choice). */
  sourcePorts: number[];
  /** MDA only. */
  pacing?: { window: number; probes: number };
  knownPaths: ReadonlyArray<ReadonlyArray<string | null>>;
  /** MDA only. */
  evidence?: MdaEvidence;
}

/** Probes a paced trace expects when the request does not say (a round of a few hops of the MDA). */
const DEFAULT_PACED_PROBES = 100;

export const DEFAULT_UDP_PORT = 33434;
export const DEFAULT_TCP_PORT = 443;
const DEFAULT_CONFIDENCE = 0.95;
/** 16-way ECMP at 95 % needs 97 flows at its hop; the rest leaves room for nested splits. */
const DEFAULT_MAX_FLOWS = 128;
const MIN_CONFIDENCE = 0.5;
/** Above the exporter's 0.99: its first round of a target explores at 1 − (1 − confidence)². */
const MAX_CONFIDENCE = 0.9999;
const MAX_FLOWS = 1024;

export function validateTraceRequest(request: TraceRequest): TraceSpec {
  const family = ipFamily(request.addr);
  if (family === 0) {
    throw new ProbeError(
      'ERR_INVALID_ADDRESS',
      `addr: "${request.addr}" is not an IP address (resolve names first)`,
    );
  }
  const protocol = request.protocol ?? 'udp';
  if (protocol !== 'udp' && protocol !== 'tcp' && protocol !== 'icmp') {
    throw invalidOption('protocol', protocol, '"udp", "tcp" or "icmp"');
  }
  const integer = (name: string, value: number, min: number, max: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw invalidOption(name, value, `an integer from ${min} to ${max}`);
    }
    return value;
  };
  const port = integer(
    'port',
    request.port ?? (protocol === 'tcp' ? DEFAULT_TCP_PORT : DEFAULT_UDP_PORT),
    1,
    0xffff,
  );
  const maxHops = integer('maxHops', request.maxHops ?? 30, 1, 255);
  const firstHop = integer('firstHop', request.firstHop ?? 1, 1, maxHops);
  const timeout = request.timeout ?? 1;
  if (!(timeout > 0) || !Number.isFinite(timeout)) throw invalidOption('timeout', timeout, 'seconds > 0');
  const fixed = request.flows !== undefined;
  if (fixed && (request.confidence !== undefined || request.maxFlows !== undefined)) {
    throw invalidOption(
      'flows',
      request.flows,
      'no confidence or maxFlows with it (fixed flows use neither)',
    );
  }
  const confidence = request.confidence ?? DEFAULT_CONFIDENCE;
  if (!(confidence >= MIN_CONFIDENCE && confidence <= MAX_CONFIDENCE)) {
    throw invalidOption('confidence', confidence, `a number from ${MIN_CONFIDENCE} to ${MAX_CONFIDENCE}`);
  }
  return {
    family,
    destination: canonicalAddress(request.addr),
    protocol,
    port,
    flows: fixed
      ? integer('flows', request.flows!, 1, 256)
      : integer('maxFlows', request.maxFlows ?? DEFAULT_MAX_FLOWS, 1, MAX_FLOWS),
    ...(!fixed && { mda: { confidence } }),
    ...(request.pathLength !== undefined && {
      pathLength: integer('pathLength', request.pathLength, 1, 255),
    }),
    maxHops,
    firstHop,
    probes: integer('probes', request.probes ?? 3, 1, 10),
    timeoutMs: timeout * 1000,
    maxSilentHops: integer('maxSilentHops', request.maxSilentHops ?? 5, 1, 255),
    parallelHops: integer('parallelHops', request.parallelHops ?? 6, 1, 255),
    sourcePorts: (request.sourcePorts ?? []).map((port, i) => integer(`sourcePorts[${i}]`, port, 0, 0xffff)),
    ...(request.pacing && { pacing: validatePacing(request.pacing, fixed) }),
    knownPaths: request.knownPaths ?? [],
    ...(request.evidence && { evidence: validateEvidence(request.evidence, fixed) }),
  };
}

function validatePacing(
  pacing: { window: number; probes?: number },
  fixed: boolean,
): NonNullable<TraceSpec['pacing']> {
  if (fixed) throw invalidOption('pacing', pacing, 'no pacing with fixed flows (the MDA paces)');
  const { window, probes = DEFAULT_PACED_PROBES } = pacing;
  if (!(window >= 0) || !Number.isFinite(window)) throw invalidOption('pacing.window', window, 'seconds ≥ 0');
  if (!Number.isInteger(probes) || probes < 1) throw invalidOption('pacing.probes', probes, 'an integer ≥ 1');
  return { window, probes };
}

function validateEvidence(evidence: MdaEvidence, fixed: boolean): MdaEvidence {
  if (fixed) throw invalidOption('evidence', '…', 'no evidence with fixed flows (the MDA counts it)');
  const wellFormed =
    Number.isInteger(evidence.round) &&
    Number.isInteger(evidence.firstHop) &&
    Number.isInteger(evidence.freshRounds) &&
    Array.isArray(evidence.flows) &&
    evidence.flows.every(
      (flow) =>
        Number.isInteger(flow.port) &&
        Array.isArray(flow.hops) &&
        flow.hops.every(
          (hop: CarriedAnswer | null) =>
            hop === null ||
            (typeof hop.from === 'string' && typeof hop.ends === 'boolean' && Number.isInteger(hop.seen)),
        ),
    );
  if (!wellFormed) throw invalidOption('evidence', '…', "a previous trace result's evidence");
  return evidence;
}
