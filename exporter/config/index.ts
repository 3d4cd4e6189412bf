export type {
  BindConfig,
  Config,
  DnsConfig,
  KnockProbeConfig,
  NativeHistogramsConfig,
  OtlpConfig,
  PingProbeConfig,
  TargetConfig,
  TargetFamily,
  TraceProbeConfig,
  TraceProtocol,
} from './types';
export { TARGET_FAMILIES, TRACE_PROTOCOLS } from './types';
export type { ConfigErrorOptions, ConfigIssue } from './issue';
export { ConfigError, formatIssue, formatIssues, formatPublicIssue, formatPublicIssues } from './issue';
export { redactUrl, redactUrls } from './redact-url';
export { readConfigFile, readProblem, type ReadConfigFileOptions } from './read-file';
export { parseConfig } from './parse';
export { loadConfig } from './load';
export { WorkerConfigLoader } from './worker-config-loader';
export { formatDuration, parseDuration } from './duration';
export type { ConfigDiff } from './diff';
export { deepEqual, diffConfig } from './diff';
export {
  DEFAULT_DNS,
  DEFAULT_FAMILY,
  DEFAULT_HISTOGRAM_BUCKETS,
  DEFAULT_KNOCK,
  DEFAULT_NATIVE_HISTOGRAMS,
  DEFAULT_PING,
  DEFAULT_TRACE,
  DEFAULT_TRACE_BUDGET,
  DEFAULT_TRACE_PORTS,
  defaultCardinalityLimit,
} from './defaults';
export {
  MAX_ALIAS_COUNT,
  MAX_CONFIG_BYTES,
  MAX_DURATION,
  MAX_PING_SIZE,
  MAX_PORT,
  MAX_REPORTED_ISSUES,
  MAX_TARGET_NAME_LENGTH,
  MAX_TARGETS,
  MAX_TRACE_FLOWS,
  MAX_TRACE_HOP_ADDRESSES,
  MAX_TRACE_HOPS,
  MAX_TRACE_PROBES,
  MAX_TRACE_SILENT_HOPS,
  MAX_YAML_ENTRIES,
  MIN_DURATION,
  MIN_PING_SIZE,
  MIN_PORT,
} from './limits';
export { OTLP_METRICS_PATH, otlpEndpointProblem } from './otlp';
export type { Shard } from './shard';
export { jumpHash, selectShard, shardOf } from './shard';
export type { AllAddressesConfig, TargetGroupConfig, TargetSettings } from './types';
export type { FileTarget } from './target-file';
export { parseTargetFile } from './target-file';
export type { ComposedFile, Composition, TargetFileContent } from './compose-targets';
export { composeTargets } from './compose-targets';
export { MAX_TARGET_ADDRESSES, MAX_TARGET_FILE_BYTES, MAX_TARGET_FILES } from './limits';
export { parseTargetFileOffThread } from './parse-off-thread';
