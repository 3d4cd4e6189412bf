export type { LogFields, LogFormat, Logger, LoggerOptions, LogLevel } from './logger';
export { createLogger, LOG_LEVELS, silentLogger } from './logger';
