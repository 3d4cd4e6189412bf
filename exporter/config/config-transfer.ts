import { setImmediate as nextTurn } from 'node:timers/promises';
import { deserialize, serialize } from 'node:v8';
import { deepFreeze } from './freeze';
import type { Config, TargetConfig } from './types';

/**
 * Targets per part: the receiving thread handles one part per turn of its event loop, so a part
 * bounds the turn (the stall of a WorkerConfigLoader load: bench/results.md, "Reload stall").
 */
const TARGETS_PER_PART = 500;

/** Consecutive targets, each encoded on its own: target i is bytes[ends[i-1] ?? 0, ends[i]). */
export interface TargetPart {
  readonly bytes: Uint8Array;
  readonly ends: readonly number[];
}

/** A Config as bytes for another thread, in structured-clone encoding (v8.serialize): an exact copy. */
export interface ConfigParts {
  /** The config with an empty target list. */
  readonly head: Uint8Array;
  readonly targets: readonly TargetPart[];
}

/** The targets of the last config joined, by their encoding: reused when a later config has them unchanged. */
export type KnownTargets = ReadonlyMap<string, TargetConfig>;

export function splitConfig(config: Config, perPart = TARGETS_PER_PART): ConfigParts {
  const targets: TargetPart[] = [];
  for (let start = 0; start < config.targets.length; start += perPart) {
    const encoded = config.targets.slice(start, start + perPart).map((target) => serialize(target));
    let end = 0;
    targets.push({ bytes: Buffer.concat(encoded), ends: encoded.map((bytes) => (end += bytes.length)) });
  }
  return { head: serialize({ ...config, targets: [] }), targets };
}

/**
 * The deep-frozen Config of splitConfig's parts, one part per turn of the event loop, so that a
 * large config never holds it for long. A target whose encoding is in `known`
 * is that same (frozen, equal) object: an unchanged target costs no allocation, and the reload's
 * diff sees it identical at once. Also returns the targets of this config, to pass as `known` next time.
 */
export async function joinConfig(
  parts: ConfigParts,
  known: KnownTargets = new Map(),
): Promise<{ config: Config; known: KnownTargets }> {
  const config = deserialize(parts.head) as { -readonly [K in keyof Config]: Config[K] };
  for (const value of Object.values(config)) deepFreeze(value);
  const targets: TargetConfig[] = [];
  const next = new Map<string, TargetConfig>();
  for (const { bytes, ends } of parts.targets) {
    await nextTurn();
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let start = 0;
    for (const end of ends) {
      const key = buffer.toString('latin1', start, end);
      const target = known.get(key) ?? (deepFreeze(deserialize(buffer.subarray(start, end))) as TargetConfig);
      targets.push(target);
      next.set(key, target);
      start = end;
    }
  }
  config.targets = Object.freeze(targets);
  return { config: Object.freeze(config), known: next };
}
