// Ends the process without exit(3)'s handlers: see native/process_exit.cc for why process.exit() is not
// enough. Where the addon was not built (not Linux, or the build failed), process.exit() is the fallback,
// and a lookup left waiting in the thread pool may hold the process until the resolver gives up.
import * as path from 'node:path';

interface ProcessExitAddon {
  exitNow(code: number): never;
}

const ADDON_FILE = path.resolve(__dirname, '..', '..', '..', 'build', 'Release', 'netdiag_process_exit.node');

/** Exits with `code` at once. Only for after the teardown: nothing is flushed or closed here. */
export function exitNow(code: number, file: string = ADDON_FILE): never {
  let addon: ProcessExitAddon | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(file) as ProcessExitAddon;
  } catch {
    addon = undefined;
  }
  if (addon) addon.exitNow(code);
  process.exit(code);
}
