import type { DnsConfig, PingProbeConfig, TargetConfig, TargetFamily } from './types';

// The single source of truth for every default of the config file.

/** `ping` keys a target or `defaults.ping` leaves out. */
export const DEFAULT_PING: PingProbeConfig = Object.freeze({
  interval: 1,
  timeout: 1,
  size: 56,
  window: 60,
});

export const DEFAULT_DNS: DnsConfig = Object.freeze({
  refresh: 300,
  retryMin: 1,
  retryMax: 300,
});

export const DEFAULT_FAMILY: TargetFamily = 'auto';

/** 100 µs doubling up to 6.5536 s: 0.0001 * 2^k for k = 0..16. */
export const DEFAULT_HISTOGRAM_BUCKETS: readonly number[] = Object.freeze(
  Array.from({ length: 17 }, (_, k) => 0.0001 * 2 ** k),
);

/** Series each probed address may need per metric, and the headroom for target-less series. */
const SERIES_PER_ADDRESS = 4;
const SERIES_HEADROOM = 100;
const MIN_CARDINALITY_LIMIT = 2000;

/** The cardinality limit used when `cardinality_limit` is not set: a `dual` target probes two addresses. */
export function defaultCardinalityLimit(targets: readonly TargetConfig[]): number {
  let series = SERIES_HEADROOM;
  for (const target of targets) series += SERIES_PER_ADDRESS * (target.family === 'dual' ? 2 : 1);
  return Math.max(MIN_CARDINALITY_LIMIT, series);
}
