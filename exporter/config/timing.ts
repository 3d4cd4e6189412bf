import type { Reader } from './reader';
import { reportConflict, type Setting } from './setting';

/** The timing keys a probe block may have; `window` only where loss is computed over a window. */
interface Timing {
  readonly interval: Setting | null;
  readonly timeout: Setting | null;
  readonly window?: Setting | null;
}

/**
 * Checks the merged timing of a probe block read in `layer`: the timeout is at most the interval
 * (after capping an inherited one) and the window, if any, at least the interval.
 */
export function checkTiming<Block extends Timing>(r: Reader, layer: number, block: Block): Block {
  const checked = capInheritedTimeout(block);
  const { interval, timeout, window } = checked;
  if (interval && timeout && timeout.value > interval.value) {
    reportConflict(r, layer, ['timeout', timeout], 'exceeds', ['interval', interval]);
  }
  if (interval && window && window.value < interval.value) {
    reportConflict(r, layer, ['window', window], 'is shorter than', ['interval', interval]);
  }
  return checked;
}

/**
 * A timeout inherited from a less specific layer than the interval (a target that only sets
 * `interval: 200ms` under the default 1s timeout) is cut to the interval instead of rejected:
 * the user asked for that interval, and never for the longer timeout.
 */
function capInheritedTimeout<Block extends Timing>(block: Block): Block {
  const { interval, timeout } = block;
  if (!interval || !timeout || timeout.layer >= interval.layer || timeout.value <= interval.value)
    return block;
  return { ...block, timeout: { ...interval } };
}
