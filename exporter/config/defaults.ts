import type {
  DnsConfig,
  KnockProbeConfig,
  NativeHistogramsConfig,
  PingProbeConfig,
  TargetConfig,
  TargetFamily,
  TraceBudgetConfig,
  TraceProbeConfig,
  TraceProtocol,
} from './types';

// The single source of truth for every default of the config file.

/**
 * `native_histograms` when the file has no such block, and the keys a block leaves out: on, with
 * client_golang's suggested factor of 1.1 (schema 3, 8 buckets per power of two: RTTs to ±4.5 %) and
 * 160 buckets per series at most (Grafana Mimir's default limit); never reset (a series past the limit coarsens);
 * no classic buckets in the protobuf exposition: a Prometheus that asks for it stores the native
 * histogram alone unless told to keep both (README, "Native histograms"), and they are most of its bytes.
 */
export const DEFAULT_NATIVE_HISTOGRAMS: NativeHistogramsConfig = Object.freeze({
  enabled: true,
  bucketFactor: 1.1,
  maxBucketCount: 160,
  classicBucketsInProtobuf: false,
});

/** `ping` keys a target or `defaults.ping` leaves out. */
export const DEFAULT_PING: PingProbeConfig = Object.freeze({
  interval: 1,
  timeout: 1,
  size: 56,
  window: 60,
});

/** `knock` keys a block or `defaults.knock` leaves out; `port` has no default: it is required. */
export const DEFAULT_KNOCK: Omit<KnockProbeConfig, 'port'> = Object.freeze({
  interval: 5,
  timeout: 1,
  window: 60,
});

/** `trace` keys a target or `defaults.trace` leaves out; the port default follows the protocol. */
export const DEFAULT_TRACE: Omit<TraceProbeConfig, 'port' | 'flows'> = Object.freeze({
  protocol: 'udp',
  interval: 60,
  timeout: 1,
  maxHops: 30,
  confidence: 0.95,
  // 16-way ECMP at 95 % needs 97 flows at its hop (n_17); the rest leaves room for nested splits.
  maxFlows: 128,
  probes: 3,
  maxSilentHops: 5,
  maxHopAddresses: 64,
  // Half the interval: room for the probes of the rounds that take longer, and for their timeouts.
  pacing: 0.5,
});

/**
 * `trace_budget` keys left out: Linux's limit on the ICMP errors a router sends one source (a burst of
 * 6, then 1 a second: icmp_ratelimit 1000 ms, XRLIM_BURST_FACTOR 6).
 */
export const DEFAULT_TRACE_BUDGET: TraceBudgetConfig = Object.freeze({ burst: 6, perSecond: 1 });

/** The destination port of a trace that sets none: traceroute's for UDP, HTTPS for TCP; ICMP has none. */
export const DEFAULT_TRACE_PORTS: Readonly<Record<TraceProtocol, number>> = Object.freeze({
  udp: 33434,
  tcp: 443,
  icmp: 0,
});

export const DEFAULT_DNS: DnsConfig = Object.freeze({
  refresh: 300,
  retryMin: 1,
  retryMax: 300,
});

export const DEFAULT_FAMILY: TargetFamily = 'auto';

/** `max_addresses` of a target with `addresses: all`. */
export const DEFAULT_MAX_ADDRESSES = 64;

/** 100 µs doubling up to 6.5536 s: 0.0001 * 2^k for k = 0..16. */
export const DEFAULT_HISTOGRAM_BUCKETS: readonly number[] = Object.freeze(
  Array.from({ length: 17 }, (_, k) => 0.0001 * 2 ** k),
);

/**
 * Series one probe may need per probed address in each of its metrics (its own series and the
 * `reason` values of netdiag_probe_errors_total: the five exported at 0 from a target's start,
 * exporter/metrics/probe-error-reasons.ts), and the headroom for target-less series.
 */
const SERIES_PER_ADDRESS = 5;
const SERIES_HEADROOM = 100;
const MIN_CARDINALITY_LIMIT = 2000;

/**
 * The cardinality limit used when `cardinality_limit` is not set:
 *
 *   max(2000, 100 + Σ targets addresses × (5 [ping] + 5 × knock ports + (5 + max_hops × max_hop_addresses) [trace]))
 *
 * where a `dual` target probes two addresses, one with `addresses: all` its max_addresses, every
 * other one. The limit holds per metric; summing
 * over the probes bounds metrics shared by them too. A trace's netdiag_trace_hop_rtt_seconds has a
 * series per hop and hop_address: at most max_hops × max_hop_addresses per address, as the
 * hop_address values of a target are capped at max_hop_addresses.
 */
export function defaultCardinalityLimit(targets: readonly TargetConfig[]): number {
  let series = SERIES_HEADROOM;
  for (const target of targets) {
    const addresses = target.allAddresses?.max ?? (target.family === 'dual' ? 2 : 1);
    series += addresses * seriesPerAddress(target);
  }
  return Math.max(MIN_CARDINALITY_LIMIT, series);
}

function seriesPerAddress({ ping, knock, trace }: TargetConfig): number {
  let series = 0;
  if (ping) series += SERIES_PER_ADDRESS;
  if (knock) series += SERIES_PER_ADDRESS * knock.length;
  if (trace) series += SERIES_PER_ADDRESS + trace.maxHops * trace.maxHopAddresses;
  return series;
}
