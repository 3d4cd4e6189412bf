import type { Attributes } from '@opentelemetry/api';
import type { HistogramSink } from './metric-store';
import { METRIC } from './names';
import type { WindowObserver } from './knock-metrics';
import type { Emit, ObservedSpec } from './observed';

/** One hop of a trace round, as the trace metrics need it. */
export interface TraceHopOutcome {
  /** TTL / hop limit of the probes of this hop. */
  readonly ttl: number;
  readonly sent: number;
  readonly received: number;
  /**
   * Forwarding loss up to this hop over the prober's window of probes (probes/trace/loss); NaN when
   * it cannot be told from rate limiting or too few probes were counted yet.
   */
  readonly forwardLoss: number;
  /** Probes the forwardLoss figure counted in the window (0 when unknown): what its confidence interval needs. */
  readonly forwardLossProbes: number;
  /** Every address that answered at this hop, with the RTTs (seconds) of its answers. */
  readonly responders: ReadonlyArray<{ readonly address: string; readonly rtts: readonly number[] }>;
}

/** What the trace metrics need of one trace round. */
export interface TraceRound {
  readonly hops: readonly TraceHopOutcome[];
  readonly reached: boolean;
  /** TTL at which the destination answered, when it did. */
  readonly hopsToDestination?: number;
  /**
   * Hops of the path as last seen reaching the destination (this round or one before). A hop up to it
   * has its series even before any probe of it was answered or sent (the routers' budget can leave a
   * first hop shared by many targets unprobed for many rounds): hop loss NaN until then, forwarding
   * loss the window's figure, which reads the hops behind it.
   */
  readonly pathLength?: number;
  /** Distinct paths through the responders known across rounds (PathWatch). */
  readonly paths: number;
  /** Whether a responder appeared or went this round (PathWatch): a path change. */
  readonly pathChanged: boolean;
  /** Seconds the round took. */
  readonly duration: number;
  /** Probes the round sent, those its hops leave out included. */
  readonly probes: number;
  /** Probes the round did not send: the routers' budget had no token for them within its pacing window. */
  readonly skipped?: number;
}

export interface TraceSeries {
  record(round: TraceRound): void;
  remove(): void;
}

type Observation = readonly [Attributes, number];

interface LiveSeries {
  readonly attributes: Attributes;
  readonly maxHopAddresses: number;
  rounds: number;
  probes: number;
  skipped: number;
  /** The skipped counter's attributes: the series' and reason="budget". */
  readonly skippedAttributes: Attributes;
  pathChanges: number;
  /** Gauge values of the latest round, with their attributes built once per round, not per scrape. */
  hopRtts: Observation[];
  hopLosses: Observation[];
  /**
   * Each hop's response loss from the last round that sent it probes: a round whose budget held back
   * every probe of a hop still on the path (pacing) leaves its loss as it was, not its series gone.
   */
  lastHopLoss: Map<number, number>;
  hopForwardLosses: Observation[];
  hopForwardLossProbes: Observation[];
  /**
   * The label set of each hop's probe RTT histogram, one object per TTL for as long as the hop is on
   * the path: the histogram keeps a series per label-set object, so a new object would be a new series.
   */
  probeRttAttributes: Map<number, Attributes>;
  summary: { hops?: number; reached: number; paths: number; duration: number } | undefined;
}

const SPEC = {
  hopRtt: {
    name: METRIC.traceHopRtt,
    description: 'Mean RTT of one responder at one hop in the latest trace round.',
    unit: 's',
    kind: 'gauge',
  },
  hopLoss: {
    name: METRIC.traceHopLoss,
    description:
      'Fraction of the probes of one hop that got no answer, latest round (rate-limited answers included).',
    kind: 'gauge',
  },
  hopForwardLoss: {
    name: METRIC.traceHopForwardLoss,
    description:
      'Loss of the traffic up to one hop over its last probes (up to 100, 10 minutes): the least loss there or behind it; NaN when only rate-limitable ICMP errors showed loss.',
    kind: 'gauge',
  },
  hopForwardLossProbes: {
    name: METRIC.traceHopForwardLossProbes,
    description: 'Probes the forward loss ratio of one hop was read from (0 while it is unknown).',
    kind: 'gauge',
  },
  hops: {
    name: METRIC.traceHops,
    description: 'Hops to the destination; when it was not reached, the last hop that answered.',
    kind: 'gauge',
  },
  reached: {
    name: METRIC.traceReached,
    description: 'Whether the latest trace round reached the destination.',
    kind: 'gauge',
  },
  paths: {
    name: METRIC.tracePaths,
    description: 'Distinct paths through the responders the trace rounds found and have not seen go.',
    kind: 'gauge',
  },
  duration: {
    name: METRIC.traceDuration,
    description: 'Time the latest trace round took.',
    unit: 's',
    kind: 'gauge',
  },
  pathChanges: {
    name: METRIC.tracePathChanges,
    description: 'Rounds in which a responder appeared, or went with evidence at the trace confidence.',
    kind: 'counter',
  },
  rounds: { name: METRIC.traceRounds, description: 'Trace rounds completed.', kind: 'counter' },
  probes: {
    name: METRIC.traceProbes,
    description: 'Probes sent by trace rounds (every hop, the MDA adding flows, TTLs past the destination).',
    kind: 'counter',
  },
  skipped: {
    name: METRIC.traceProbesSkipped,
    description:
      'Probes trace rounds did not send: reason="budget", the routers had no ICMP error left for them in the round.',
    kind: 'counter',
  },
} as const satisfies Record<string, ObservedSpec>;

/**
 * The trace metrics. Every gauge reports the latest round only: a hop or responder absent from
 * it is absent from the next scrape, so paths that moved leave no stale series behind. The probe RTT
 * histogram accumulates across rounds, per hop, until a round shows the hop off the path.
 */
export class TraceMetrics {
  static readonly specs: readonly ObservedSpec[] = Object.values(SPEC);
  private readonly live = new Set<LiveSeries>();

  constructor(
    /**
     * netdiag_trace_probe_rtt_seconds: every answered probe's RTT, per hop (the hop's responders
     * together, the destination included). Native buckets only, no classic ones: classic buckets
     * would be 20 series per hop and target in the text format, where the hop RTT gauge already gives
     * each responder's mean.
     */
    private readonly probeRtt: HistogramSink,
    /** Called when a round had more distinct responders than `max_hop_addresses` (the rest are not exported). */
    private readonly onHopAddressLimit: (attributes: Attributes) => void,
  ) {}

  /** `observe` is told each series' latest round: whether there is one, and whether it reached the destination. */
  collect(emit: Emit, observe: WindowObserver = () => {}): void {
    for (const series of this.live) {
      const { attributes, summary } = series;
      emit(SPEC.rounds, series.rounds, attributes);
      emit(SPEC.probes, series.probes, attributes);
      emit(SPEC.skipped, series.skipped, series.skippedAttributes);
      emit(SPEC.pathChanges, series.pathChanges, attributes);
      if (!summary) continue;
      observe(attributes, true, summary.reached === 1);
      for (const [hopAttributes, value] of series.hopRtts) emit(SPEC.hopRtt, value, hopAttributes);
      for (const [hopAttributes, value] of series.hopLosses) emit(SPEC.hopLoss, value, hopAttributes);
      for (const [hopAttributes, value] of series.hopForwardLosses)
        emit(SPEC.hopForwardLoss, value, hopAttributes);
      for (const [hopAttributes, value] of series.hopForwardLossProbes)
        emit(SPEC.hopForwardLossProbes, value, hopAttributes);
      if (summary.hops !== undefined) emit(SPEC.hops, summary.hops, attributes);
      emit(SPEC.reached, summary.reached, attributes);
      emit(SPEC.paths, summary.paths, attributes);
      emit(SPEC.duration, summary.duration, attributes);
    }
  }

  /** `attributes`: target, address, family, protocol and static labels. */
  series(attributes: Attributes, maxHopAddresses: number): TraceSeries {
    const series: LiveSeries = {
      attributes,
      maxHopAddresses,
      rounds: 0,
      probes: 0,
      skipped: 0,
      skippedAttributes: { ...attributes, reason: 'budget' },
      pathChanges: 0,
      hopRtts: [],
      hopLosses: [],
      lastHopLoss: new Map(),
      hopForwardLosses: [],
      hopForwardLossProbes: [],
      probeRttAttributes: new Map(),
      summary: undefined,
    };
    this.live.add(series);
    return {
      record: (round) => this.record(series, round),
      remove: () => {
        this.live.delete(series);
        for (const hopAttributes of series.probeRttAttributes.values()) this.probeRtt.forget(hopAttributes);
        series.probeRttAttributes.clear();
      },
    };
  }

  clear(): void {
    this.live.clear();
    this.probeRtt.close();
  }

  private record(series: LiveSeries, round: TraceRound): void {
    if (!this.live.has(series)) return; // ended after its series was removed
    series.rounds++;
    series.probes += round.probes;
    series.skipped += round.skipped ?? 0;
    if (round.pathChanged) series.pathChanges++;
    const hopRtts: Observation[] = [];
    const hopLosses: Observation[] = [];
    const hopForwardLosses: Observation[] = [];
    const hopForwardLossProbes: Observation[] = [];
    const seen = new Set<string>();
    let capped = false;
    let lastAnswered: number | undefined;
    for (const hop of round.hops) {
      const hopLabel = String(hop.ttl);
      if (hop.sent > 0) series.lastHopLoss.set(hop.ttl, 1 - hop.received / hop.sent);
      const loss = series.lastHopLoss.get(hop.ttl);
      const onKnownPath = round.pathLength !== undefined && hop.ttl <= round.pathLength;
      if (loss !== undefined || onKnownPath) {
        const hopAttributes = { ...series.attributes, hop: hopLabel };
        hopLosses.push([hopAttributes, loss ?? NaN]);
        // A window figure: it stands whether or not this round sent the hop probes.
        hopForwardLosses.push([hopAttributes, hop.forwardLoss]);
        hopForwardLossProbes.push([hopAttributes, hop.forwardLossProbes]);
      }
      for (const responder of hop.responders) {
        if (responder.rtts.length === 0) continue;
        lastAnswered = hop.ttl;
        // Every answer, whatever the address cap below leaves out of the gauges: the histogram is per hop.
        const probeRttAttributes = this.probeRttAttributesOf(series, hop.ttl, hopLabel);
        for (const rtt of responder.rtts) this.probeRtt.record(rtt, probeRttAttributes);
        if (!seen.has(responder.address) && seen.size >= series.maxHopAddresses) {
          capped = true;
          continue;
        }
        seen.add(responder.address);
        const hopAttributes = { ...series.attributes, hop: hopLabel, hop_address: responder.address };
        hopRtts.push([hopAttributes, mean(responder.rtts)]);
      }
    }
    series.hopRtts = hopRtts;
    series.hopLosses = hopLosses;
    // Hops no longer on the path forget their last loss with their series.
    const onPath = new Set(round.hops.map((hop) => hop.ttl));
    for (const ttl of series.lastHopLoss.keys()) if (!onPath.has(ttl)) series.lastHopLoss.delete(ttl);
    this.forgetProbeRttsOffPath(series, round, onPath);
    series.hopForwardLosses = hopForwardLosses;
    series.hopForwardLossProbes = hopForwardLossProbes;
    const hops = round.reached ? round.hopsToDestination : lastAnswered;
    series.summary = {
      ...(hops !== undefined && { hops }),
      reached: round.reached ? 1 : 0,
      paths: round.paths,
      duration: round.duration,
    };
    if (capped) this.onHopAddressLimit(series.attributes);
  }

  private probeRttAttributesOf(series: LiveSeries, ttl: number, hopLabel: string): Attributes {
    let attributes = series.probeRttAttributes.get(ttl);
    if (!attributes) {
      attributes = { ...series.attributes, hop: hopLabel };
      series.probeRttAttributes.set(ttl, attributes);
    }
    return attributes;
  }

  /**
   * A hop's RTT histogram goes once a round shows the hop off the path: neither among the round's
   * hops nor within the path length last seen (a path that got shorter, hops past the destination).
   * A round without hops (the trace failed) says nothing of the path and keeps them: a histogram
   * dropped and made again is a counter reset.
   */
  private forgetProbeRttsOffPath(series: LiveSeries, round: TraceRound, onPath: ReadonlySet<number>): void {
    if (round.hops.length === 0) return;
    for (const [ttl, attributes] of series.probeRttAttributes) {
      if (onPath.has(ttl) || (round.pathLength !== undefined && ttl <= round.pathLength)) continue;
      this.probeRtt.forget(attributes);
      series.probeRttAttributes.delete(ttl);
    }
  }
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}
