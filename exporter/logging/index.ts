export type { LogFields, LogFormat, Logger, LoggerOptions, LogLevel } from './logger';
export { redactedErrorFields, withErrorDetails } from './error-fields';
export { createLogger, LOG_LEVELS, silentLogger } from './logger';
export type { LogRateLimitOptions } from './rate-limit';
export { LogRateLimiter } from './rate-limit';
