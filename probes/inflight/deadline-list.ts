/** An entry of a DeadlineList; the list links entries through these fields, so adding allocates nothing. */
export interface DeadlineEntry {
  /** Milliseconds of the list's clock; set by the list. */
  deadline: number;
  deadlinePrev: DeadlineEntry | null;
  deadlineNext: DeadlineEntry | null;
  /** Called once the deadline passed, after the entry left the list. */
  expire(): void;
}

/** The one timer of a DeadlineList; `ref` says whether it keeps the process alive (Node's Timeout is one). */
export interface DeadlineTimer {
  ref(): unknown;
  unref(): unknown;
}

/** Time and timers of a DeadlineList, injected so that tests need not wait. */
export interface DeadlineClock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): DeadlineTimer;
}

/** performance.now() and Node's timers. */
const systemDeadlineClock: DeadlineClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
};

/**
 * Timeouts of one duration: a FIFO is then also in deadline order, so adding and removing are
 * O(1) and one timer, armed for the oldest entry, serves them all (Node's own timer lists work
 * so). Replaces a Timeout object per probe, most of them cleared as soon as the reply arrives.
 * The timer keeps the process alive while entries wait, as a setTimeout per probe would.
 */
export class DeadlineList {
  private head: DeadlineEntry | null = null;
  private tail: DeadlineEntry | null = null;
  private count = 0;
  private timer: DeadlineTimer | undefined;

  constructor(
    readonly durationMs: number,
    private readonly clock: DeadlineClock = systemDeadlineClock,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Starts `entry`'s timeout now. */
  add(entry: DeadlineEntry): void {
    entry.deadline = this.clock.now() + this.durationMs;
    entry.deadlinePrev = this.tail;
    entry.deadlineNext = null;
    if (this.tail) this.tail.deadlineNext = entry;
    else this.head = entry;
    this.tail = entry;
    this.count++;
    if (this.timer === undefined) this.arm(entry.deadline);
    else if (this.count === 1) this.timer.ref();
  }

  /** Removes `entry` if it is in the list (settled before its deadline). */
  remove(entry: DeadlineEntry): void {
    if (entry.deadlinePrev === null && this.head !== entry) return;
    if (entry.deadlinePrev) entry.deadlinePrev.deadlineNext = entry.deadlineNext;
    else this.head = entry.deadlineNext;
    if (entry.deadlineNext) entry.deadlineNext.deadlinePrev = entry.deadlinePrev;
    else this.tail = entry.deadlinePrev;
    entry.deadlinePrev = entry.deadlineNext = null;
    this.count--;
    // An idle list keeps its timer (re-arming it per probe would cost a Timeout each), but the
    // timer no longer keeps the process alive.
    if (this.count === 0) this.timer?.unref();
  }

  private arm(deadline: number): void {
    this.timer = this.clock.setTimeout(this.wake, Math.max(1, Math.ceil(deadline - this.clock.now())));
  }

  private readonly wake = (): void => {
    this.timer = undefined;
    const now = this.clock.now();
    // expire() may remove other entries (it reads the socket first): always take the current head.
    for (let entry = this.head; entry !== null && entry.deadline <= now; entry = this.head) {
      this.remove(entry);
      entry.expire();
    }
    if (this.head && this.timer === undefined) this.arm(this.head.deadline);
  };
}

/** One DeadlineList per duration, created on first use. */
export class Deadlines {
  private readonly lists = new Map<number, DeadlineList>();

  constructor(private readonly clock: DeadlineClock = systemDeadlineClock) {}

  forDuration(durationMs: number): DeadlineList {
    let list = this.lists.get(durationMs);
    if (!list) this.lists.set(durationMs, (list = new DeadlineList(durationMs, this.clock)));
    return list;
  }
}
