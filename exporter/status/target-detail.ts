import type { HistoryView } from './rtt-history';
import { summarise, type TargetSummary } from './target-summary';
import type { RecentError, TargetStatus } from './target-status';
import type { TraceSnapshot } from './trace-view';

export interface SeriesHistory {
  /** The fine slots (default: the last hour by the minute). */
  readonly hour: HistoryView;
  /** The coarse slots (default: the last day by the half hour). */
  readonly day: HistoryView;
}

/** One target in detail (`/api/v1/targets/{name}`): its summary, RTT history, last trace and errors. */
export interface TargetDetail extends TargetSummary {
  /** Seconds since the epoch when this was made: the right edge of the graphs. */
  readonly now: number;
  readonly history: {
    readonly ping: SeriesHistory | null;
    readonly knock: ReadonlyArray<SeriesHistory & { readonly port: number }>;
  };
  readonly traceDetail: TraceSnapshot | null;
  readonly errors: readonly RecentError[];
}

export function detailOf(status: TargetStatus, now: number): TargetDetail {
  return {
    ...summarise(status, now),
    now,
    history: {
      ping: status.ping ? { hour: status.ping.recent(now), day: status.ping.day(now) } : null,
      knock: [...status.knock]
        .sort(([a], [b]) => a - b)
        .map(([port, history]) => ({ port, hour: history.recent(now), day: history.day(now) })),
    },
    traceDetail: status.trace?.snapshot() ?? null,
    errors: status.errors.newestFirst(),
  };
}
