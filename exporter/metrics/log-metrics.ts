import type { Meter } from '@opentelemetry/api';
import { createObserved, type MetricStore } from './metric-store';
import { METRIC } from './names';
import type { ObservedBinding, ObservedSpec } from './observed';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

const SUPPRESSED: ObservedSpec = {
  name: METRIC.logLinesSuppressed,
  description: 'Log lines dropped by the rate limit (per level, message and target), by level.',
  kind: 'counter',
};

/** `netdiag_log_lines_suppressed_total{level}`, every level from 0, read from `suppressed` at collection. */
export function observeLogSuppression(
  meter: Meter,
  store: MetricStore | undefined,
  suppressed: (level: (typeof LEVELS)[number]) => number,
): ObservedBinding {
  return createObserved(meter, store, [SUPPRESSED], (emit) => {
    for (const level of LEVELS) emit(SUPPRESSED, suppressed(level), { level });
  });
}
