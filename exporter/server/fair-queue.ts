export interface FairQueueOptions {
  /** Tasks waiting or running, over all lanes; beyond, `run` refuses. Default 16. */
  maxQueued?: number;
  /** Tasks waiting or running in one lane; beyond, `run` refuses for that lane. Default 2. */
  maxPerLane?: number;
}

interface Job {
  readonly task: () => Promise<boolean>;
  readonly settle: (result: boolean) => void;
}

/**
 * Runs tasks one at a time, taking lanes in turn (round robin): a lane that floods the queue holds
 * at most `maxPerLane` places and gets one task per turn, so a task in another lane waits for at
 * most one task of each other lane ahead of it. A task that throws counts as `false`.
 */
export class FairQueue {
  private readonly maxQueued: number;
  private readonly maxPerLane: number;
  /** Waiting jobs by lane, in the order the lanes get their turn (Map keeps insertion order). */
  private readonly lanes = new Map<string, Job[]>();
  /** Jobs waiting or running, by lane. */
  private readonly held = new Map<string, number>();
  private total = 0;
  private running = false;

  constructor(options: FairQueueOptions = {}) {
    this.maxQueued = options.maxQueued ?? 16;
    this.maxPerLane = options.maxPerLane ?? 2;
  }

  /** Tasks waiting or running. */
  get size(): number {
    return this.total;
  }

  /** Queues `task` in `lane`; undefined (and the task not run) when the queue or the lane is full. */
  run(lane: string, task: () => Promise<boolean>): Promise<boolean> | undefined {
    const held = this.held.get(lane) ?? 0;
    if (this.total >= this.maxQueued || held >= this.maxPerLane) return undefined;
    this.held.set(lane, held + 1);
    this.total++;
    return new Promise<boolean>((settle) => {
      const waiting = this.lanes.get(lane);
      if (waiting) waiting.push({ task, settle });
      else this.lanes.set(lane, [{ task, settle }]);
      this.next();
    });
  }

  private next(): void {
    if (this.running) return;
    const turn = this.lanes.entries().next();
    if (turn.done) return;
    const [lane, jobs] = turn.value;
    const job = jobs.shift()!;
    // To the back of the line: the other lanes go first.
    this.lanes.delete(lane);
    if (jobs.length > 0) this.lanes.set(lane, jobs);
    this.running = true;
    const finish = (result: boolean): void => {
      this.running = false;
      const held = (this.held.get(lane) ?? 1) - 1;
      if (held > 0) this.held.set(lane, held);
      else this.held.delete(lane);
      this.total--;
      job.settle(result);
      this.next();
    };
    let started: Promise<boolean>;
    try {
      started = job.task();
    } catch {
      started = Promise.resolve(false);
    }
    started.then(finish, () => finish(false));
  }
}
