import { raceUntil, sleepUntil } from './wait';

export interface ProbeLoopOptions<R> {
  /** Probes to send; Infinity until stopped. */
  count: number;
  /** Milliseconds between two sends, counted from the first so the schedule never drifts. */
  intervalMs: number;
  /**
   * Probes in flight at most (⌈timeout / interval⌉, see probesInFlight): a send due while that many
   * wait is held until the oldest settles, so a stalled event loop never sends a burst of catch-up
   * probes beyond it. Default Infinity.
   */
  maxInFlight?: number;
  /** Sends one probe; resolves (never rejects) with its result. */
  probe: () => Promise<R>;
  /** Checked before each step: true ends the loop (the prober was closed). */
  stopped: () => boolean;
  signal?: AbortSignal | undefined;
}

/**
 * Sends probes on a drift-free schedule, several in flight when the timeout exceeds the interval,
 * and yields their results in sending order. Ends after `count` results, on abort or when stopped.
 */
async function* probeLoop<R>(options: ProbeLoopOptions<R>): AsyncGenerator<R, void, undefined> {
  const { count, intervalMs, probe, stopped, signal } = options;
  const maxInFlight = options.maxInFlight ?? Infinity;
  const inflight: Array<Promise<R>> = [];
  const start = performance.now();
  let sent = 0;
  for (let yielded = 0; yielded < count;) {
    if (signal?.aborted || stopped()) return;
    while (sent < count && inflight.length < maxInFlight && performance.now() >= start + sent * intervalMs) {
      inflight.push(probe());
      sent++;
    }
    const head = inflight[0];
    // Full: nothing is sent before the oldest settles, so only the head is waited for.
    const nextDue = sent < count && inflight.length < maxInFlight ? start + sent * intervalMs : Infinity;
    if (head) {
      const settled = await raceUntil(head, nextDue, signal);
      if (settled === undefined) continue;
      inflight.shift();
      yielded++;
      yield settled;
    } else {
      await sleepUntil(nextDue, signal);
    }
  }
}

/** probeLoop over a session's probe(), closing the session when the loop ends, however it ends. */
export async function* sessionLoop<R>(
  session: { probe(): Promise<R>; close(): void },
  options: Omit<ProbeLoopOptions<R>, 'probe'>,
): AsyncGenerator<R, void, undefined> {
  try {
    yield* probeLoop({ ...options, probe: () => session.probe() });
  } finally {
    session.close();
  }
}
