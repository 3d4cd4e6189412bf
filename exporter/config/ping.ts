import { DEFAULT_PING } from './defaults';
import { formatDuration } from './duration';
import { MAX_PING_SIZE, MIN_PING_SIZE } from './limits';
import type { Field, Reader } from './reader';
import { readDuration, readInteger } from './scalars';
import { builtIn, readBlock, reportConflict, type Settings, valuesOf } from './setting';
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
  size: (r: Reader, field: Field) => {
    const value = readInteger(r, field, MIN_PING_SIZE, MAX_PING_SIZE);
    return value === undefined ? undefined : { value, text: String(value) };
  },
  window: readDuration,
};

/** Reads a `ping` block (`defaults.ping` or a target's) over `base` and checks the merged values. */
export function readPing(
  r: Reader,
  field: Field | undefined,
  layer: number,
  base: PingSettings,
): PingSettings {
  const ping = capInheritedTimeout(readBlock(r, field, layer, base, READERS));
  const { interval, timeout, window } = ping;
  if (interval && timeout && timeout.value > interval.value) {
    reportConflict(r, layer, ['timeout', timeout], 'exceeds', ['interval', interval]);
  }
  if (interval && window && window.value < interval.value) {
    reportConflict(r, layer, ['window', window], 'is shorter than', ['interval', interval]);
  }
  return ping;
}

/**
 * A timeout inherited from a less specific layer than the interval (a target that only sets
 * `interval: 200ms` under the default 1s timeout) is cut to the interval instead of rejected:
 * the user asked for that interval, and never for the longer timeout.
 */
function capInheritedTimeout(ping: PingSettings): PingSettings {
  const { interval, timeout } = ping;
  if (!interval || !timeout || timeout.layer >= interval.layer || timeout.value <= interval.value)
    return ping;
  return { ...ping, timeout: { ...interval } };
}

export function pingConfig(settings: PingSettings): PingProbeConfig | undefined {
  return valuesOf(settings);
}
