// glibc's malloc gives threads that allocate at the same time arenas of their own (up to 8 per core),
// and memory freed in an arena mostly stays with the process. The exporter's allocations outside the
// JavaScript heap (typed arrays, scrape buffers, the native sockets' buffers) are made and freed from
// the main thread and V8's and libuv's worker threads, so its resident memory grew with the arenas:
// at 10,000 targets, two arenas hold tens of MB less than glibc's default (bench/results.md,
// "Exporter A/B: glibc malloc arenas limited to 2"). glibc reads MALLOC_ARENA_MAX only when a
// process starts, so the exporter starts again with it, once, unless the variable is already set
// (the container image sets it; a user may choose another value).

import { ExporterError } from '../errors';

/** The arenas the exporter runs with. */
export const MALLOC_ARENAS = 2;

/** What to execve for the limit: the same program, arguments and environment, plus MALLOC_ARENA_MAX. */
export interface ArenaReexec {
  readonly file: string;
  readonly argv: readonly string[];
  readonly env: readonly string[];
}

type ProcessFacts = Pick<NodeJS.Process, 'platform' | 'env' | 'execPath' | 'execArgv' | 'argv'>;

/**
 * The execve that gives the process the arena limit, or undefined where none is needed: not Linux,
 * or MALLOC_ARENA_MAX already set (by the user, or by this re-execution: it happens at most once).
 */
export function arenaReexec(facts: ProcessFacts): ArenaReexec | undefined {
  if (facts.platform !== 'linux' || facts.env['MALLOC_ARENA_MAX'] !== undefined) return undefined;
  const env = Object.entries(facts.env).flatMap(([name, value]) =>
    value === undefined ? [] : [`${name}=${value}`],
  );
  return {
    file: facts.execPath,
    // argv[1] is the script as Node.js resolved it; node's own flags (execArgv) come before it.
    argv: [facts.execPath, ...facts.execArgv, ...facts.argv.slice(1)],
    env: [...env, `MALLOC_ARENA_MAX=${MALLOC_ARENAS}`],
  };
}

/**
 * Starts the exporter again with MALLOC_ARENA_MAX (see above) when it is not set: returns only when it
 * was set already, the addon is missing, or execve failed (then with the error, for the caller to say).
 */
export function limitMallocArenas(
  exec: ((file: string, argv: readonly string[], env: readonly string[]) => never) | undefined,
  facts: ProcessFacts = process,
): ExporterError | undefined {
  const reexec = arenaReexec(facts);
  if (reexec === undefined || exec === undefined) return undefined;
  try {
    return exec(reexec.file, reexec.argv, reexec.env);
  } catch (error) {
    return new ExporterError(
      'ERR_REEXEC',
      `could not start again with MALLOC_ARENA_MAX=${MALLOC_ARENAS}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
