import { MAX_PROBES_IN_FLIGHT } from './limits';
import type { Reader } from './reader';
import { reportConflict, type Setting } from './setting';

/** The timing keys a probe block may have; `window` only where loss is computed over a window. */
interface Timing {
  readonly interval: Setting | null;
  readonly timeout: Setting | null;
  readonly window?: Setting | null;
}

/**
 * Checks the merged timing of a probe block read in `layer`: the timeout at most `maxInFlight`
 * intervals (default MAX_PROBES_IN_FLIGHT; 1 for a trace, whose runs never overlap), and the
 * window, if any, at least the interval.
 *
 * A timeout longer than the interval is allowed, as fping and iputils allow it (a 200 ms interval
 * over a 600 ms satellite link): requests overlap, at most ⌈timeout / interval⌉ per address in
 * flight, each counted lost only at its own deadline. One inherited from a less specific layer than
 * the interval is cut to it first (capInheritedTimeout).
 */
export function checkTiming<Block extends Timing>(
  r: Reader,
  layer: number,
  block: Block,
  maxInFlight = MAX_PROBES_IN_FLIGHT,
): Block {
  const checked = capInheritedTimeout(block);
  const { interval, timeout, window } = checked;
  if (interval && timeout && inFlight(timeout.value, interval.value) > maxInFlight) {
    const relation = maxInFlight === 1 ? 'exceeds' : `exceeds ${maxInFlight} times`;
    reportConflict(r, layer, ['timeout', timeout], relation, ['interval', interval]);
  }
  if (interval && window && window.value < interval.value) {
    reportConflict(r, layer, ['window', window], 'is shorter than', ['interval', interval]);
  }
  return checked;
}

/**
 * A timeout inherited from a less specific layer than the interval (a target that only sets
 * `interval: 200ms` under the default 1s timeout) is cut to the interval: the user asked for that
 * interval, and never for requests that overlap. A timeout set with the interval, or more
 * specifically, is kept, overlap and all.
 */
function capInheritedTimeout<Block extends Timing>(block: Block): Block {
  const { interval, timeout } = block;
  if (!interval || !timeout || timeout.layer >= interval.layer || timeout.value <= interval.value)
    return block;
  return { ...block, timeout: { ...interval } };
}

/** ⌈timeout / interval⌉ on whole microseconds, as the library's probesInFlight (0.6 s / 0.2 s is 3). */
function inFlight(timeout: number, interval: number): number {
  return Math.ceil(Math.round(timeout * 1e6) / Math.round(interval * 1e6));
}
