import { runShutdown, type ShutdownOptions, type ShutdownOutcome } from './shutdown';

/**
 * What a command opened, each with what undoes it, undone once in reverse order: whatever path
 * ends the command (a failed start, a signal, an error after start) runs the same teardown, so
 * nothing is left open and nothing is closed before what depends on it.
 *
 * Invariant: `defer` is called right after the thing it undoes has opened, never after `unwind`.
 * Every close deferred here is idempotent, so a step deferred later may close early something an
 * earlier step closes again (a no-op then).
 */
export class TeardownStack {
  private readonly steps: Array<{ readonly name: string; readonly run: () => Promise<unknown> }> = [];
  private unwound: Promise<ShutdownOutcome> | undefined;

  /** Registers `run` to undo what was just opened; it runs before every step deferred earlier. */
  defer(name: string, run: () => unknown): void {
    this.steps.push({ name, run: async () => run() });
  }

  /**
   * Runs every step once, the last deferred first, as `runShutdown` runs steps: a step that
   * throws is logged and the next still runs; at the deadline it resolves 'timeout'. A second
   * call returns the first one's outcome.
   */
  unwind(options: ShutdownOptions): Promise<ShutdownOutcome> {
    return (this.unwound ??= runShutdown([...this.steps].reverse(), options));
  }
}
