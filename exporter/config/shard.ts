import { createHash } from 'node:crypto';
import { deepFreeze } from './freeze';
import type { Config } from './types';

/** This replica's part of the target list: shard `index` of `count` (0 ≤ index < count). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

const MASK_64 = (1n << 64n) - 1n;

/**
 * The shard of a target name among `count`: the jump consistent hash of the first 8 bytes of
 * SHA-1(name) read as a big-endian uint64. Stable across runs and hosts; when `count` grows by one,
 * only about 1/(count+1) of the names move, all of them to the new shard.
 */
export function shardOf(name: string, count: number): number {
  return jumpHash(createHash('sha1').update(name).digest().readBigUInt64BE(0), count);
}

/** Jump consistent hash (Lamping & Veach 2014, "A Fast, Minimal Memory, Consistent Hash Algorithm"). */
export function jumpHash(key: bigint, buckets: number): number {
  let state = key & MASK_64;
  let bucket = -1;
  for (let next = 0; next < buckets;) {
    bucket = next;
    state = (state * 2862933555777941757n + 1n) & MASK_64;
    next = Math.floor((bucket + 1) * (2 ** 31 / (Number(state >> 33n) + 1)));
  }
  return bucket;
}

/**
 * The config with only the targets of `shard`; the config itself when there is one shard. The
 * cardinality limit stays the whole list's, an upper bound for every shard.
 */
export function selectShard(config: Config, shard: Shard): Config {
  if (shard.count === 1) return config;
  const targets = config.targets.filter((target) => shardOf(target.name, shard.count) === shard.index);
  return deepFreeze({ ...config, targets });
}
