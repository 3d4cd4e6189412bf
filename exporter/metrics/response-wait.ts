import type { EventEmitter } from 'node:events';

/** 'ready': the event came; 'closed': the response closed first; 'timeout': neither within the bound. */
export type WaitOutcome = 'ready' | 'closed' | 'timeout';

/**
 * Resolves once `response` emits `event` ('drain': its buffer went below the high-water mark;
 * 'finish': everything was handed to the socket), closes, or `timeoutMs` passes. Both listeners and
 * the timer go once one of them fires: a race of once() promises left the loser's behind, one more
 * per wait, for the rest of a slow client's scrape.
 */
export function waitForResponse(
  response: EventEmitter,
  event: 'drain' | 'finish',
  timeoutMs: number,
): Promise<WaitOutcome> {
  return new Promise<WaitOutcome>((resolve) => {
    const done = (outcome: WaitOutcome): void => {
      response.off(event, onEvent);
      response.off('close', onClose);
      clearTimeout(timer);
      resolve(outcome);
    };
    const onEvent = (): void => done('ready');
    const onClose = (): void => done('closed');
    response.on(event, onEvent);
    response.on('close', onClose);
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    timer.unref();
  });
}
