// Ends the process without exit(3)'s handlers: see native/process.cc for why process.exit() is not
// enough. Where the addon was not built (not Linux, or the build failed), process.exit() is the fallback,
// and a lookup left waiting in the thread pool may hold the process until the resolver gives up.
import { PROCESS_ADDON_FILE, processAddon } from './process-addon';

/** Exits with `code` at once. Only for after the teardown: nothing is flushed or closed here. */
export function exitNow(code: number, file: string = PROCESS_ADDON_FILE): never {
  processAddon(file)?.exitNow(code);
  process.exit(code);
}
