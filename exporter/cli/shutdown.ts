import type { Logger } from '../logging';

/** One thing to stop at shutdown, named for the log. */
export interface ShutdownStep {
  readonly name: string;
  readonly run: () => Promise<unknown>;
}

/** 'done': every step finished; 'failed': one threw; 'timeout': the deadline passed first. */
export type ShutdownOutcome = 'done' | 'failed' | 'timeout';

export interface ShutdownOptions {
  /** The whole sequence must finish within this (milliseconds). */
  deadlineMs: number;
  logger: Logger;
  /** Calls `callback` after `ms` without keeping the process alive; returns a cancel. Default: an unref'd setTimeout. */
  schedule?: (callback: () => void, ms: number) => () => void;
}

/**
 * Runs the steps in order. Resolves 'done' when they all finished, 'failed' when one threw (it is
 * logged, code ERR_SHUTDOWN_STEP, and the next one still runs), or 'timeout' at the deadline
 * (logging the step still running, code ERR_SHUTDOWN_TIMEOUT) so that the caller can exit anyway:
 * a step stuck on a handle the event loop cannot drop (a worker blocked in a read, a socket a
 * peer holds) must not keep a SIGTERMed process alive.
 */
export async function runShutdown(
  steps: readonly ShutdownStep[],
  options: ShutdownOptions,
): Promise<ShutdownOutcome> {
  const { logger } = options;
  const schedule = options.schedule ?? unrefTimeout;
  let current = '';
  const sequence = (async (): Promise<'done' | 'failed'> => {
    let failed = false;
    for (const step of steps) {
      current = step.name;
      try {
        await step.run();
        logger.debug('stopped', { step: step.name });
      } catch (error) {
        failed = true;
        logger.error('shutdown step failed', { code: 'ERR_SHUTDOWN_STEP', step: step.name, err: error });
      }
    }
    return failed ? 'failed' : 'done';
  })();
  let cancel = (): void => {};
  const deadline = new Promise<'timeout'>((resolve) => {
    cancel = schedule(() => resolve('timeout'), options.deadlineMs);
  });
  const outcome = await Promise.race([sequence, deadline]);
  if (outcome === 'timeout')
    logger.error('shutdown did not finish in time: exiting anyway', {
      code: 'ERR_SHUTDOWN_TIMEOUT',
      step: current,
      deadline_ms: options.deadlineMs,
    });
  else cancel();
  return outcome;
}

function unrefTimeout(callback: () => void, ms: number): () => void {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
