import { ProbeError } from '../errors';
import { Deadlines } from '../inflight';
import {
  bindingFor,
  sharedSockets,
  sourceAddressFor,
  type BindOptions,
  type FamilyBinding,
  type SocketRegistry,
} from '../socket';
import type { FlowTransport } from './flow-transport';
import { IcmpFlowTransport } from './icmp-flows';
import { assembleResult } from './assemble-result';
import { distinctPaths, flowPaths } from './paths';
import { CountingTransport } from './counting-transport';
import { AnswerRecords } from './mda/answer-records';
import { witnessFlows } from './mda/witnesses';
import { carriedEvidenceOf, evidenceAfter } from './mda/round-evidence';
import { runMda } from './run-mda';
import { MdaPacer } from './mda-pacing';
import { systemPacingClock, type PacingClock } from './pacing/pacing-clock';
import type { ResponderBudget } from './pacing/responder-budget';
import { RoundPacer } from './pacing/round-pacer';
import { runTrace } from './run-trace';
import { summarizeMda } from './summarize-mda';
import { TcpFlowTransport } from './tcp-flows';
import { validateTraceRequest, type TraceRequest, type TraceSpec } from './trace-request';
import type { TraceHop, TraceResult } from './trace-result';
import { UdpFlowTransport } from './udp-flows';

/** The last hop a paced trace of unknown path length shares its window out up to. */
const ASSUMED_HOPS = 8;

export interface TracerOptions {
  /** Source address per family and/or interface. Default: the kernel's choice. */
  bind?: BindOptions;
  /** The shared sockets to use. Default: the process-wide registry. */
  sockets?: SocketRegistry;
  /**
   * Paced traces (`pacing` in the request) draw on this budget of ICMP errors per router. One per
   * process, shared by every Tracer (routers limit per source host, across protocols and families).
   * Default: none (pacing alone).
   */
  budget?: ResponderBudget;
  /** Pacing's clock and timers; default performance.now() and setTimeout. */
  clock?: PacingClock;
}

/**
 * Multipath traceroute (Paris traceroute flows) over UDP, TCP SYN or ICMP echo, on the process's
 * shared raw sockets. Every ICMP error is matched to the one probe it quotes, so traces to the same
 * or different targets run concurrently, next to pings and knocks, without crossing.
 *
 * - A hop gets `flows × probes` probes (`probes` is per flow and hop): every flow needs its own
 *   answers at every hop to know its path. Real routers rate-limit ICMP errors (Linux: a burst of 6
 *   per source, then 1/s by default): with many flows, part of a hop's loss may be that limit.
 * - Addresses shown: a router answers from an address of its own choosing. IPv4 Linux routers use
 *   the address of the interface the probe came in on only with
 *   `net.ipv4.icmp_errors_use_inbound_ifaddr=1`; by default the address of the interface towards
 *   the tracing host, so hops may not show the forward path. IPv6 has no such switch: Linux (6.x, measured
 *   in test/e2e/trace.test.ts) answers from an address of the inbound interface, other vendors
 *   often from a loopback or the return route's interface.
 * - Each trace reserves new source ports (new flows), so which flow takes which branch changes from
 *   trace to trace; `pathSetHash` depends only on the set of distinct paths. With `flows` flows over
 *   `n` equal branches, all flows miss a branch with probability about n·(1 − 1/n)^flows (2^-7 for
 *   8 flows over 2 branches): a spurious path change that more flows make rarer.
 */
export class Tracer {
  private readonly bindings: Record<4 | 6, FamilyBinding>;
  /** The probes' timeouts: one list (one timer) per duration, shared by every trace. */
  private readonly deadlines = new Deadlines();
  private closed = false;

  private constructor(
    private readonly registry: SocketRegistry,
    bind: BindOptions | undefined,
    private readonly budget: ResponderBudget | undefined,
    private readonly clock: PacingClock,
  ) {
    this.bindings = { 4: bindingFor(bind, 4), 6: bindingFor(bind, 6) };
  }

  /** Checks the options and that raw sockets can be opened (ERR_RAW_SOCKET_PERMISSION without CAP_NET_RAW). */
  static async create(options: TracerOptions = {}): Promise<Tracer> {
    const tracer = new Tracer(
      options.sockets ?? sharedSockets,
      options.bind,
      options.budget,
      options.clock ?? systemPacingClock,
    );
    const icmp = tracer.registry.acquireIcmp(4, tracer.bindings[4]);
    tracer.registry.release(icmp);
    return tracer;
  }

  /**
   * Runs one trace to the end and summarises it: hops, per-flow paths, distinct paths and their
   * identity, probes sent. `onHop` is told each hop as soon as it is final, in TTL order.
   */
  async trace(request: TraceRequest, onHop?: (hop: TraceHop) => void): Promise<TraceResult> {
    const spec = validateTraceRequest(request);
    // Paced rounds carry no evidence: a paced first round, cut short by the routers' budget, leaves
    // too little to found it, so counting it saved no probes (bench/results.md, "Paced rounds
    // carrying evidence: tried, not kept"); they replay the witness flows instead.
    const carried = spec.pacing ? undefined : carriedEvidenceOf(spec);
    // The carried flows keep their ports: they are the round's first flows.
    if (carried) {
      spec.sourcePorts = carried.ports;
      spec.knownPaths = carried.knownPaths;
    }
    const started = performance.now();
    const transport = new CountingTransport(await this.openTransport(spec));
    const hops: TraceHop[] = [];
    const records = new AnswerRecords();
    const pacer = this.pacerFor(spec, records);
    const run = spec.mda
      ? runMda(
          transport,
          { ...spec, mda: spec.mda, ...(carried && { carried }) },
          records,
          request.signal,
          pacer,
        )
      : runTrace(transport, spec, request.signal);
    for await (const hop of run) {
      hops.push(hop);
      onHop?.(hop);
    }
    const duration = (performance.now() - started) / 1000;
    const ports = transport.ports;
    if (!spec.mda) {
      const result = summarizeTrace(spec, hops, duration, transport.sent);
      return ports ? { ...result, sourcePorts: [...ports] } : result;
    }
    const result = summarizeMda({ ...spec, mda: spec.mda }, hops, records, duration, transport.sent);
    const lastHop = hops.at(-1)?.ttl ?? spec.firstHop;
    if (pacer) result.skipped = pacer.skipped;
    if (!ports || spec.pacing) {
      // ICMP (identifiers are not kept) and paced rounds carry nothing: the witness flows, whose
      // paths the pacing replays and expects.
      const witnesses = witnessFlows(records, spec.firstHop, lastHop);
      result.knownPaths = witnesses.map((flow) => result.flows[flow]!.hops);
      return ports ? { ...result, sourcePorts: witnesses.map((flow) => ports[flow]!) } : result;
    }
    const evidence = evidenceAfter({ ...spec, mda: spec.mda }, records, ports, carried, hops);
    result.evidence = evidence;
    result.knownPaths = evidence.flows.map((flow) => flow.hops.map((hop) => hop?.from ?? null));
    return { ...result, sourcePorts: evidence.flows.map((flow) => flow.port) };
  }

  /** The pacing of a paced MDA trace: a budget key of its own for a router nothing is known of, per TTL. */
  private pacerFor(spec: TraceSpec, records: AnswerRecords): MdaPacer | undefined {
    if (!spec.mda || !spec.pacing) return undefined;
    const { destination, protocol } = spec;
    return new MdaPacer(
      {
        // One claimant per destination and protocol: the rounds of one target, for the budget's fairness.
        pacer: new RoundPacer(spec.pacing, this.clock, this.budget, `${protocol} ${destination}`),
        known: spec.knownPaths,
        // The first hop is every trace's (one gateway, usually); later ones are the routers behind the one before.
        unknownKey: (ttl, before) =>
          ttl === spec.firstHop
            ? `?first hop, IPv${spec.family}`
            : before
              ? `?behind ${before}`
              : `?${destination}#${ttl}`,
        lastHop: Math.min(
          spec.maxHops,
          spec.pathLength !== undefined
            ? spec.pathLength + 1
            : Math.max(ASSUMED_HOPS, ...spec.knownPaths.map((hops) => spec.firstHop + hops.length)),
        ),
        // TCP answers and echo replies are no ICMP errors: a destination sends them unlimited.
        limited: (address) => protocol === 'udp' || address !== destination,
        destination,
      },
      spec.firstHop,
      records,
    );
  }

  /** Yields each hop as soon as it is final, in TTL order. */
  traceHops(request: TraceRequest): AsyncGenerator<TraceHop, void, undefined> {
    return this.hopsOf(validateTraceRequest(request), request.signal);
  }

  private async *hopsOf(spec: TraceSpec, signal?: AbortSignal): AsyncGenerator<TraceHop, void, undefined> {
    const transport = await this.openTransport(spec);
    if (spec.mda) yield* runMda(transport, { ...spec, mda: spec.mda }, new AnswerRecords(), signal);
    else yield* runTrace(transport, spec, signal);
  }

  private async openTransport(spec: TraceSpec): Promise<FlowTransport> {
    if (this.closed) throw new ProbeError('ERR_CLOSED', 'the Tracer is closed');
    const binding = this.bindings[spec.family];
    const deadlines = this.deadlines.forDuration(spec.timeoutMs);
    if (spec.protocol === 'icmp') return IcmpFlowTransport.open(spec, this.registry, binding, deadlines);
    // The TCP and UDP checksums cover the source address, which the kernel would pick.
    const source = await sourceAddressFor(spec.destination, binding);
    if (spec.protocol === 'tcp')
      return TcpFlowTransport.open(spec, this.registry, binding, source, deadlines);
    return UdpFlowTransport.open(spec, this.registry, binding, source, deadlines);
  }

  /** Idempotent; traces already running finish. */
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** The result of a fixed-flows trace from its hops; `probes` defaults to those its hops count. */
export function summarizeTrace(
  spec: Pick<TraceSpec, 'destination' | 'family' | 'protocol' | 'firstHop' | 'flows'>,
  hops: TraceHop[],
  duration: number,
  probes = hops.reduce((sum, hop) => sum + hop.sent, 0),
): TraceResult {
  const flows = flowPaths(hops, spec.flows);
  return assembleResult(spec, hops, flows, distinctPaths(flows), duration, probes);
}
