import type { Attributes } from '@opentelemetry/api';
import type { HistogramSink } from './metric-store';
import { METRIC } from './names';
import type { Emit, ObservedSpec } from './observed';
import { expectedResults, RollingWindow } from './rolling-window';

/** What the knock metrics need of one knock: the library's KnockResult fits. */
export interface KnockOutcome {
  /** Seconds; null when nothing answered before the timeout. */
  readonly rtt: number | null;
  readonly state?: 'open' | 'closed';
  /** `lateRtt`: an answer was read after the timeout (see KnockFailure); a loss all the same. */
  readonly failure?: { readonly reason: string; readonly lateRtt?: number };
}

/** Told, during a collection, what one series' latest window holds: a result at all, an answer. */
export type WindowObserver = (attributes: Attributes, results: boolean, answered: boolean) => void;

/** Where one (target, address, port)'s knocks go. */
export interface KnockSeries {
  record(outcome: KnockOutcome): void;
  /** Stops reporting every series of this (target, address, port), histogram included where possible. */
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

const SPEC = {
  sent: { name: METRIC.knockSent, description: 'TCP SYNs sent.', kind: 'counter' },
  received: {
    name: METRIC.knockReceived,
    description: 'TCP SYNs answered in time by a SYN-ACK or an RST.',
    kind: 'counter',
  },
  loss: {
    name: METRIC.knockLoss,
    description: 'Fraction of TCP SYNs unanswered over the window (knock.window).',
    kind: 'gauge',
  },
  portOpen: {
    name: METRIC.knockPortOpen,
    description: 'Whether the last answer was a SYN-ACK (1) or an RST (0).',
    kind: 'gauge',
  },
} as const satisfies Record<string, ObservedSpec>;

/** The knock metrics: an RTT histogram, sent/received counters, loss over a window, port state. */
export class KnockMetrics {
  static readonly specs: readonly ObservedSpec[] = Object.values(SPEC);
  private readonly live = new Set<LiveSeries>();

  constructor(
    /** netdiag_knock_rtt_seconds */
    private readonly rtt: HistogramSink,
    private readonly now: () => number,
    private readonly onFailure: (attributes: Attributes, reason: string) => void,
    /** Called for each answer read after its timeout (counted as a loss, reason timeout). */
    private readonly onLateAnswer: () => void = () => {},
  ) {}

  /** `observe` is told each series' window: whether it holds a result, and an answer (SYN-ACK or RST). */
  collect(emit: Emit, now: number, observe: WindowObserver = () => {}): void {
    for (const series of this.live) {
      const { attributes } = series;
      emit(SPEC.sent, series.sent, attributes);
      emit(SPEC.received, series.received, attributes);
      const ratio = series.window.loss(now);
      if (ratio !== undefined) {
        emit(SPEC.loss, ratio, attributes);
        observe(attributes, true, ratio < 1);
      }
      if (series.open !== undefined) emit(SPEC.portOpen, series.open, attributes);
    }
  }

  /** `attributes`: target, address, family, port and the target's static labels. */
  series(attributes: Attributes, windowSeconds: number, intervalSeconds?: number): KnockSeries {
    const series: LiveSeries = {
      attributes,
      window: new RollingWindow(windowSeconds * 1000, expectedResults(windowSeconds, intervalSeconds)),
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
    this.rtt.close();
  }

  private record(series: LiveSeries, outcome: KnockOutcome): void {
    if (!this.live.has(series)) return; // settled after its series was removed
    series.sent++;
    series.window.add(this.now(), outcome.rtt);
    if (outcome.rtt === null) {
      this.onFailure(series.attributes, outcome.failure?.reason ?? 'timeout');
      if (outcome.failure?.lateRtt !== undefined) this.onLateAnswer();
      return;
    }
    series.received++;
    this.rtt.record(outcome.rtt, series.attributes);
    if (outcome.state !== undefined) series.open = outcome.state === 'open' ? 1 : 0;
  }
}
