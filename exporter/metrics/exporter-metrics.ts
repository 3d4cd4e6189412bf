import type { Attributes, Meter } from '@opentelemetry/api';
import type { IcmpSocketStats, PingResult } from '../../probes';
import { EventLoopDelay } from './event-loop-delay';
import { KnockMetrics } from './knock-metrics';
import { createHistogramSink, createObserved, type HistogramSink, type MetricStore } from './metric-store';
import { METRIC } from './names';
import type { NativeHistogramOptions } from './native-histogram';
import type { Emit, ObservedBinding, ObservedSpec } from './observed';
import { TargetErrors } from './target-errors';
import { expectedResults, RollingWindow, type WindowReading } from './rolling-window';
import { TargetUp, observeState, type TargetState } from './target-up';
import { TraceMetrics } from './trace-metrics';

export type ProbeName = 'ping' | 'knock' | 'trace';

/** Labels of a series: target, address, family and the target's static labels. */
export type SeriesLabels = Readonly<Record<string, string>>;

export interface ExporterMetricsOptions {
  /** Seconds; the buckets of every RTT histogram. */
  histogramBuckets: readonly number[];
  /**
   * Native buckets in the RTT histograms next to the classic ones; only with `store` (the SDK's
   * instruments take their aggregation from the MeterProvider's views: netdiagViews). Default none.
   */
  nativeHistograms?: NativeHistogramOptions | undefined;
  /**
   * Where the metrics are kept: the standalone exporter's own store (series removable, cheap to
   * collect), or by default instruments of the meter (any MeterProvider).
   */
  store?: MetricStore;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
  /** The shared sockets whose packet statistics are exported, read at each collection. */
  sockets?: () => SocketsSnapshot;
}

/** What is read of the raw sockets at each collection. */
export interface SocketsSnapshot {
  /** Every shared raw socket open now. */
  readonly sockets: ReadonlyArray<SocketStatsSource>;
  /** The kernel's receive drops per (family, protocol); absent when they cannot be read. */
  readonly kernelDrops?: ReadonlyArray<KernelDropsSource>;
}

/** Datagrams the kernel dropped for the process's raw sockets of one (family, protocol), a total. */
export interface KernelDropsSource {
  readonly family: 4 | 6;
  readonly protocol: string;
  readonly drops: number;
}

/** One shared raw socket's receive statistics; `protocol` defaults to "icmp". */
export interface SocketStatsSource {
  readonly family: 4 | 6;
  readonly protocol?: 'icmp' | 'tcp' | 'udp';
  readonly stats: IcmpSocketStats;
  /** Probes waiting for their answer on this socket now. */
  readonly pending?: number;
  /** Where its RTTs' times come from: the kernel's packet timestamps, or the clock read in user space. */
  readonly timestamps?: 'kernel' | 'user';
  /** With kernel timestamps: packets timed by the process clock because their stamp did not come. */
  readonly stampsMissed?: { readonly transmit: number; readonly receive: number };
}

/** Where one target's ping results go: its histogram, counters and window gauges. */
export interface PingSeries {
  record(result: PingResult): void;
  /** Stops reporting every series of this (target, address), histogram included where possible. */
  remove(): void;
}

const SPEC = {
  pingSent: { name: METRIC.pingSent, description: 'ICMP echo requests sent.', kind: 'counter' },
  pingReceived: {
    name: METRIC.pingReceived,
    description: 'ICMP echo replies received in time.',
    kind: 'counter',
  },
  pingLoss: {
    name: METRIC.pingLoss,
    description: 'Fraction of ICMP echo requests lost over the window (ping.window).',
    kind: 'gauge',
  },
  pingJitter: {
    name: METRIC.pingJitter,
    description: 'Mean absolute difference of consecutive RTTs over the window (ping.window).',
    unit: 's',
    kind: 'gauge',
  },
  probeErrors: {
    name: METRIC.probeErrors,
    description:
      'Probes that failed, by probe and reason (timeout, unreachable, send, resolve, start; trace: unreached, hop_address_limit).',
    kind: 'counter',
  },
  targets: { name: METRIC.targets, description: 'Targets with the probe enabled.', kind: 'gauge' },
  reloadSuccessful: {
    name: METRIC.reloadSuccessful,
    description: 'Whether the last configuration load succeeded.',
    kind: 'gauge',
  },
  reloadTimestamp: {
    name: METRIC.reloadTimestamp,
    description: 'Unix time of the last successful configuration load.',
    unit: 's',
    kind: 'gauge',
  },
  eventLoopDelay: {
    name: METRIC.eventLoopDelay,
    description: "The exporter's event loop delay since the last scrape: its own noise floor.",
    unit: 's',
    kind: 'gauge',
  },
  socketPending: {
    name: METRIC.socketPending,
    description: 'Probes waiting for an answer on each raw socket: flat over time, or something leaks.',
    kind: 'gauge',
  },
  socketKernelDrops: {
    name: METRIC.socketKernelDrops,
    description:
      "Datagrams the kernel dropped for the exporter's raw sockets, by family and protocol: a full receive buffer (a flood, or a stalled exporter).",
    kind: 'counter',
  },
  ticksSkipped: {
    name: METRIC.probeTicksSkipped,
    description:
      'Scheduled probe runs skipped, by probe: the previous run of the job or the whole process was still busy a full interval later.',
    kind: 'counter',
  },
  lateReplies: {
    name: METRIC.probeLateReplies,
    description:
      'Answers read after their timeout, by probe: a stalled exporter; each counts as a loss (reason timeout), not an RTT.',
    kind: 'counter',
  },
  socketTimestamps: {
    name: METRIC.socketTimestamps,
    description:
      "1 per raw socket kind open: where its probes' send and receive times come from (source: kernel timestamps, or user: the clock read around the system calls).",
    kind: 'gauge',
  },
  socketTimestampsMissed: {
    name: METRIC.socketTimestampsMissed,
    description:
      'Packets of the sockets with kernel timestamps that were timed by the process clock instead, by direction: a transmit stamp asked for that never came (the packet waited in the kernel over 5 s, or was dropped while waiting, as when address resolution fails), a datagram read without its receive stamp. Such RTTs may be off by the wait.',
    kind: 'counter',
  },
  socketPackets: {
    name: METRIC.socketPackets,
    description:
      'Packets read from the raw sockets, by protocol and outcome (matched, foreign, mismatched, malformed).',
    kind: 'counter',
  },
} as const satisfies Record<string, ObservedSpec>;

/**
 * Every metric of the exporter. The only place that talks to OpenTelemetry: the scheduler hands
 * results here, and nothing else knows metric names. Apart from the RTT histograms, every value is
 * kept here and read at collection time: no SDK call per probe.
 */
export class ExporterMetrics {
  private readonly now: () => number;
  private readonly rtt: HistogramSink;
  /** Per target, per probe and reason: counted here so a removed target's series go with it. */
  private readonly errorCounts = new Map<string, TargetErrors>();
  /** The knock metrics; `knock.series()` gives one (target, address, port) its series. */
  readonly knock: KnockMetrics;
  /** The trace metrics; `trace.series()` gives one (target, address) its series. */
  readonly trace: TraceMetrics;
  private readonly livePingSeries = new Set<PingSeriesImpl>();
  private readonly targetCounts = new Map<ProbeName, number>();
  /** Per probe kind: not per target (10,000 targets × 3 probes more series), a stall hits every job alike. */
  private readonly stalls = new Map<ProbeName, { ticksSkipped: number; lateReplies: number }>();
  private readonly targetUp = new TargetUp();
  private readonly eventLoop = new EventLoopDelay();
  private readonly binding: ObservedBinding;
  private reload = { successful: 0, timestamp: 0 };
  /** Each ping window's loss and jitter, read into this one object at each collection. */
  private readonly reading: WindowReading = { loss: undefined, jitter: undefined };
  private closed = false;

  constructor(
    meter: Meter,
    private readonly options: ExporterMetricsOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    const boundaries = [...options.histogramBuckets];
    const histogram = (name: string, description: string): HistogramSink =>
      createHistogramSink(meter, options.store, {
        name,
        description,
        unit: 's',
        boundaries,
        native: options.nativeHistograms,
      });
    this.rtt = histogram(METRIC.pingRtt, 'Round-trip time of answered ICMP echo requests.');
    const failure = (probe: ProbeName) => (attributes: Attributes, reason: string) =>
      this.probeError(attributes.target as string, probe, reason);
    this.knock = new KnockMetrics(
      histogram(METRIC.knockRtt, 'Round-trip time of answered TCP SYNs (SYN-ACK or RST).'),
      this.now,
      failure('knock'),
      () => this.lateReplies('knock', 1),
    );
    this.trace = new TraceMetrics(
      createHistogramSink(meter, options.store, {
        name: METRIC.traceProbeRtt,
        description:
          'Round-trip time of answered trace probes, per hop (every responder there, the destination included).',
        unit: 's',
        // Native buckets only (TraceMetrics says why): the text format shows +Inf, _count and _sum.
        boundaries: [],
        native: options.nativeHistograms,
      }),
      (attributes) => failure('trace')(attributes, 'hop_address_limit'),
    );
    this.binding = createObserved(
      meter,
      options.store,
      [...Object.values(SPEC), ...KnockMetrics.specs, ...TraceMetrics.specs, ...TargetUp.specs],
      (emit) => this.collect(emit),
    );
  }

  /** Every observed value, read at collection time (each scrape). */
  private collect(emit: Emit): void {
    const now = this.now();
    for (const series of this.livePingSeries) {
      const { attributes } = series;
      emit(SPEC.pingSent, series.sent, attributes);
      emit(SPEC.pingReceived, series.received, attributes);
      const { reading } = this;
      series.window.read(now, reading);
      const ratio = reading.loss;
      if (ratio !== undefined) {
        emit(SPEC.pingLoss, ratio, attributes);
        let up = series.up;
        if (up === undefined || up.stale) up = series.up = this.targetUp.state(attributes.target as string);
        if (up !== undefined) observeState(up, true, ratio < 1);
      }
      if (reading.jitter !== undefined) emit(SPEC.pingJitter, reading.jitter, attributes);
    }
    this.knock.collect(emit, now, this.observeWindow);
    this.trace.collect(emit, this.observeWindow);
    this.targetUp.collect(emit);
    const emitError = (count: number, attributes: Attributes): void =>
      emit(SPEC.probeErrors, count, attributes);
    for (const errors of this.errorCounts.values()) errors.collect(emitError);
    for (const [probe, count] of this.targetCounts) emit(SPEC.targets, count, { probe });
    for (const [probe, { ticksSkipped, lateReplies }] of this.stalls) {
      emit(SPEC.ticksSkipped, ticksSkipped, { probe });
      emit(SPEC.lateReplies, lateReplies, { probe });
    }
    emit(SPEC.reloadSuccessful, this.reload.successful, {});
    emit(SPEC.reloadTimestamp, this.reload.timestamp, {});
    const loop = this.eventLoop.take();
    if (loop) {
      emit(SPEC.eventLoopDelay, loop.p50, { stat: 'p50' });
      emit(SPEC.eventLoopDelay, loop.p99, { stat: 'p99' });
      emit(SPEC.eventLoopDelay, loop.max, { stat: 'max' });
    }
    const snapshot = this.options.sockets?.();
    for (const { family, protocol, drops } of snapshot?.kernelDrops ?? []) {
      emit(SPEC.socketKernelDrops, drops, { family: family === 4 ? 'ipv4' : 'ipv6', protocol });
    }
    for (const { family, protocol, packets, pending, timestamps, missed } of socketKinds(
      snapshot?.sockets ?? [],
    )) {
      for (const outcome of SOCKET_OUTCOMES)
        emit(SPEC.socketPackets, packets[outcome], { family, protocol, outcome });
      if (pending !== undefined) emit(SPEC.socketPending, pending, { family, protocol });
      for (const source of timestamps) emit(SPEC.socketTimestamps, 1, { family, protocol, source });
      if (missed) {
        emit(SPEC.socketTimestampsMissed, missed.transmit, { family, protocol, direction: 'transmit' });
        emit(SPEC.socketTimestampsMissed, missed.receive, { family, protocol, direction: 'receive' });
      }
    }
  }

  /**
   * A series for one (target, address) pair; `attributes` carries target, address, family and static
   * labels. `intervalSeconds`, the probe's interval, sizes the window's ring once (see RollingWindow).
   */
  pingSeries(attributes: SeriesLabels, windowSeconds: number, intervalSeconds?: number): PingSeries {
    const window = new RollingWindow(windowSeconds * 1000, expectedResults(windowSeconds, intervalSeconds));
    const series = new PingSeriesImpl(this, attributes, window);
    this.livePingSeries.add(series);
    return series;
  }

  /** @internal */
  recordPing(series: PingSeriesImpl, result: PingResult): void {
    // A probe in flight when its series was removed settles just after: recording it would bring
    // back the removed target's error series.
    if (series.removed) return;
    series.sent++;
    series.window.add(this.now(), result.rtt);
    if (result.rtt !== null) {
      series.received++;
      this.rtt.record(result.rtt, series.attributes);
    } else {
      this.probeError(series.attributes.target as string, 'ping', result.failure?.reason ?? 'timeout');
      if (result.failure?.reason === 'timeout' && result.failure.lateRtt !== undefined)
        this.lateReplies('ping', 1);
    }
  }

  /** @internal */
  removeSeries(series: PingSeriesImpl): void {
    series.removed = true;
    this.livePingSeries.delete(series);
    this.rtt.forget(series.attributes);
  }

  probeError(target: string, probe: ProbeName, reason: string): void {
    this.errorsOf(target).count(probe, reason);
  }

  /**
   * The target runs `probe` (a prober opened it on an address): its error counters of every reason
   * the probe reports (PROBE_ERROR_REASONS) are exported from now on, at 0 until they count.
   */
  probing(target: string, probe: ProbeName): void {
    this.errorsOf(target).probing(probe);
  }

  private errorsOf(target: string): TargetErrors {
    let errors = this.errorCounts.get(target);
    if (!errors) this.errorCounts.set(target, (errors = new TargetErrors(target)));
    return errors;
  }

  setTargets(probe: ProbeName, count: number): void {
    this.targetCounts.set(probe, count);
    // The stall counters of a probe that runs are there from the start, at 0.
    if (count > 0) this.stallsOf(probe);
  }

  /** Ticks of `probe`'s jobs the scheduler skipped (see PeriodicJob). */
  ticksSkipped(probe: ProbeName, count: number): void {
    this.stallsOf(probe).ticksSkipped += count;
  }

  /** Answers of `probe` read after their timeout, recorded as losses. */
  lateReplies(probe: ProbeName, count: number): void {
    this.stallsOf(probe).lateReplies += count;
  }

  private stallsOf(probe: ProbeName): { ticksSkipped: number; lateReplies: number } {
    let stalls = this.stalls.get(probe);
    if (!stalls) this.stalls.set(probe, (stalls = { ticksSkipped: 0, lateReplies: 0 }));
    return stalls;
  }

  /** `attributes`: the target's name and static labels, those of its up and addresses gauges. */
  setAddresses(target: string, attributes: SeriesLabels, count: number): void {
    this.targetUp.setAddresses(target, attributes, count);
  }

  /** Drops the per-target series that belong to no probe series (addresses, up, errors): a removed target. */
  forgetTarget(target: string): void {
    this.errorCounts.delete(target);
    this.targetUp.forget(target);
  }

  configLoaded(successful: boolean, unixSeconds: number): void {
    this.reload = {
      successful: successful ? 1 : 0,
      timestamp: successful ? unixSeconds : this.reload.timestamp,
    };
  }

  /** Stops reporting. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.binding.detach();
    this.rtt.close();
    this.eventLoop.close();
    for (const series of this.livePingSeries) series.removed = true;
    this.livePingSeries.clear();
    this.knock.clear();
    this.trace.clear();
    this.targetUp.clear();
  }

  /** A knock or trace window's outcome, for its target's up gauge. */
  private readonly observeWindow = (attributes: Attributes, results: boolean, answered: boolean): void =>
    this.targetUp.observe(attributes.target as string, results, answered);
}

class PingSeriesImpl implements PingSeries {
  /** From 0 at creation, so a target that never answers still has a loss. */
  sent = 0;
  received = 0;
  removed = false;
  /** Its target's up state, found once (TargetUp.state) and kept while it is not stale. */
  up: TargetState | undefined = undefined;

  constructor(
    private readonly metrics: ExporterMetrics,
    readonly attributes: Attributes,
    readonly window: RollingWindow,
  ) {}

  record(result: PingResult): void {
    this.metrics.recordPing(this, result);
  }

  remove(): void {
    this.metrics.removeSeries(this);
  }
}

const SOCKET_OUTCOMES = ['matched', 'foreign', 'mismatched', 'malformed'] as const;

/** The sockets of one (family, protocol), whose series they share. */
interface SocketKind {
  readonly family: 'ipv4' | 'ipv6';
  readonly protocol: string;
  readonly packets: Record<(typeof SOCKET_OUTCOMES)[number], number>;
  pending: number | undefined;
  readonly timestamps: Set<'kernel' | 'user'>;
  /** Absent when no socket of the kind stamps in the kernel: the series would always read 0. */
  missed: { transmit: number; receive: number } | undefined;
}

/**
 * Sums the sockets of each (family, protocol): sockets bound to other sources or devices (while a
 * reload changes `bind`) would otherwise write the same series twice, the last one winning.
 */
function socketKinds(sockets: ReadonlyArray<SocketStatsSource>): Iterable<SocketKind> {
  const kinds = new Map<string, SocketKind>();
  for (const socket of sockets) {
    const family = socket.family === 4 ? 'ipv4' : 'ipv6';
    const protocol = socket.protocol ?? 'icmp';
    const key = `${family}|${protocol}`;
    let kind = kinds.get(key);
    if (!kind) {
      const packets = { matched: 0, foreign: 0, mismatched: 0, malformed: 0 };
      kinds.set(
        key,
        (kind = { family, protocol, packets, pending: undefined, timestamps: new Set(), missed: undefined }),
      );
    }
    for (const outcome of SOCKET_OUTCOMES) kind.packets[outcome] += socket.stats[outcome];
    if (socket.pending !== undefined) kind.pending = (kind.pending ?? 0) + socket.pending;
    if (socket.timestamps !== undefined) kind.timestamps.add(socket.timestamps);
    if (socket.timestamps === 'kernel' && socket.stampsMissed) {
      kind.missed ??= { transmit: 0, receive: 0 };
      kind.missed.transmit += socket.stampsMissed.transmit;
      kind.missed.receive += socket.stampsMissed.receive;
    }
  }
  return kinds.values();
}
