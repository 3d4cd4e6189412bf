/** Time for pacing: seconds on a monotonic clock, and a way to wait until a moment of it. */
export interface PacingClock {
  /** Seconds, monotonic. */
  now(): number;
  /** Resolves at `at` (seconds on now()'s clock), at once if it is past. */
  until(at: number): Promise<void>;
}

/** performance.now() and Node's timers. */
export const systemPacingClock: PacingClock = {
  now: () => performance.now() / 1000,
  until(at) {
    const ms = (at - performance.now() / 1000) * 1000;
    return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
  },
};
