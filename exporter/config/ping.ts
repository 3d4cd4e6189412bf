import { DEFAULT_PING } from './defaults';
import { formatDuration } from './duration';
import { MAX_PING_SIZE, MIN_PING_SIZE } from './limits';
import type { Field, Reader } from './reader';
import { integerValue, readDuration } from './scalars';
import { builtIn, readBlock, type Settings, valuesOf } from './setting';
import { checkTiming } from './timing';
import type { PingProbeConfig } from './types';

export type PingSettings = Settings<keyof PingProbeConfig>;

export const BUILT_IN_PING: PingSettings = {
  interval: builtIn(DEFAULT_PING.interval, formatDuration(DEFAULT_PING.interval)),
  timeout: builtIn(DEFAULT_PING.timeout, formatDuration(DEFAULT_PING.timeout)),
  size: builtIn(DEFAULT_PING.size, String(DEFAULT_PING.size)),
  window: builtIn(DEFAULT_PING.window, formatDuration(DEFAULT_PING.window)),
};

const READERS = {
  interval: readDuration,
  timeout: readDuration,
  size: integerValue(MIN_PING_SIZE, MAX_PING_SIZE),
  window: readDuration,
};

/** Reads a `ping` block (`defaults.ping` or a target's) over `base` and checks the merged values. */
export function readPing(
  r: Reader,
  field: Field | undefined,
  layer: number,
  base: PingSettings,
): PingSettings {
  return checkTiming(r, layer, readBlock(r, field, layer, base, READERS));
}

export function pingConfig(settings: PingSettings): PingProbeConfig | undefined {
  return valuesOf(settings);
}
