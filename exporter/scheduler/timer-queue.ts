import type { Clock } from './clock';

/** An entry of a TimerQueue: the queue keeps its position in the entry itself, so scheduling allocates nothing. */
export interface QueuedTimer {
  /** Clock milliseconds at which fire() is due; set by the queue. */
  due: number;
  /** Position in the queue (its index in its slot), -1 when not queued; owned by the queue. */
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
 * starts at most batchMs early (plus the millisecond a Node timer may fire early), and its ticks
 * keep their period (they are counted from its first due time).
 */
const DEFAULT_BATCH_MS = 5;

/**
 * Many timers behind one clock timer, in slots of batchMs: slot k holds the entries due in
 * [k·batchMs, (k+1)·batchMs), in the order they were queued, and a small heap holds the slot numbers.
 * Ten thousand jobs due every second then cost one clock timer per wake-up instead of a short-lived
 * Timeout object per run, and queuing or taking an entry is an array push or a swap, where a heap
 * of the entries themselves took ~13 sift steps each, every step a write to another entry scattered
 * over memory (a cache miss a step: bench/results.md, "Timer queue" and "Exporter, 2026-12-03").
 *
 * Invariants: `slots` and `slotHeap` hold the same slot numbers, each once (a slot emptied by
 * cancels stays until it comes up); an entry is in exactly one slot's array, at its queueIndex, or
 * has queueIndex -1; `count` is the number of queued entries.
 */
export class TimerQueue {
  private readonly slots = new Map<number, QueuedTimer[]>();
  private readonly slotHeap: number[] = [];
  /** Emptied slot arrays, reused: a wake-up then allocates nothing. */
  private readonly spare: QueuedTimer[][] = [];
  private readonly firing: QueuedTimer[][] = [];
  private count = 0;
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
    return this.count;
  }

  /** Queues `entry` to fire at `due` (clock milliseconds), replacing its previous due time if queued. */
  schedule(entry: QueuedTimer, due: number): void {
    if (entry.queueIndex >= 0) this.remove(entry);
    entry.due = due;
    const slot = Math.floor(due / this.batchMs);
    let queued = this.slots.get(slot);
    if (queued === undefined) {
      queued = this.spare.pop() ?? [];
      this.slots.set(slot, queued);
      pushSlot(this.slotHeap, slot);
    }
    entry.queueIndex = queued.length;
    queued.push(entry);
    this.count++;
    const at = slot * this.batchMs;
    if (at < this.armedFor) this.arm(at);
  }

  cancel(entry: QueuedTimer): void {
    if (entry.queueIndex >= 0) this.remove(entry);
    if (this.count === 0) this.disarm();
  }

  /** Cancels everything queued. Idempotent. */
  clear(): void {
    for (const queued of this.slots.values()) for (const entry of queued) entry.queueIndex = -1;
    this.slots.clear();
    this.slotHeap.length = 0;
    this.count = 0;
    this.disarm();
  }

  private readonly wake = (): void => {
    this.handle = undefined;
    this.armedFor = Infinity;
    // A Node timer may fire up to 1 ms before a fractional due time: a slot starting within that
    // millisecond is served now rather than by a second wake-up right behind this one.
    const limit = this.clock.now() + 1;
    // Take every due slot before firing any: an entry re-queued by its own fire() waits for the next wake.
    const { firing, slotHeap } = this;
    while (slotHeap.length > 0 && slotHeap[0]! * this.batchMs < limit) {
      const slot = popSlot(slotHeap);
      const queued = this.slots.get(slot)!;
      this.slots.delete(slot);
      for (const entry of queued) entry.queueIndex = -1;
      this.count -= queued.length;
      firing.push(queued);
    }
    let slotIndex = 0;
    let entryIndex = 0;
    try {
      for (; slotIndex < firing.length; slotIndex++) {
        const queued = firing[slotIndex]!;
        for (entryIndex = 0; entryIndex < queued.length; entryIndex++) queued[entryIndex]!.fire();
      }
    } finally {
      // After a throw, the entries not yet fired wait for the next wake-up.
      for (let i = slotIndex; i < firing.length; i++) {
        const queued = firing[i]!;
        for (let j = i === slotIndex ? entryIndex + 1 : 0; j < queued.length; j++)
          this.schedule(queued[j]!, queued[j]!.due);
      }
      for (const queued of firing) {
        queued.length = 0;
        this.spare.push(queued);
      }
      firing.length = 0;
      const head = slotHeap[0];
      if (head !== undefined && head * this.batchMs < this.armedFor) this.arm(head * this.batchMs);
    }
  };

  private arm(at: number): void {
    this.disarm();
    this.armedFor = at;
    this.handle = this.clock.setTimeout(this.wake, Math.max(0, at - this.clock.now()));
  }

  private disarm(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedFor = Infinity;
  }

  /** Takes `entry` out of its slot: the slot's last entry moves into its place. */
  private remove(entry: QueuedTimer): void {
    const queued = this.slots.get(Math.floor(entry.due / this.batchMs))!;
    const last = queued.pop()!;
    if (last !== entry) {
      queued[entry.queueIndex] = last;
      last.queueIndex = entry.queueIndex;
    }
    entry.queueIndex = -1;
    this.count--;
  }
}

/** Binary min-heap of slot numbers: a few hundred at most (interval / batchMs per distinct interval). */
function pushSlot(heap: number[], slot: number): void {
  let index = heap.length;
  heap.push(slot);
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (heap[parent]! <= slot) break;
    heap[index] = heap[parent]!;
    index = parent;
  }
  heap[index] = slot;
}

function popSlot(heap: number[]): number {
  const top = heap[0]!;
  const last = heap.pop()!;
  const length = heap.length;
  if (length === 0) return top;
  let index = 0;
  for (;;) {
    let child = 2 * index + 1;
    if (child >= length) break;
    if (child + 1 < length && heap[child + 1]! < heap[child]!) child++;
    if (heap[child]! >= last) break;
    heap[index] = heap[child]!;
    index = child;
  }
  heap[index] = last;
  return top;
}
