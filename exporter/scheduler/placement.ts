import { spreadOffset } from './spread';

/** Jobs of one interval placed together, in the order they start (see JobPlacement). */
export const PLACEMENT_BLOCK = 64;

/** 1/φ: block k starts at frac(k/φ) of the interval, the most even spread of a sequence of any length. */
const INVERSE_GOLDEN_RATIO = (Math.sqrt(5) - 1) / 2;

/**
 * Where in its interval each job's ticks fall. The first PLACEMENT_BLOCK jobs of an interval are
 * spread by a hash of their key (spreadOffset), as every job once was; from there on, jobs come in
 * blocks of PLACEMENT_BLOCK in the order they start, each block within 1/PLACEMENT_BLOCK of the
 * interval, the blocks themselves spread over it by the golden ratio (any number of blocks is then
 * spread about evenly, with no total known in advance).
 *
 * Why blocks: a job's state (its runner, session, series, history) is allocated when it starts, so
 * jobs started one after another sit next to each other in memory. Run in the same order, one after
 * another, a probe finds most of its state in the cache lines the previous one brought in; spread by
 * hash, every probe of ten thousand a second met cold memory, and the exporter spent about a quarter
 * of its user time waiting for it (bench/results.md, "Exporter side by side: jobs placed in start order").
 * Below a block there is nothing to gain (the state of a few dozen jobs stays in the cache), and the
 * hash keeps a few targets' probes apart in time, as routers' ICMP rate limits and pacing prefer.
 *
 * Invariant: a job's offset is fixed when it starts; stopping jobs leaves their places empty (the
 * count of an interval never goes back), so jobs started later (a reload's) form blocks of their own.
 */
export class JobPlacement {
  /** Jobs started so far, per interval (ms). */
  private readonly started = new Map<number, number>();

  /** The offset in [0, intervalMs) of the next job of this interval, `key` naming it. */
  offset(key: string, intervalMs: number): number {
    const index = this.started.get(intervalMs) ?? 0;
    this.started.set(intervalMs, index + 1);
    return placedOffset(index, key, intervalMs);
  }
}

/** The offset of the job started `index`-th (from 0) among those of its interval. */
export function placedOffset(index: number, key: string, intervalMs: number): number {
  const block = Math.floor(index / PLACEMENT_BLOCK);
  if (block === 0) return spreadOffset(key, intervalMs);
  const start = (block * INVERSE_GOLDEN_RATIO) % 1;
  const within = (index % PLACEMENT_BLOCK) / (PLACEMENT_BLOCK * PLACEMENT_BLOCK);
  return ((start + within) % 1) * intervalMs;
}
