/** Milliseconds on a monotonic clock. */
export type MonotonicMs = () => number;

const monotonicMs: MonotonicMs = () => performance.now();

/**
 * exporter-toolkit's `rate_limit`: one token bucket for the whole server, whoever the client
 * (golang.org/x/time/rate's Limiter, as upstream builds it: rate.Every(interval), burst). It starts
 * full, earns one token per interval up to `burst`, and each request takes one or is refused.
 *
 * Tokens are counted as a fraction, refilled lazily from the clock on each take: no timer, and a
 * bucket left alone for an hour is simply full.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param intervalSeconds seconds to earn one token (> 0).
   * @param burst tokens held at most, and at start (≥ 1).
   * @param now the clock (default performance.now); tests inject their own.
   */
  constructor(
    readonly intervalSeconds: number,
    readonly burst: number,
    private readonly now: MonotonicMs = monotonicMs,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes a token if there is one: whether the request may go on. */
  take(): boolean {
    const now = this.now();
    const earned = (now - this.last) / (this.intervalSeconds * 1000);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + earned);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
