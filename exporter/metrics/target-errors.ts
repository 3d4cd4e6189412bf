import type { Attributes } from '@opentelemetry/api';
import type { ProbeName } from './exporter-metrics';
import { PROBE_ERROR_REASONS } from './probe-error-reasons';

const indexOf = (reasons: readonly string[]): ReadonlyMap<string, number> =>
  new Map(reasons.map((reason, index) => [reason, index]));

/** Index of each reason of PROBE_ERROR_REASONS in its probe's list. */
const REASON_INDEX: Readonly<Record<ProbeName, ReadonlyMap<string, number>>> = {
  ping: indexOf(PROBE_ERROR_REASONS.ping),
  knock: indexOf(PROBE_ERROR_REASONS.knock),
  trace: indexOf(PROBE_ERROR_REASONS.trace),
};

/**
 * One target's `netdiag_probe_errors_total` counters. The reasons a probe reports
 * (PROBE_ERROR_REASONS) are one array of counts per probe, exported at 0 from the probe's first use;
 * any other reason (trace's library error codes) from its first count.
 *
 * Invariant: each series' label set is one object for the series' life, made once: the renderer
 * caches the label text per label set (prometheus-text.ts), and writing it again at every scrape
 * costs more than keeping it (bench/results.md, "Exporter, 2026-12-02: where the CPU went").
 */
export class TargetErrors {
  private readonly known: Partial<Record<ProbeName, { counts: Float64Array; labels: Attributes[] }>> = {};
  private other: Map<string, { labels: Attributes; count: number }> | undefined;

  constructor(private readonly target: string) {}

  /** The probe runs for this target: its known reasons are exported from now on, at 0 until they count. */
  probing(probe: ProbeName): void {
    const { target } = this;
    this.known[probe] ??= {
      counts: new Float64Array(PROBE_ERROR_REASONS[probe].length),
      labels: PROBE_ERROR_REASONS[probe].map((reason) => ({ target, probe, reason })),
    };
  }

  count(probe: ProbeName, reason: string): void {
    const index = REASON_INDEX[probe].get(reason);
    if (index !== undefined) {
      this.probing(probe);
      this.known[probe]!.counts[index]!++;
      return;
    }
    this.other ??= new Map();
    const key = `${probe}\u0000${reason}`;
    const entry = this.other.get(key);
    if (entry) entry.count++;
    else this.other.set(key, { labels: { target: this.target, probe, reason }, count: 1 });
  }

  collect(emit: (value: number, attributes: Attributes) => void): void {
    // Each probe by name, not through a loop over an array of their names (a keyed property read
    // per probe and target, 30,000 a scrape at 10,000 targets): half the time in isolation.
    const { ping, knock, trace } = this.known;
    if (ping !== undefined) emitKnown(ping, emit);
    if (knock !== undefined) emitKnown(knock, emit);
    if (trace !== undefined) emitKnown(trace, emit);
    if (this.other !== undefined) for (const { labels, count } of this.other.values()) emit(count, labels);
  }
}

function emitKnown(
  known: { counts: Float64Array; labels: Attributes[] },
  emit: (value: number, attributes: Attributes) => void,
): void {
  const { counts, labels } = known;
  for (let i = 0; i < counts.length; i++) emit(counts[i]!, labels[i]!);
}
