import type { PacingClock } from '../../../../probes/trace/pacing/pacing-clock';

/** A clock the test moves: until() resolves once advance() passes its moment. */
export class FakeClock implements PacingClock {
  private time = 0;
  private waiting: Array<{ at: number; resolve: () => void }> = [];

  now(): number {
    return this.time;
  }

  until(at: number): Promise<void> {
    if (at <= this.time) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ at, resolve }));
  }

  /** Moves time forward to each moment something waits for in turn, letting what it releases run before the next. */
  async advance(seconds: number): Promise<void> {
    const end = this.time + seconds;
    for (;;) {
      await flush();
      const next = Math.min(...this.waiting.map((w) => w.at));
      if (!(next <= end)) break;
      this.time = Math.max(this.time, next);
      const due = this.waiting.filter((w) => w.at <= this.time);
      this.waiting = this.waiting.filter((w) => w.at > this.time);
      for (const w of due) w.resolve();
    }
    this.time = end;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
