export type { BindConfig, Config, DnsConfig, PingProbeConfig, TargetConfig, TargetFamily } from './types';
export { TARGET_FAMILIES } from './types';
export type { ConfigIssue } from './issue';
export { ConfigError, formatIssue } from './issue';
export { parseConfig } from './parse';
export { loadConfig } from './load';
export { formatDuration, parseDuration } from './duration';
export type { ConfigDiff } from './diff';
export { diffConfig } from './diff';
export {
  DEFAULT_DNS,
  DEFAULT_FAMILY,
  DEFAULT_HISTOGRAM_BUCKETS,
  DEFAULT_PING,
  defaultCardinalityLimit,
} from './defaults';
export {
  MAX_ALIAS_COUNT,
  MAX_CONFIG_BYTES,
  MAX_DURATION,
  MAX_PING_SIZE,
  MAX_TARGET_NAME_LENGTH,
  MIN_DURATION,
  MIN_PING_SIZE,
} from './limits';
export { RESERVED_LABEL_NAMES } from './labels';
