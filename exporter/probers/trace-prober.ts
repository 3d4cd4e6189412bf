import {
  ForwardLossWindow,
  hopFigure,
  PathWatch,
  type MdaEvidence,
  type Tracer,
  type TraceRequest,
  type TraceResult,
} from '../../probes';
import type { TargetConfig, TraceProbeConfig } from '../config';
import type { ExporterMetrics, TraceRound } from '../metrics';
import type { Prober, ProbePlan, ProbeRunner, ProbeSubject } from '../scheduler';
import { seriesAttributes } from './series-attributes';
import { traceErrorReason } from './trace-error-reason';
import { ExporterError } from '../errors';
import { statusTarget, type StatusStore } from '../status';

/** Multipath traceroute for the scheduler: one trace round per run, its hops into the trace metrics. */
export class TraceProber implements Prober {
  readonly name = 'trace' as const;

  constructor(
    private readonly tracer: Tracer,
    private readonly metrics: ExporterMetrics,
    /** The status page's history, fed the same results as the metrics; default none. */
    private readonly status?: StatusStore,
  ) {}

  ticksSkipped(count: number): void {
    this.metrics.ticksSkipped('trace', count);
  }

  plansOf(target: TargetConfig): readonly ProbePlan[] {
    return target.trace ? [{ id: '', interval: target.trace.interval }] : [];
  }

  open(subject: ProbeSubject): ProbeRunner {
    const settings = subject.target.trace;
    if (!settings)
      throw new ExporterError('ERR_INTERNAL', `target ${subject.target.name} does not enable trace`);
    this.metrics.probing(subject.target.name, this.name);
    const series = this.metrics.trace.series(
      { ...seriesAttributes(subject), protocol: settings.protocol },
      settings.maxHopAddresses,
    );
    const feed = this.status?.feed(statusTarget(subject.target), subject.address);
    const abort = new AbortController();
    // Flows keep their source ports from round to round, so a load balancer shows each flow the
    // same branch every time and only a real change of the paths counts as one. With the MDA the
    // ports kept are those of the flows that found each responder and link first (the result's
    // sourcePorts): every branch found stays observed, and new flows explore beyond them.
    let sourcePorts: number[] | undefined;
    /** MDA (UDP, TCP): the answers the next round counts again after re-checking part of them. */
    let evidence: MdaEvidence | undefined;
    /** Hops to the destination in the latest round that reached it: probes go at most one TTL past it. */
    let pathLength: number | undefined;
    let firstRound = true;
    /** The previous round's probes and known paths: what a paced round spreads and expects (see pacing). */
    let previous: Pick<TraceResult, 'probes' | 'knownPaths' | 'skipped'> | undefined;
    // What path changes and `paths` read: the responders seen across rounds, which leave only on
    // evidence at the configured confidence (fixed flows: the default's), not on a round's silence.
    const watch = new PathWatch(settings.confidence ?? DEFAULT_CONFIDENCE);
    const forward = new ForwardLossWindow();
    return {
      run: async () => {
        const started = performance.now();
        try {
          const flows =
            settings.flows !== undefined
              ? { flows: settings.flows, probes: settings.probes }
              : {
                  confidence: firstRound ? firstRoundConfidence(settings.confidence) : settings.confidence,
                  maxFlows: settings.maxFlows,
                };
          const result = await this.tracer.trace({
            addr: subject.address,
            protocol: settings.protocol,
            ...(settings.protocol !== 'icmp' && { port: settings.port }),
            ...flows,
            maxHops: settings.maxHops,
            timeout: settings.timeout,
            maxSilentHops: settings.maxSilentHops,
            ...(sourcePorts && { sourcePorts }),
            ...(evidence && settings.flows === undefined && { evidence }),
            ...(pathLength !== undefined && { pathLength }),
            ...(settings.flows === undefined && settings.pacing > 0 && pacedRound(settings, previous)),
            signal: abort.signal,
          });
          if (abort.signal.aborted) return;
          firstRound = false;
          sourcePorts = result.sourcePorts;
          evidence = result.evidence;
          previous = result;
          pathLength = result.hopsToDestination ?? pathLength;
          const { changed } = watch.observe(result);
          const round = traceRound(result, watch, forward, changed, pathLength);
          series.record(round);
          // The page shows what the metrics say: the watch's verdict and the window's forwarding loss.
          feed?.trace(result, {
            pathChanged: changed,
            forwardLoss: new Map(round.hops.map((hop) => [hop.ttl, hop.forwardLoss])),
          });
          if (!result.reached) this.metrics.probeError(subject.target.name, 'trace', 'unreached');
          if (result.hops.some((hop) => hop.sendFailures > 0))
            this.metrics.probeError(subject.target.name, 'trace', 'send');
          const late = result.hops.reduce((sum, hop) => sum + hop.late, 0);
          if (late > 0) this.metrics.lateReplies('trace', late);
        } catch (error) {
          if (abort.signal.aborted) return;
          const reason = traceErrorReason(error);
          this.metrics.probeError(subject.target.name, 'trace', reason);
          feed?.failed('trace', reason, (error as Error).message);
          series.record({
            hops: [],
            reached: false,
            paths: watch.paths,
            pathChanged: false,
            duration: (performance.now() - started) / 1000,
            probes: 0,
          });
          previous = undefined;
          // Its answers would age by rounds that did not happen: the next round explores afresh.
          evidence = undefined;
        }
      },
      close: () => {
        abort.abort();
        series.remove();
      },
    };
  }
}

/**
 * The MDA's first round of a target explores at 1 − (1 − confidence)³ (0.999875 for 0.95: 14 flows
 * where 6 would do at a hop of one router, about twice a round's probes): later rounds replay the
 * flows that found each responder and link (the result's sourcePorts), so what the first round finds
 * is seen in every round after it, and a branch it missed would wait for fresh flows to find it.
 * Later rounds run at the configured confidence.
 */
export function firstRoundConfidence(confidence: number): number {
  return 1 - (1 - confidence) ** 3;
}

/** The confidence path changes are judged at when the target's trace has fixed flows (no MDA confidence). */
const DEFAULT_CONFIDENCE = 0.95;

/**
 * The pacing of an MDA round: its probes spread over `pacing` × interval (but leaving the last probes'
 * timeout within the interval, so that a round ends before the next is due; none left: no pacing), as many expected as the
 * previous round sent; the previous round's witness flows replayed first and their routers expected.
 */
function pacedRound(
  settings: Pick<TraceProbeConfig, 'pacing' | 'interval' | 'timeout'>,
  previous: Pick<TraceResult, 'probes' | 'knownPaths' | 'skipped'> | undefined,
): Partial<Pick<TraceRequest, 'pacing' | 'knownPaths'>> {
  const window = Math.max(
    0,
    Math.min(settings.pacing * settings.interval, settings.interval - settings.timeout),
  );
  const expected = previous ? previous.probes + (previous.skipped ?? 0) : 0;
  // No time to spread over (timeout = interval): the round goes unpaced, in bursts.
  if (window <= 0) return {};
  return {
    // What the previous round meant to send: a round the budget starved would spread the next thinly.
    pacing: { window, ...(expected > 0 && { probes: expected }) },
    ...(previous?.knownPaths && { knownPaths: previous.knownPaths }),
  };
}

/**
 * What the metrics need of a trace result. Hops past the destination's where no router answered
 * (fixed flows whose destination answer was lost probe on) are not hops of the path: no series.
 * `watch` (which has read the result) gives the paths, `pathChanged` what it said of the result; `forward` takes the
 * round's hops into its window and gives each hop's forwarding loss (NaN: unknown); `pathLength` is the
 * hops to the destination last seen, this round's or an earlier one's.
 */
export function traceRound(
  result: TraceResult,
  watch: PathWatch,
  forward: ForwardLossWindow,
  pathChanged: boolean,
  pathLength?: number,
): TraceRound {
  const end = result.hopsToDestination ?? Infinity;
  const hops = result.hops.filter(
    (hop) => hop.ttl <= end || hop.responders.some((responder) => responder.kind === 'hop'),
  );
  const forwardByTtl = new Map(forward.add(hops.map(hopFigure)).map((loss) => [loss.ttl, loss]));
  return {
    hops: hops.map((hop) => ({
      ttl: hop.ttl,
      sent: hop.sent,
      received: hop.received,
      forwardLoss: forwardByTtl.get(hop.ttl)?.ratio ?? NaN,
      forwardLossProbes: forwardByTtl.get(hop.ttl)?.probes ?? 0,
      responders: hop.responders.map((responder) => ({ address: responder.address, rtts: responder.rtts })),
    })),
    reached: result.reached,
    ...(result.hopsToDestination !== undefined && { hopsToDestination: result.hopsToDestination }),
    ...(pathLength !== undefined && { pathLength }),
    paths: watch.paths,
    pathChanged,
    duration: result.duration,
    probes: result.probes,
    ...(result.skipped !== undefined && { skipped: result.skipped }),
  };
}
