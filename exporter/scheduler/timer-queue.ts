import type { Clock } from './clock';

/** An entry of a TimerQueue: the queue keeps its position in the entry itself, so scheduling allocates nothing. */
export interface QueuedTimer {
  /** Clock milliseconds at which fire() is due; set by the queue. */
  due: number;
  /** Position in the queue's heap, -1 when not queued; owned by the queue. */
  queueIndex: number;
  /** Should not throw: a throw ends the wake-up, and the entries due with it wait for the next one. */
  fire(): void;
}

export interface TimerQueueOptions {
  /**
   * Entries due within this many milliseconds of a wake-up fire in it, early: one wake-up serves a
   * batch. Default 5. At least 1 (Node timers have millisecond resolution and may wake a fraction
   * of a millisecond before a fractional due time).
   */
  batchMs?: number;
}

/**
 * Thousands of jobs a second spread over their interval would wake the process about every
 * millisecond; each wake-up is a sleep and a wake of the thread, often on the other CPU, a cost paid
 * per wake-up rather than per job. Batching bounds the wake-ups to 1000 / batchMs a second whatever
 * the number of jobs (the exporter's CPU at 10,000 targets: bench/results.md, "Exporter"). A job
 * starts at most that early, and its ticks keep their period (they are counted from its first due time).
 */
const DEFAULT_BATCH_MS = 5;

/**
 * Many timers behind one clock timer: a binary heap by due time, woken for its earliest entry.
 * Ten thousand jobs each due every second then cost one clock timer per wake-up instead of one
 * short-lived Timeout object per run, and entries due together fire in one callback.
 */
export class TimerQueue {
  private readonly heap: QueuedTimer[] = [];
  /**
   * heap[i].due, side by side: sifting compares dues in one contiguous array instead of loading
   * them from entries scattered over the heap, a cache miss per comparison once the heap is large.
   */
  private dues = new Float64Array(1024);
  private readonly firing: QueuedTimer[] = [];
  private handle: unknown;
  private armedFor = Infinity;
  private readonly batchMs: number;

  constructor(
    readonly clock: Clock,
    options: TimerQueueOptions = {},
  ) {
    this.batchMs = Math.max(1, options.batchMs ?? DEFAULT_BATCH_MS);
  }

  now(): number {
    return this.clock.now();
  }

  get size(): number {
    return this.heap.length;
  }

  /** Queues `entry` to fire at `due` (clock milliseconds), replacing its previous due time if queued. */
  schedule(entry: QueuedTimer, due: number): void {
    if (entry.queueIndex >= 0) this.removeAt(entry.queueIndex);
    entry.due = due;
    const index = this.heap.length;
    if (index === this.dues.length) {
      const dues = new Float64Array(index * 2);
      dues.set(this.dues);
      this.dues = dues;
    }
    this.heap.push(entry);
    this.dues[index] = due;
    entry.queueIndex = index;
    this.siftUp(index);
    if (due < this.armedFor) this.arm(due);
  }

  cancel(entry: QueuedTimer): void {
    if (entry.queueIndex >= 0) this.removeAt(entry.queueIndex);
    if (this.heap.length === 0) this.disarm();
  }

  /** Cancels everything queued. Idempotent. */
  clear(): void {
    for (const entry of this.heap) entry.queueIndex = -1;
    this.heap.length = 0;
    this.disarm();
  }

  private readonly wake = (): void => {
    this.handle = undefined;
    this.armedFor = Infinity;
    const limit = this.clock.now() + this.batchMs;
    // Take every due entry before firing any: an entry re-queued by its own fire() waits for the next wake.
    const firing = this.firing;
    while (this.heap.length > 0 && this.dues[0]! <= limit) firing.push(this.pop());
    let i = 0;
    try {
      for (; i < firing.length; i++) firing[i]!.fire();
    } finally {
      for (let j = i + 1; j < firing.length; j++) this.schedule(firing[j]!, firing[j]!.due);
      firing.length = 0;
      const head = this.heap[0];
      if (head && head.due < this.armedFor) this.arm(head.due);
    }
  };

  private arm(due: number): void {
    this.disarm();
    this.armedFor = due;
    this.handle = this.clock.setTimeout(this.wake, Math.max(0, due - this.clock.now()));
  }

  private disarm(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedFor = Infinity;
  }

  private pop(): QueuedTimer {
    const top = this.heap[0]!;
    this.removeAt(0);
    return top;
  }

  private removeAt(index: number): void {
    const { heap, dues } = this;
    const removed = heap[index]!;
    const last = heap.pop()!;
    removed.queueIndex = -1;
    if (index === heap.length) return;
    heap[index] = last;
    dues[index] = dues[heap.length]!;
    last.queueIndex = index;
    this.siftDown(index);
    this.siftUp(last.queueIndex);
  }

  private siftUp(index: number): void {
    const { heap, dues } = this;
    const entry = heap[index]!;
    const due = dues[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      if (dues[parentIndex]! <= due) break;
      const parent = heap[parentIndex]!;
      heap[index] = parent;
      dues[index] = dues[parentIndex]!;
      parent.queueIndex = index;
      index = parentIndex;
    }
    heap[index] = entry;
    dues[index] = due;
    entry.queueIndex = index;
  }

  private siftDown(index: number): void {
    const { heap, dues } = this;
    const entry = heap[index]!;
    const due = dues[index]!;
    const length = heap.length;
    const half = length >> 1;
    while (index < half) {
      let childIndex = 2 * index + 1;
      const right = childIndex + 1;
      if (right < length && dues[right]! < dues[childIndex]!) childIndex = right;
      const childDue = dues[childIndex]!;
      if (due <= childDue) break;
      const child = heap[childIndex]!;
      heap[index] = child;
      dues[index] = childDue;
      child.queueIndex = index;
      index = childIndex;
    }
    heap[index] = entry;
    dues[index] = due;
    entry.queueIndex = index;
  }
}
