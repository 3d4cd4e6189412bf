import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type {
  Attributes,
  BatchObservableCallback,
  BatchObservableResult,
  Meter,
  ObservableCounter,
  ObservableGauge,
} from '@opentelemetry/api';
import type { IcmpSocketStats, PingResult } from '../../probes';
import { createHistogramSink, type HistogramSink, type HistogramStore } from './histogram-store';
import { KnockMetrics } from './knock-metrics';
import { RollingWindow } from './rolling-window';
import { METRIC } from './names';
import { TraceMetrics } from './trace-metrics';

export type ProbeName = 'ping' | 'knock' | 'trace';

type GaugeName =
  'loss' | 'jitter' | 'targets' | 'addresses' | 'reloadSuccessful' | 'reloadTimestamp' | 'eventLoopDelay';

/** Labels of a series: target, address, family and the target's static labels. */
export type SeriesLabels = Readonly<Record<string, string>>;

export interface ExporterMetricsOptions {
  /** Seconds; the buckets of every RTT histogram. */
  histogramBuckets: readonly number[];
  /**
   * Where RTT histograms are kept: the standalone exporter's own store (series removable, cheap),
   * or by default histogram instruments of the meter (any MeterProvider).
   */
  histograms?: HistogramStore;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
  /** The shared sockets whose packet statistics are exported. */
  sockets?: () => ReadonlyArray<SocketStatsSource>;
}

/** One shared raw socket's receive statistics; `protocol` defaults to "icmp". */
export interface SocketStatsSource {
  readonly family: 4 | 6;
  readonly protocol?: 'icmp' | 'tcp' | 'udp';
  readonly stats: IcmpSocketStats;
}

/** Where one target's ping results go: its histogram, counters and window gauges. */
export interface PingSeries {
  record(result: PingResult): void;
  /** Stops reporting the window gauges of this series. */
  remove(): void;
}

/**
 * Every instrument of the exporter. The only place that talks to OpenTelemetry: the scheduler
 * hands results here, and nothing else knows metric names.
 */
export class ExporterMetrics {
  private readonly now: () => number;
  private readonly rtt: HistogramSink;
  /** Read from each series' own counts at collection: no SDK call per probe. */
  private readonly sent: ObservableCounter;
  private readonly received: ObservableCounter;
  private readonly errors: ObservableCounter;
  /** Per target, per probe and reason: counted here so a removed target's series go with it. */
  private readonly errorCounts = new Map<string, Map<string, { attributes: Attributes; count: number }>>();
  private readonly gauges: Readonly<Record<GaugeName, ObservableGauge>>;
  private readonly socketPackets: ObservableCounter;
  /** The knock instruments; `knock.series()` gives one (target, address, port) its series. */
  readonly knock: KnockMetrics;
  /** The trace instruments; `trace.series()` gives one (target, address) its series. */
  readonly trace: TraceMetrics;
  private readonly livePingSeries = new Map<PingSeriesImpl, Attributes>();
  private readonly targetCounts = new Map<ProbeName, number>();
  private readonly addressCounts = new Map<string, { attributes: Attributes; count: number }>();
  private readonly eventLoop: IntervalHistogram;
  private readonly observe: BatchObservableCallback;
  private reload = { successful: 0, timestamp: 0 };
  private closed = false;

  constructor(
    private readonly meter: Meter,
    private readonly options: ExporterMetricsOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    const buckets = [...options.histogramBuckets];
    this.rtt = createHistogramSink(meter, options.histograms, {
      name: METRIC.pingRtt,
      description: 'Round-trip time of answered ICMP echo requests.',
      unit: 's',
      boundaries: buckets,
    });
    this.sent = meter.createObservableCounter(METRIC.pingSent, { description: 'ICMP echo requests sent.' });
    this.received = meter.createObservableCounter(METRIC.pingReceived, {
      description: 'ICMP echo replies received in time.',
    });
    this.errors = meter.createObservableCounter(METRIC.probeErrors, {
      description: 'Probes that failed, by probe and reason (timeout, unreachable, send, resolve).',
    });
    const gauge = (name: string, description: string, unit?: string): ObservableGauge =>
      meter.createObservableGauge(name, { description, ...(unit && { unit }) });
    this.gauges = {
      loss: gauge(METRIC.pingLoss, 'Fraction of ICMP echo requests lost over the window (ping.window).'),
      jitter: gauge(
        METRIC.pingJitter,
        'Mean absolute difference of consecutive RTTs over the window (ping.window).',
        's',
      ),
      targets: gauge(METRIC.targets, 'Targets with the probe enabled.'),
      addresses: gauge(METRIC.targetAddresses, 'Addresses a target resolved to (0: unresolved).'),
      reloadSuccessful: gauge(METRIC.reloadSuccessful, 'Whether the last configuration load succeeded.'),
      reloadTimestamp: gauge(
        METRIC.reloadTimestamp,
        'Unix time of the last successful configuration load.',
        's',
      ),
      eventLoopDelay: gauge(
        METRIC.eventLoopDelay,
        "The exporter's event loop delay since the last scrape: its own noise floor.",
        's',
      ),
    };
    this.socketPackets = meter.createObservableCounter(METRIC.socketPackets, {
      description:
        'Packets read from the raw sockets, by protocol and outcome (matched, foreign, mismatched, malformed).',
    });
    const probeFailure = (probe: ProbeName) => (attributes: Attributes, reason: string) =>
      this.probeError(attributes.target as string, probe, reason);
    this.knock = new KnockMetrics(
      createHistogramSink(meter, options.histograms, {
        name: METRIC.knockRtt,
        description: 'Round-trip time of answered TCP SYNs (SYN-ACK or RST).',
        unit: 's',
        boundaries: buckets,
      }),
      meter,
      this.now,
      probeFailure('knock'),
    );
    this.trace = new TraceMetrics(meter, (attributes) =>
      probeFailure('trace')(attributes, 'hop_address_limit'),
    );
    this.eventLoop = monitorEventLoopDelay({ resolution: 10 });
    this.eventLoop.enable();
    this.observe = (result) => this.collect(result);
    meter.addBatchObservableCallback(this.observe, this.observables());
  }

  private observables(): Array<ObservableGauge | ObservableCounter> {
    return [
      ...Object.values(this.gauges),
      this.sent,
      this.received,
      this.socketPackets,
      this.errors,
      ...this.knock.observables(),
      ...this.trace.observables(),
    ];
  }

  /** Every observable value, read at collection time (each scrape). */
  private collect(result: BatchObservableResult): void {
    const { gauges } = this;
    const now = this.now();
    for (const [series, attributes] of this.livePingSeries) {
      result.observe(this.sent, series.sent, attributes);
      result.observe(this.received, series.received, attributes);
      const ratio = series.window.loss(now);
      if (ratio !== undefined) result.observe(gauges.loss, ratio, attributes);
      const spread = series.window.jitter(now);
      if (spread !== undefined) result.observe(gauges.jitter, spread, attributes);
    }
    for (const counts of this.errorCounts.values()) {
      for (const { attributes, count } of counts.values()) result.observe(this.errors, count, attributes);
    }
    this.knock.collect(result, now);
    this.trace.collect(result);
    for (const [probe, count] of this.targetCounts) result.observe(gauges.targets, count, { probe });
    for (const { attributes, count } of this.addressCounts.values()) {
      result.observe(gauges.addresses, count, attributes);
    }
    result.observe(gauges.reloadSuccessful, this.reload.successful);
    result.observe(gauges.reloadTimestamp, this.reload.timestamp);
    const loop = this.eventLoop;
    if (loop.count > 0) {
      result.observe(gauges.eventLoopDelay, loop.percentile(50) / 1e9, { stat: 'p50' });
      result.observe(gauges.eventLoopDelay, loop.percentile(99) / 1e9, { stat: 'p99' });
      result.observe(gauges.eventLoopDelay, loop.max / 1e9, { stat: 'max' });
      loop.reset();
    }
    for (const socket of this.options.sockets?.() ?? []) {
      const family = socket.family === 4 ? 'ipv4' : 'ipv6';
      const protocol = socket.protocol ?? 'icmp';
      for (const outcome of ['matched', 'foreign', 'mismatched', 'malformed'] as const) {
        result.observe(this.socketPackets, socket.stats[outcome], { family, protocol, outcome });
      }
    }
  }

  /** A series for one (target, address) pair; `attributes` carries target, address, family and static labels. */
  pingSeries(attributes: SeriesLabels, windowSeconds: number): PingSeries {
    const series = new PingSeriesImpl(this, attributes, new RollingWindow(windowSeconds * 1000));
    this.livePingSeries.set(series, attributes);
    return series;
  }

  /** @internal */
  recordPing(series: PingSeriesImpl, attributes: Attributes, result: PingResult): void {
    series.sent++;
    series.window.add(this.now(), result.rtt);
    if (result.rtt !== null) {
      series.received++;
      this.rtt.record(result.rtt, attributes);
    } else {
      this.probeError(attributes.target as string, 'ping', result.failure?.reason ?? 'timeout');
    }
  }

  /** @internal */
  removeSeries(series: PingSeriesImpl, attributes: Attributes): void {
    this.livePingSeries.delete(series);
    this.rtt.forget(attributes);
  }

  probeError(target: string, probe: ProbeName, reason: string): void {
    let counts = this.errorCounts.get(target);
    if (!counts) this.errorCounts.set(target, (counts = new Map()));
    const key = `${probe}\u0000${reason}`;
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { attributes: { target, probe, reason }, count: 1 });
  }

  setTargets(probe: ProbeName, count: number): void {
    this.targetCounts.set(probe, count);
  }

  setAddresses(target: string, attributes: SeriesLabels, count: number): void {
    this.addressCounts.set(target, { attributes, count });
  }

  /** Drops every per-target series that is not a probe series of its own (addresses, errors). */
  forgetTarget(target: string): void {
    this.errorCounts.delete(target);
    this.addressCounts.delete(target);
  }

  configLoaded(successful: boolean, unixSeconds: number): void {
    this.reload = {
      successful: successful ? 1 : 0,
      timestamp: successful ? unixSeconds : this.reload.timestamp,
    };
  }

  /** Detaches the observable callbacks. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.meter.removeBatchObservableCallback(this.observe, this.observables());
    this.eventLoop.disable();
    this.livePingSeries.clear();
    this.knock.clear();
    this.trace.clear();
  }
}

class PingSeriesImpl implements PingSeries {
  /** From 0 at creation, so a target that never answers still has a loss. */
  sent = 0;
  received = 0;

  constructor(
    private readonly metrics: ExporterMetrics,
    private readonly attributes: Attributes,
    readonly window: RollingWindow,
  ) {}

  record(result: PingResult): void {
    this.metrics.recordPing(this, this.attributes, result);
  }

  remove(): void {
    this.metrics.removeSeries(this, this.attributes);
  }
}
