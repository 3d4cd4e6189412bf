// CPU per fire of the exporter's TimerQueue with 10,000 periodic entries due once a second, spread
// over the second, each touching a 200-byte payload when it fires (as a job touches its prober,
// session and series) and queuing itself again: the scheduler's own cost at 10,000 targets, in
// process, behind a clock the bench advances one millisecond at a time (no Node timer, no sleep).
// Run it from two `bench/snapshot.sh` copies to compare two queues: it measures the code it is run from.
import { TimerQueue, type Clock, type QueuedTimer } from '../exporter/scheduler';
import { codeState, loadBefore, machineFacts } from './fixtures/bench-env';
import { publishResults, runBench } from './results-file';

const ENTRIES = 10_000;
const INTERVAL_MS = 1000;
const SIMULATED_MS = 200_000;
const RUNS = 5;

/** One armed timer at most (the queue keeps one), fired when the bench's time reaches it. */
class SteppedClock implements Clock {
  time = 0;
  private armed: { due: number; callback: () => void } | undefined;
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    this.armed = { due: this.time + ms, callback };
    return this.armed;
  }
  clearTimeout(handle: unknown): void {
    if (this.armed === handle) this.armed = undefined;
  }
  step(): void {
    this.time++;
    const armed = this.armed;
    if (armed && armed.due <= this.time) {
      this.armed = undefined;
      armed.callback();
    }
  }
}

class Job implements QueuedTimer {
  due = 0;
  queueIndex = -1;
  readonly payload = new Float64Array(25);
  constructor(private readonly queue: TimerQueue) {}
  fire(): void {
    this.payload[this.due % 25]!++;
    this.queue.schedule(this, this.due + INTERVAL_MS);
  }
}

function run(seed: number): { fires: number; microseconds: number } {
  const clock = new SteppedClock();
  const queue = new TimerQueue(clock);
  let state = seed;
  const random = (): number => (state = (state * 16807) % 2147483647) / 2147483647;
  const jobs = Array.from({ length: ENTRIES }, () => new Job(queue));
  for (const job of jobs) queue.schedule(job, Math.floor(random() * INTERVAL_MS));
  const before = process.cpuUsage();
  for (let ms = 0; ms < SIMULATED_MS; ms++) clock.step();
  const used = process.cpuUsage(before);
  const fires = jobs.reduce((sum, job) => sum + job.payload.reduce((a, b) => a + b, 0), 0);
  return { fires, microseconds: used.user + used.system };
}

async function main(): Promise<void> {
  const started = new Date();
  const load = loadBefore();
  const rows: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { fires, microseconds } = run(i + 1);
    rows.push(
      `| ${i + 1} | ${fires} | ${(microseconds / 1000).toFixed(0)} | ${(microseconds / fires).toFixed(3)} |`,
    );
  }
  publishResults('Timer queue', [
    `Run ${started.toISOString()}: ${machineFacts()}. ${load.line}` +
      (load.disturbed ? ` **All rows ${load.disturbed}.**` : ''),
    `Code measured: ${codeState()}.`,
    '',
    `${ENTRIES} periodic entries due every ${INTERVAL_MS} ms, spread over the interval, each touching a`,
    `200-byte payload when it fires and queuing itself again; ${SIMULATED_MS / 1000} s of a stepped clock`,
    "(1 ms steps, the queue's default batch of 5 ms) per run. CPU: process.cpuUsage over the steps.",
    '',
    '| run | fires | CPU (ms) | CPU per fire (µs) |',
    '|---|---|---|---|',
    ...rows,
  ]);
}

runBench(main);
