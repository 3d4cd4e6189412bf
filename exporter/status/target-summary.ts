import type { RttHistory } from './rtt-history';
import type { SlotSummary } from './slot-ring';
import type { RecentError, TargetStatus } from './target-status';
import type { TraceFigures } from './trace-view';

/** up: every probe answered; degraded: some loss, or a trace that did not reach; down: nothing answered. */
export type TargetState = 'up' | 'degraded' | 'down' | 'unknown';

/** Seconds of history the state and the summary figures cover. */
const SUMMARY_SECONDS = 300;

/** RTT figures of a series over the last SUMMARY_SECONDS (seconds; null when nothing answered). */
export interface RttFigures {
  readonly sent: number;
  readonly lost: number;
  /** lost / sent, null when nothing was sent. */
  readonly loss: number | null;
  /** Count-weighted median of the slots' medians and p90 of their p90s: close to, not exactly, the window's. */
  readonly median: number | null;
  readonly p90: number | null;
  readonly jitter: number | null;
  /** The last result: its time, and RTT (null: lost). */
  readonly lastTime: number | null;
  readonly lastRtt: number | null;
}

export interface KnockFigures extends RttFigures {
  readonly port: number;
  /** What the last answer said; null when the last knock went unanswered. */
  readonly state: 'open' | 'closed' | null;
}

/** One row of the index (`/api/v1/targets`). */
export interface TargetSummary {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: TargetState;
  readonly addresses: readonly string[];
  readonly ping: RttFigures | null;
  readonly knock: readonly KnockFigures[];
  readonly trace: TraceFigures | null;
  readonly lastError: RecentError | null;
}

export function summarise(status: TargetStatus, now: number): TargetSummary {
  const ping = status.ping ? figures(status.ping, now) : null;
  const knock = [...status.knock]
    .sort(([a], [b]) => a - b)
    .map(([port, history]) => ({
      port,
      ...figures(history, now),
      state: history.lastRtt === null ? null : history.lastOpen ? ('open' as const) : ('closed' as const),
    }));
  const trace = status.trace?.figures() ?? null;
  return {
    name: status.name,
    labels: status.labels,
    state: stateOf(ping, knock, trace, status.errors.newest(), now),
    addresses: [...status.addresses],
    ping,
    knock,
    trace,
    lastError: status.errors.newest() ?? null,
  };
}

/**
 * The state over the last SUMMARY_SECONDS: unknown without any result in it (down if the name did
 * not resolve in it); down when every probe
 * that ran went unanswered (ping and knock lost everything, a trace did not reach); degraded when
 * some did (a loss, a port that stopped answering, a trace that did not reach while pings answer);
 * up otherwise.
 */
function stateOf(
  ping: RttFigures | null,
  knock: readonly RttFigures[],
  trace: TraceFigures | null,
  lastError: RecentError | undefined,
  now: number,
): TargetState {
  const series = [ping, ...knock].filter((f): f is RttFigures => f !== null && f.sent > 0);
  const traceRecent = trace !== null && now - trace.time <= SUMMARY_SECONDS;
  if (series.length === 0 && !traceRecent) {
    // Nothing ran: because the name does not resolve (down), or not yet (unknown).
    const unresolved = lastError?.reason === 'resolve' && now - lastError.time <= SUMMARY_SECONDS;
    return unresolved ? 'down' : 'unknown';
  }
  const answered = series.filter((f) => f.lost < f.sent).length + (traceRecent && trace.reached ? 1 : 0);
  const probes = series.length + (traceRecent ? 1 : 0);
  if (answered === 0) return 'down';
  if (answered < probes || series.some((f) => f.lost > 0)) return 'degraded';
  return 'up';
}

function figures(history: RttHistory, now: number): RttFigures {
  const { slots } = history.recent(now, SUMMARY_SECONDS);
  let sent = 0;
  let lost = 0;
  for (const slot of slots) {
    sent += slot.count;
    lost += slot.lost;
  }
  return {
    sent,
    lost,
    loss: sent === 0 ? null : lost / sent,
    median: weighted(slots, 'median', 0.5),
    p90: weighted(slots, 'p90', 0.9),
    jitter: weightedMean(slots),
    lastTime: Number.isNaN(history.lastTime) ? null : history.lastTime,
    lastRtt: history.lastRtt,
  };
}

/** The q-quantile of the slots' `field`, each slot weighing its answered count. */
function weighted(slots: readonly SlotSummary[], field: 'median' | 'p90', q: number): number | null {
  const points = slots
    .filter((s) => s[field] !== null)
    .map((s) => ({ value: s[field]!, weight: s.count - s.lost }))
    .sort((a, b) => a.value - b.value);
  const total = points.reduce((sum, p) => sum + p.weight, 0);
  if (total === 0) return null;
  let seen = 0;
  for (const point of points) {
    seen += point.weight;
    if (seen >= q * total) return point.value;
  }
  return points[points.length - 1]!.value;
}

function weightedMean(slots: readonly SlotSummary[]): number | null {
  let sum = 0;
  let weight = 0;
  for (const slot of slots) {
    if (slot.jitter === null) continue;
    const w = slot.count - slot.lost;
    sum += slot.jitter * w;
    weight += w;
  }
  return weight === 0 ? null : sum / weight;
}
