import type { Shard } from '../config';
import { usageError } from '../errors';
import { envValue, type Environment } from './environment';

/** Jump consistent hashing takes up to 2^31 buckets; far more replicas than anyone runs. */
const MAX_SHARD_COUNT = 2 ** 31 - 1;

export interface ShardFlags {
  /** --shard.index */
  index?: string | undefined;
  /** --shard.count */
  count?: string | undefined;
  /** --shard.from-hostname: the index is the ordinal suffix `-<n>` of the agent's name. */
  fromHostname?: boolean | undefined;
}

/**
 * This replica's shard, or undefined when sharding is off (no flag and no variable). Flags win over
 * NETDIAG_SHARD_INDEX / NETDIAG_SHARD_COUNT; --shard.from-hostname reads the index from `name`
 * (POD_NAME, HOSTNAME or the host name: `netdiag-exporter-2` is shard 2, as in a StatefulSet).
 */
export function resolveShard(flags: ShardFlags, env: Environment, name: string): Shard | undefined {
  if (flags.fromHostname && flags.index !== undefined)
    throw usageError('--shard.index and --shard.from-hostname both set the shard index: give one');
  const index = flags.fromHostname
    ? ordinalOf(name)
    : flags.index !== undefined
      ? integer('--shard.index', flags.index)
      : optionalInteger(env, 'NETDIAG_SHARD_INDEX');
  const count =
    flags.count !== undefined
      ? integer('--shard.count', flags.count)
      : optionalInteger(env, 'NETDIAG_SHARD_COUNT');
  if (index === undefined && count === undefined) return undefined;
  if (count === undefined)
    throw usageError('a shard index needs a shard count: set --shard.count or NETDIAG_SHARD_COUNT');
  if (index === undefined)
    throw usageError(
      'a shard count needs a shard index: set --shard.index, NETDIAG_SHARD_INDEX or --shard.from-hostname',
    );
  if (count < 1 || count > MAX_SHARD_COUNT)
    throw usageError(`shard count must be from 1 to ${MAX_SHARD_COUNT}, got ${count}`);
  if (index >= count)
    throw usageError(
      `shard index ${index} is out of range for ${count} shard(s): it must be from 0 to ${count - 1}`,
    );
  return { index, count };
}

function ordinalOf(name: string): number {
  const match = /-(\d+)$/.exec(name);
  if (!match?.[1])
    throw usageError(`--shard.from-hostname: "${name}" does not end in -<ordinal> (e.g. netdiag-exporter-0)`);
  return integer('--shard.from-hostname', match[1]);
}

function optionalInteger(env: Environment, name: string): number | undefined {
  const text = envValue(env, name);
  return text === undefined ? undefined : integer(name, text);
}

function integer(source: string, text: string): number {
  const value = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) throw usageError(`${source}: "${text}" is not a non-negative integer`);
  return value;
}
