import { setImmediate as nextTurn } from 'node:timers/promises';
import { diffConfig, type Config, type ConfigDiff } from '../config';

/** Targets compared per turn of the event loop: a turn of deep comparison stays short (see below). */
const DIFF_BATCH = 1000;

/** Target watches stopped or started per turn of the event loop, for the same reason. */
export const WATCH_BATCH = 200;

/**
 * diffConfig's result (the same lists in the same order), computed `batch` targets of `after` at a
 * time with a turn of the event loop between batches: comparing every target of a large config in
 * one turn would delay every probe timestamp of that turn (the stall of agent.reload:
 * bench/results.md, "Reload stall"). Target names are unique in a valid config.
 */
export async function diffConfigInBatches(
  before: Config,
  after: Config,
  batch = DIFF_BATCH,
): Promise<ConfigDiff> {
  const previous = new Map(before.targets.map((target) => [target.name, target]));
  const kept = new Set(after.targets.map((target) => target.name));
  // Targets of `after` left out: diffConfig then reports exactly the removed ones and the global changes.
  const diff = diffConfig(
    { ...before, targets: before.targets.filter((target) => !kept.has(target.name)) },
    { ...after, targets: [] },
  );
  for (let start = 0; start < after.targets.length; start += batch) {
    await nextTurn();
    const slice = after.targets.slice(start, start + batch);
    const matched = slice.flatMap((target) => previous.get(target.name) ?? []);
    const part = diffConfig({ ...before, targets: matched }, { ...after, targets: slice });
    diff.added.push(...part.added);
    diff.changed.push(...part.changed);
    diff.unchanged.push(...part.unchanged);
  }
  return diff;
}

/** Calls `each` on every item, with a turn of the event loop after every `batch` of them. */
export async function forEachInBatches<T>(
  items: readonly T[],
  batch: number,
  each: (item: T) => void,
): Promise<void> {
  for (let start = 0; start < items.length; start += batch) {
    if (start > 0) await nextTurn();
    for (const item of items.slice(start, start + batch)) each(item);
  }
}
