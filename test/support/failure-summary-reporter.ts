/**
 * A node:test reporter that prints nothing until the run ends, then repeats every failed test: its file, its
 * suite path, and the first lines of its error. `npm test` runs it after the TAP reporter, so a CI log that keeps
 * only its tail still names what failed (the TAP stream reports a failure where it happens, possibly 15 minutes
 * of output earlier).
 */

interface TestEventData {
  readonly name: string;
  readonly nesting: number;
  readonly file?: string;
  readonly details?: { readonly error?: unknown };
}

interface TestEvent {
  readonly type: string;
  readonly data: TestEventData;
}

interface Failure {
  readonly file: string;
  readonly path: string;
  readonly message: string;
}

/** How much of each error is repeated: enough for an assertion's message and the top of its stack. */
const maxErrorLines = 30;

async function* failureSummary(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const failures: Failure[] = [];
  // Names of the tests enclosing the current one, by nesting level; tests of one file arrive in order because
  // `npm test` runs the files one at a time.
  const openNames: string[] = [];
  for await (const event of source) {
    if (event.type === 'test:start') {
      openNames.length = event.data.nesting;
      openNames.push(event.data.name);
    } else if (event.type === 'test:fail') {
      const error = event.data.details?.error;
      // A suite fails because a test inside it failed; that test is reported on its own.
      if (failureType(error) === 'subtestsFailed') continue;
      const enclosing = openNames.slice(0, event.data.nesting);
      failures.push({
        file: event.data.file ?? '(unknown file)',
        path: [...enclosing, event.data.name].join(' > '),
        message: describe(error),
      });
    }
  }
  if (failures.length === 0) return;
  yield `\n# ${failures.length} failed test${failures.length === 1 ? '' : 's'}, repeated from above:\n`;
  for (const failure of failures) {
    yield `# FAILED ${failure.file}\n#   ${failure.path}\n`;
    const lines = failure.message.split('\n').filter((line) => !isRunnerFrame(line));
    for (const line of lines.slice(0, maxErrorLines)) yield `#     ${line}\n`;
  }
}

/** Stack frames of node:test itself say nothing about the failure. */
function isRunnerFrame(line: string): boolean {
  return (
    /^\s+at (?:.*\()?node:/.test(line) ||
    /^\s+at new Promise \(<anonymous>\)$/.test(line) ||
    /^\s+at Array\.map \(<anonymous>\)$/.test(line)
  );
}

function failureType(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { failureType?: unknown }).failureType
    : undefined;
}

/** The test runner wraps a test's own error in `cause`; the cause is what the test threw. */
function describe(error: unknown): string {
  const thrown = typeof error === 'object' && error !== null && 'cause' in error ? error.cause : error;
  if (thrown instanceof Error) return thrown.stack ?? `${thrown.name}: ${thrown.message}`;
  if (typeof thrown === 'object' && thrown !== null) {
    const { stack, message } = thrown as { stack?: unknown; message?: unknown };
    if (typeof stack === 'string') return stack;
    if (typeof message === 'string') return message;
  }
  return String(thrown);
}

// node:test loads a reporter as the module itself (CommonJS), not as a default export.
export = failureSummary;
