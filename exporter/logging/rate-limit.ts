/**
 * Bounds log output: a token bucket per key (the logger's key is level, message and the logger's
 * context fields, such as target and address), so that a flapping target or a flood of bad packets
 * or connections cannot write without bound. A key spends one token per line; once its burst is
 * spent, it earns one line back per `refillSeconds`; the lines in between are dropped, counted per
 * level, and the next line of that key says how many it stands for.
 */
import type { LogLevel } from './logger';
import { ExporterError } from '../errors';

export interface LogRateLimitOptions {
  /** Lines of one key let through at once; default 10. */
  burst?: number;
  /** Seconds for one key to earn one more line once its burst is spent; default 10. */
  refillSeconds?: number;
  /** Keys remembered at most, the least recently used forgotten first; default 10,000. */
  maxKeys?: number;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
}

const LOG_RATE_LIMIT_DEFAULTS = { burst: 10, refillSeconds: 10, maxKeys: 10_000 } as const;

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, ms. */
  at: number;
  /** Lines dropped since this key's last line. */
  suppressed: number;
}

export class LogRateLimiter {
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** In order of last use: a Map iterates in insertion order and a touched key is re-inserted. */
  private readonly buckets = new Map<string, Bucket>();
  private readonly suppressedTotals: Record<LogLevel, number> = { debug: 0, info: 0, warn: 0, error: 0 };

  constructor(options: LogRateLimitOptions = {}) {
    this.burst = options.burst ?? LOG_RATE_LIMIT_DEFAULTS.burst;
    this.refillMs = (options.refillSeconds ?? LOG_RATE_LIMIT_DEFAULTS.refillSeconds) * 1000;
    this.maxKeys = options.maxKeys ?? LOG_RATE_LIMIT_DEFAULTS.maxKeys;
    this.now = options.now ?? (() => performance.now());
    if (!(this.burst >= 1) || !(this.refillMs > 0) || !(this.maxKeys >= 1))
      throw new ExporterError(
        'ERR_INVALID_OPTION',
        'log rate limit: burst and maxKeys must be >= 1, refillSeconds > 0',
      );
  }

  /**
   * One line of `key` at `level`: undefined when it is to be dropped, else the number of lines of
   * that key dropped since its previous line (0 most of the time).
   */
  take(level: LogLevel, key: string): number | undefined {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
      bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) / this.refillMs);
      bucket.at = now;
    } else {
      bucket = { tokens: this.burst, at: now, suppressed: 0 };
      if (this.buckets.size >= this.maxKeys) this.forgetOldest();
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      bucket.suppressed++;
      this.suppressedTotals[level]++;
      return undefined;
    }
    bucket.tokens--;
    const suppressed = bucket.suppressed;
    bucket.suppressed = 0;
    return suppressed;
  }

  /** Lines dropped so far at `level`. */
  suppressed(level: LogLevel): number {
    return this.suppressedTotals[level];
  }

  /** Keys remembered now (at most `maxKeys`). */
  get keys(): number {
    return this.buckets.size;
  }

  private forgetOldest(): void {
    for (const key of this.buckets.keys()) {
      this.buckets.delete(key);
      return;
    }
  }
}
