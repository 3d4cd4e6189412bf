import { DEFAULT_NATIVE_HISTOGRAMS } from './defaults';
import type { Config, TargetConfig } from './types';

/** What changed between two configs, e.g. on reload. */
export interface ConfigDiff {
  /** In `after` only. */
  added: TargetConfig[];
  /** In `before` only. */
  removed: TargetConfig[];
  changed: Array<{ before: TargetConfig; after: TargetConfig }>;
  /** The `after` instances. */
  unchanged: TargetConfig[];
  /** bind, histogram buckets (classic or native) or dns differ: every target must restart. */
  globalChanged: boolean;
  /**
   * The OpenTelemetry cardinality limit differs (its default follows the number of targets). It is
   * a setting of the MeterProvider's views, fixed when the provider is built: it takes effect at
   * restart, and never restarts targets.
   */
  cardinalityLimitChanged: boolean;
}

/** Matches targets by name and compares their merged config. */
export function diffConfig(before: Config, after: Config): ConfigDiff {
  const previous = new Map(before.targets.map((target) => [target.name, target]));
  const kept = new Set(after.targets.map((target) => target.name));
  const diff: ConfigDiff = {
    added: [],
    removed: before.targets.filter((target) => !kept.has(target.name)),
    changed: [],
    unchanged: [],
    globalChanged:
      !deepEqual(before.bind, after.bind) ||
      !deepEqual(before.histogramBuckets, after.histogramBuckets) ||
      // Absent is the defaults: writing them out changes nothing.
      !deepEqual(
        before.nativeHistograms ?? DEFAULT_NATIVE_HISTOGRAMS,
        after.nativeHistograms ?? DEFAULT_NATIVE_HISTOGRAMS,
      ) ||
      !deepEqual(before.dns, after.dns),
    cardinalityLimitChanged: before.cardinalityLimit !== after.cardinalityLimit,
  };
  for (const target of after.targets) {
    const old = previous.get(target.name);
    if (!old) diff.added.push(target);
    else if (deepEqual(old, target)) diff.unchanged.push(target);
    else diff.changed.push({ before: old, after: target });
  }
  return diff;
}

/** Equality of plain data: primitives, arrays and objects, whatever their key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every(
    (key) => Object.hasOwn(b, key) && deepEqual((a as Record<string, unknown>)[key], bRecord[key]),
  );
}
