import type {
  Attributes,
  BatchObservableResult,
  Meter,
  ObservableCounter,
  ObservableGauge,
} from '@opentelemetry/api';
import type { HistogramSink } from './histogram-store';
import { METRIC } from './names';
import { RollingWindow } from './rolling-window';

/** What the knock metrics need of one knock: the library's KnockResult fits. */
export interface KnockOutcome {
  /** Seconds; null when nothing answered before the timeout. */
  readonly rtt: number | null;
  readonly state?: 'open' | 'closed';
  readonly failure?: { readonly reason: string };
}

/** Where one (target, address, port)'s knocks go. */
export interface KnockSeries {
  record(outcome: KnockOutcome): void;
  /** Stops reporting the observable series (counters, loss, port state) of this series. */
  remove(): void;
}

interface LiveSeries {
  readonly attributes: Attributes;
  readonly window: RollingWindow;
  sent: number;
  received: number;
  /** 1 after a SYN-ACK, 0 after an RST; kept through losses, absent until the first answer. */
  open: number | undefined;
}

/** The knock instruments: an RTT histogram, sent/received counters, loss over a window, port state. */
export class KnockMetrics {
  private readonly sent: ObservableCounter;
  private readonly received: ObservableCounter;
  private readonly loss: ObservableGauge;
  private readonly portOpen: ObservableGauge;
  private readonly live = new Set<LiveSeries>();

  constructor(
    /** netdiag_knock_rtt_seconds */
    private readonly rtt: HistogramSink,
    meter: Meter,
    private readonly now: () => number,
    private readonly onFailure: (attributes: Attributes, reason: string) => void,
  ) {
    this.sent = meter.createObservableCounter(METRIC.knockSent, { description: 'TCP SYNs sent.' });
    this.received = meter.createObservableCounter(METRIC.knockReceived, {
      description: 'TCP SYNs answered in time by a SYN-ACK or an RST.',
    });
    this.loss = meter.createObservableGauge(METRIC.knockLoss, {
      description: 'Fraction of TCP SYNs unanswered over the window (knock.window).',
    });
    this.portOpen = meter.createObservableGauge(METRIC.knockPortOpen, {
      description: 'Whether the last answer was a SYN-ACK (1) or an RST (0).',
    });
  }

  observables(): Array<ObservableCounter | ObservableGauge> {
    return [this.sent, this.received, this.loss, this.portOpen];
  }

  collect(result: BatchObservableResult, now: number): void {
    for (const series of this.live) {
      const { attributes } = series;
      result.observe(this.sent, series.sent, attributes);
      result.observe(this.received, series.received, attributes);
      const ratio = series.window.loss(now);
      if (ratio !== undefined) result.observe(this.loss, ratio, attributes);
      if (series.open !== undefined) result.observe(this.portOpen, series.open, attributes);
    }
  }

  /** `attributes`: target, address, family, port and the target's static labels. */
  series(attributes: Attributes, windowSeconds: number): KnockSeries {
    const series: LiveSeries = {
      attributes,
      window: new RollingWindow(windowSeconds * 1000),
      sent: 0,
      received: 0,
      open: undefined,
    };
    this.live.add(series);
    return {
      record: (outcome) => this.record(series, outcome),
      remove: () => {
        this.live.delete(series);
        this.rtt.forget(attributes);
      },
    };
  }

  clear(): void {
    this.live.clear();
  }

  private record(series: LiveSeries, outcome: KnockOutcome): void {
    series.sent++;
    series.window.add(this.now(), outcome.rtt);
    if (outcome.rtt === null) {
      this.onFailure(series.attributes, outcome.failure?.reason ?? 'timeout');
      return;
    }
    series.received++;
    this.rtt.record(outcome.rtt, series.attributes);
    if (outcome.state !== undefined) series.open = outcome.state === 'open' ? 1 : 0;
  }
}
