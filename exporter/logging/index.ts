export type { LogFields, LogFormat, Logger, LoggerOptions, LogLevel } from './logger';
export { redactedErrorFields, withErrorDetails } from './error-fields';
export { createLogger, LOG_LEVELS, silentLogger } from './logger';
export type { LogRateLimitOptions } from './rate-limit';
export { LOG_RATE_LIMIT_DEFAULTS, LogRateLimiter } from './rate-limit';
