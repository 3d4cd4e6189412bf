/** Resolves with the promise's value, or undefined at `deadline` (performance.now() ms) or on abort. */
export function raceUntil<T>(
  promise: Promise<T>,
  deadline: number,
  signal?: AbortSignal,
): Promise<T | undefined> {
  if (deadline === Infinity && !signal) return promise;
  return Promise.race([promise, sleepUntil(deadline, signal)]);
}

/** Resolves with undefined at `deadline` (performance.now() ms), or at once on abort. */
export function sleepUntil(deadline: number, signal?: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(undefined);
    };
    const delay = deadline - performance.now();
    const timer =
      delay === Infinity
        ? undefined
        : setTimeout(
            () => {
              signal?.removeEventListener('abort', onAbort);
              resolve(undefined);
            },
            Math.max(0, delay),
          );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
