import type {
  Attributes,
  BatchObservableResult,
  Meter,
  ObservableCounter,
  ObservableGauge,
} from '@opentelemetry/api';
import { METRIC } from './names';

/** One hop of a trace round, as the trace metrics need it. */
export interface TraceHopOutcome {
  /** TTL / hop limit of the probes of this hop. */
  readonly ttl: number;
  readonly sent: number;
  readonly received: number;
  /** Every address that answered at this hop, with the RTTs (seconds) of its answers. */
  readonly responders: ReadonlyArray<{ readonly address: string; readonly rtts: readonly number[] }>;
}

/** What the trace metrics need of one trace round. */
export interface TraceRound {
  readonly hops: readonly TraceHopOutcome[];
  readonly reached: boolean;
  /** TTL at which the destination answered, when it did. */
  readonly hopsToDestination?: number;
  /** Distinct paths taken by the round's flows. */
  readonly paths: number;
  /** Identity of the set of paths: equal hashes, same paths. */
  readonly pathSetHash: string;
  /** Seconds the round took. */
  readonly duration: number;
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
  pathChanges: number;
  lastPathSetHash: string | undefined;
  /** Gauge values of the latest round, with their attributes built once per round, not per scrape. */
  hopRtts: Observation[];
  hopLosses: Observation[];
  summary: { hops?: number; reached: number; paths: number; duration: number } | undefined;
}

/**
 * The trace instruments. Every gauge reports the latest round only: a hop or responder absent from
 * it is absent from the next scrape, so paths that moved leave no stale series behind.
 */
export class TraceMetrics {
  private readonly hopRtt: ObservableGauge;
  private readonly hopLoss: ObservableGauge;
  private readonly hops: ObservableGauge;
  private readonly reached: ObservableGauge;
  private readonly paths: ObservableGauge;
  private readonly duration: ObservableGauge;
  private readonly pathChanges: ObservableCounter;
  private readonly rounds: ObservableCounter;
  private readonly live = new Set<LiveSeries>();

  constructor(
    meter: Meter,
    /** Called when a round had more distinct responders than `max_hop_addresses` (the rest are not exported). */
    private readonly onHopAddressLimit: (attributes: Attributes) => void,
  ) {
    const gauge = (name: string, description: string, unit?: string): ObservableGauge =>
      meter.createObservableGauge(name, { description, ...(unit && { unit }) });
    this.hopRtt = gauge(
      METRIC.traceHopRtt,
      'Mean RTT of one responder at one hop in the latest trace round.',
      's',
    );
    this.hopLoss = gauge(
      METRIC.traceHopLoss,
      'Fraction of the probes of one hop that got no answer, latest round.',
    );
    this.hops = gauge(
      METRIC.traceHops,
      'Hops to the destination; when it was not reached, the last hop that answered.',
    );
    this.reached = gauge(METRIC.traceReached, 'Whether the latest trace round reached the destination.');
    this.paths = gauge(METRIC.tracePaths, 'Distinct paths taken by the flows of the latest round.');
    this.duration = gauge(METRIC.traceDuration, 'Time the latest trace round took.', 's');
    this.pathChanges = meter.createObservableCounter(METRIC.tracePathChanges, {
      description: 'Rounds whose set of paths differed from the previous round.',
    });
    this.rounds = meter.createObservableCounter(METRIC.traceRounds, {
      description: 'Trace rounds completed.',
    });
  }

  observables(): Array<ObservableCounter | ObservableGauge> {
    return [
      this.hopRtt,
      this.hopLoss,
      this.hops,
      this.reached,
      this.paths,
      this.duration,
      this.pathChanges,
      this.rounds,
    ];
  }

  collect(result: BatchObservableResult): void {
    for (const series of this.live) {
      const { attributes, summary } = series;
      result.observe(this.rounds, series.rounds, attributes);
      result.observe(this.pathChanges, series.pathChanges, attributes);
      if (!summary) continue;
      for (const [hopAttributes, value] of series.hopRtts) result.observe(this.hopRtt, value, hopAttributes);
      for (const [hopAttributes, value] of series.hopLosses)
        result.observe(this.hopLoss, value, hopAttributes);
      if (summary.hops !== undefined) result.observe(this.hops, summary.hops, attributes);
      result.observe(this.reached, summary.reached, attributes);
      result.observe(this.paths, summary.paths, attributes);
      result.observe(this.duration, summary.duration, attributes);
    }
  }

  /** `attributes`: target, address, family, protocol and static labels. */
  series(attributes: Attributes, maxHopAddresses: number): TraceSeries {
    const series: LiveSeries = {
      attributes,
      maxHopAddresses,
      rounds: 0,
      pathChanges: 0,
      lastPathSetHash: undefined,
      hopRtts: [],
      hopLosses: [],
      summary: undefined,
    };
    this.live.add(series);
    return {
      record: (round) => this.record(series, round),
      remove: () => void this.live.delete(series),
    };
  }

  clear(): void {
    this.live.clear();
  }

  private record(series: LiveSeries, round: TraceRound): void {
    series.rounds++;
    if (series.lastPathSetHash !== undefined && series.lastPathSetHash !== round.pathSetHash)
      series.pathChanges++;
    series.lastPathSetHash = round.pathSetHash;
    const hopRtts: Observation[] = [];
    const hopLosses: Observation[] = [];
    const seen = new Set<string>();
    let capped = false;
    let lastAnswered: number | undefined;
    for (const hop of round.hops) {
      const hopLabel = String(hop.ttl);
      if (hop.sent > 0)
        hopLosses.push([{ ...series.attributes, hop: hopLabel }, 1 - hop.received / hop.sent]);
      for (const responder of hop.responders) {
        if (responder.rtts.length === 0) continue;
        lastAnswered = hop.ttl;
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
    const hops = round.reached ? round.hopsToDestination : lastAnswered;
    series.summary = {
      ...(hops !== undefined && { hops }),
      reached: round.reached ? 1 : 0,
      paths: round.paths,
      duration: round.duration,
    };
    if (capped) this.onHopAddressLimit(series.attributes);
  }
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}
