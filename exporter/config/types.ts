/** The ping probe of one target, defaults merged in. Durations in seconds. */
export interface PingProbeConfig {
  readonly interval: number;
  readonly timeout: number;
  /** Bytes of ICMP echo payload. */
  readonly size: number;
  /** The window over which loss ratio and jitter are computed. */
  readonly window: number;
}

/**
 * Which addresses of `host` are probed: `auto` the first one the resolver returns (IPv4 preferred),
 * `ipv4` / `ipv6` only that family, `dual` both an A and an AAAA address.
 */
export type TargetFamily = 'auto' | 'ipv4' | 'ipv6' | 'dual';

export const TARGET_FAMILIES: readonly TargetFamily[] = ['auto', 'ipv4', 'ipv6', 'dual'];

export interface TargetConfig {
  /** Unique; the value of the `target` label. */
  readonly name: string;
  /** An IP literal or a DNS name. */
  readonly host: string;
  readonly family: TargetFamily;
  /** Static labels on every series of this target. */
  readonly labels: Readonly<Record<string, string>>;
  /** Present when the ping probe is enabled. */
  readonly ping?: PingProbeConfig;
}

/** Source addresses and device of the probe sockets; unset means: let the kernel choose. */
export interface BindConfig {
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly interface?: string;
}

/** How DNS names of targets are re-resolved. Seconds. */
export interface DnsConfig {
  /** Re-resolve a name this often after it resolved. */
  readonly refresh: number;
  /** After a failed resolution retry after retryMin, backing off to retryMax. */
  readonly retryMin: number;
  readonly retryMax: number;
}

/** A validated config; deep-frozen. */
export interface Config {
  /** The file it was read from, as given. */
  readonly file: string;
  readonly bind: BindConfig;
  /** Histogram bucket boundaries in seconds, strictly increasing. */
  readonly histogramBuckets: readonly number[];
  /** The OpenTelemetry cardinality limit (attribute sets per metric). */
  readonly cardinalityLimit: number;
  readonly dns: DnsConfig;
  readonly targets: readonly TargetConfig[];
}
