/** The ping probe of one target, defaults merged in. Durations in seconds. */
export interface PingProbeConfig {
  readonly interval: number;
  readonly timeout: number;
  /** Bytes of ICMP echo payload. */
  readonly size: number;
  /** The window over which loss ratio and jitter are computed. */
  readonly window: number;
}

/** One knocked port of a target, defaults merged in. Durations in seconds. */
export interface KnockProbeConfig {
  /** 1..65535, required (from the block or defaults.knock). */
  readonly port: number;
  /** Default 5s. */
  readonly interval: number;
  /** Default 1s. */
  readonly timeout: number;
  /** The loss-ratio window, default 60s (as ping's window). */
  readonly window: number;
}

export type TraceProtocol = 'udp' | 'tcp' | 'icmp';

export const TRACE_PROTOCOLS: readonly TraceProtocol[] = ['udp', 'tcp', 'icmp'];

/** The trace probe of one target, defaults merged in. Durations in seconds. */
export interface TraceProbeConfig {
  /** Default udp. */
  readonly protocol: TraceProtocol;
  /** Destination port: default 33434 for udp, 443 for tcp; for icmp 0 and setting it is an error. */
  readonly port: number;
  /** Default 60s. */
  readonly interval: number;
  /** Per probe, default 1s. */
  readonly timeout: number;
  /** YAML max_hops, 1..255, default 30. */
  readonly maxHops: number;
  /**
   * YAML flows, 1..64: fixed flows, each probed `probes` times at every hop (the behaviour before the
   * MDA). Unset (the default): the MDA picks the flows each hop needs, up to maxFlows.
   */
  readonly flows?: number;
  /** MDA: the confidence that every next hop of a hop was found, 0.5..0.99, default 0.95. */
  readonly confidence: number;
  /** YAML max_flows, MDA: the flows a round may use in all, 1..1024, default 128. */
  readonly maxFlows: number;
  /** Fixed flows only: probes per flow per hop, 1..10, default 3 (the MDA sends one per flow and hop). */
  readonly probes: number;
  /** YAML max_silent_hops, 1..255, default 5: stop after this many consecutive silent hops. */
  readonly maxSilentHops: number;
  /** YAML max_hop_addresses, 1..1000, default 64: cap on distinct hop_address label values per target. */
  readonly maxHopAddresses: number;
  /**
   * MDA: the share of `interval` a round spreads its probes over, waiting there for the routers'
   * budget (trace_budget); 0..0.9, default 0.5; 0 sends each hop's probes at once, without budget.
   */
  readonly pacing: number;
}

/** The `trace_budget` block: the ICMP errors one router is expected to send this host (see ResponderBudget). */
export interface TraceBudgetConfig {
  readonly burst: number;
  readonly perSecond: number;
}

/**
 * Which addresses of `host` are probed: `auto` the first one the resolver returns (IPv4 preferred),
 * `ipv4` / `ipv6` only that family, `dual` both an A and an AAAA address.
 */
export type TargetFamily = 'auto' | 'ipv4' | 'ipv6' | 'dual';

export const TARGET_FAMILIES: readonly TargetFamily[] = ['auto', 'ipv4', 'ipv6', 'dual'];

/**
 * `addresses: all`: every address of the host within its family is probed, each with its own
 * series (the `address` label), instead of the first one only.
 */
export interface AllAddressesConfig {
  /** YAML max_addresses, 1..MAX_TARGET_ADDRESSES, default DEFAULT_MAX_ADDRESSES. */
  readonly max: number;
  /** YAML exclude_addresses: never probed (a mesh pod's own address), canonical IP text. */
  readonly exclude: readonly string[];
  /**
   * YAML selection_key, default the target's name: with more addresses than `max`, the `max` that
   * follow this key's point on a hash ring of the addresses are kept. Exporters keyed by their own
   * address (a mesh pod's) then each probe the next `max` peers on the ring, and every address is
   * probed by exactly `max` of them (exporter/resolver/select-addresses.ts).
   */
  readonly selectionKey?: string;
}

/** A target's keys other than its name and host: what a target group gives each of its targets. */
export interface TargetSettings {
  readonly family: TargetFamily;
  /** Static labels on every series of this target. */
  readonly labels: Readonly<Record<string, string>>;
  /** Present with `addresses: all`; absent means `first`. */
  readonly allAddresses?: AllAddressesConfig;
  readonly ping?: PingProbeConfig;
  readonly knock?: readonly KnockProbeConfig[];
  readonly trace?: TraceProbeConfig;
}

/**
 * `target_groups[]`: targets read from Prometheus file_sd files, each host one target with the
 * group's settings (exporter/agent/target-files.ts watches the files).
 */
export interface TargetGroupConfig {
  /** Absolute glob patterns (relative ones are resolved against the config file's directory); a pattern only in the last path segment. */
  readonly files: readonly string[];
  /** YAML name_label: the label whose value names a target; unset, the host names it. */
  readonly nameLabel?: string;
  readonly settings: TargetSettings;
  /** Where the group is written, `FILE:LINE:COL`, for messages. */
  readonly at: string;
}

export interface TargetConfig {
  /** Unique; the value of the `target` label. */
  readonly name: string;
  /** An IP literal or a DNS name. */
  readonly host: string;
  readonly family: TargetFamily;
  /** Present with `addresses: all`; absent means `first` (the first address of the family). */
  readonly allAddresses?: AllAddressesConfig;
  /** Static labels on every series of this target. */
  readonly labels: Readonly<Record<string, string>>;
  /** Present when the ping probe is enabled. */
  readonly ping?: PingProbeConfig;
  /**
   * Present when knock is enabled: `knock: {port: 443}` or a list of such blocks; sorted by port;
   * duplicate ports of one target are an error naming both.
   */
  readonly knock?: readonly KnockProbeConfig[];
  /** Present when trace is enabled. */
  readonly trace?: TraceProbeConfig;
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

/**
 * OTLP push (`otlp` block). Unset keys fall back to the OTEL_* environment variables, then the
 * defaults: see exporter/cli/otlp-settings.ts. Durations in seconds.
 */
export interface OtlpConfig {
  /** The full URL metrics are POSTed to; one written without a path got /v1/metrics. */
  readonly endpoint?: string;
  readonly interval?: number;
  readonly timeout?: number;
  /** HTTP headers of every push, over those of OTEL_EXPORTER_OTLP_HEADERS. */
  readonly headers: Readonly<Record<string, string>>;
  /** Resource attributes of the agent (Prometheus target_info and OTLP alike), over OTEL_RESOURCE_ATTRIBUTES. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

/**
 * The `native_histograms` block: native (sparse exponential) buckets in the RTT histograms next to the
 * classic ones, served in the protobuf exposition and pushed as OTLP exponential histograms.
 */
export interface NativeHistogramsConfig {
  readonly enabled: boolean;
  /** Greater than 1: the widest growth from one bucket to the next (the schema follows from it). */
  readonly bucketFactor: number;
  /** Non-empty buckets a series keeps at most; past it, it resets or coarsens (see minResetDuration). */
  readonly maxBucketCount: number;
  /**
   * Seconds: past the bucket limit, a series last reset at least this long ago resets (a counter
   * reset) instead of halving its resolution; absent, it never resets.
   */
  readonly minResetDuration?: number;
  /** Whether the protobuf exposition carries the classic buckets as well (the text always does). */
  readonly classicBucketsInProtobuf: boolean;
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
  /** Present when the file has target groups: their targets join `targets` as their files are read. */
  readonly targetGroups?: readonly TargetGroupConfig[];
  /** Present when the file has an `otlp` key: push metrics over OTLP/HTTP. */
  readonly otlp?: OtlpConfig;
  /** Present when the file has a `native_histograms` key; absent means DEFAULT_NATIVE_HISTOGRAMS. */
  readonly nativeHistograms?: NativeHistogramsConfig;
  /** Present when the file has a `trace_budget` key; absent means DEFAULT_TRACE_BUDGET. */
  readonly traceBudget?: TraceBudgetConfig;
}
