import type { DeadlineClock, DeadlineTimer } from '../../../probes/inflight';

/** A manual DeadlineClock: time moves and timers fire only when the test says. */
export class FakeDeadlineClock implements DeadlineClock {
  private time = 0;
  private readonly timers: Array<{ due: number; callback: () => void; referenced: boolean }> = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): DeadlineTimer {
    const timer = { due: this.time + ms, callback, referenced: true };
    this.timers.push(timer);
    return {
      ref: () => (timer.referenced = true),
      unref: () => (timer.referenced = false),
    };
  }

  /** Timers armed and not fired yet. */
  get pending(): number {
    return this.timers.length;
  }

  /** Armed timers that keep the process alive. */
  get referenced(): number {
    return this.timers.filter((timer) => timer.referenced).length;
  }

  /** Moves time on without firing anything: a stalled event loop. */
  stall(ms: number): void {
    this.time += ms;
  }

  /** Moves time on, firing the timers due meanwhile in order (each at its due time). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.due - b.due);
      const next = this.timers[0];
      if (next === undefined || next.due > end) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.due);
      next.callback();
    }
    this.time = end;
  }
}
