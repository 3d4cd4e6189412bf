/** Structured logs: one line per event, logfmt or JSON, with per-target context fields. */
import { withErrorDetails } from './error-fields';
import { LogRateLimiter } from './rate-limit';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  /** Default 'info'. */
  level?: LogLevel;
  /** Default 'logfmt'. */
  format?: LogFormat;
  /** Default: process.stderr. */
  write?: (line: string) => void;
  /** Default: wall clock. */
  now?: () => Date;
  /**
   * Lines per (level, message, context fields) key: default a LogRateLimiter with its defaults
   * (burst 10, then 1 per 10 s); false: every line.
   */
  rateLimit?: LogRateLimiter | false;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const minimum = RANK[options.level ?? 'info'];
  const format = options.format === 'json' ? formatJson : formatLogfmt;
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const limiter = options.rateLimit === false ? undefined : (options.rateLimit ?? new LogRateLimiter());
  const make = (context: LogFields): Logger => {
    const contextKey = JSON.stringify(context);
    const log =
      (level: LogLevel) =>
      (message: string, fields?: LogFields): void => {
        if (RANK[level] < minimum) return;
        const suppressed = limiter ? limiter.take(level, `${level}\u0000${message}\u0000${contextKey}`) : 0;
        if (suppressed === undefined) return;
        const line = withErrorDetails({
          ts: now().toISOString(),
          level,
          msg: message,
          ...context,
          ...fields,
        });
        write(format(suppressed > 0 ? { ...line, suppressed } : line));
      };
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (fields) => make({ ...context, ...fields }),
    };
  };
  return make({});
}

/** Discards everything (the default of library users who pass no logger). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

function formatJson(fields: LogFields): string {
  return JSON.stringify(fields, (_key, value: unknown) => (value instanceof Error ? value.message : value));
}

function formatLogfmt(fields: LogFields): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text =
      value instanceof Error ? value.message : typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(`${key}=${/^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)}`);
  }
  return parts.join(' ');
}
