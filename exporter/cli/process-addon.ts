// The exporter's process-level addon (native/process.cc): _exit and execve, which Node.js 20 lacks.
// Loaded once, on first use; undefined where it was not built (not Linux, or the build failed), and
// each caller then falls back to what Node.js offers.
import * as path from 'node:path';

export interface ProcessAddon {
  exitNow(code: number): never;
  /** Replaces the process image; returns only by throwing (an Error with `errno`). */
  execNow(file: string, argv: readonly string[], env: readonly string[]): never;
}

export const PROCESS_ADDON_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'build',
  'Release',
  'netdiag_process.node',
);

const loaded = new Map<string, ProcessAddon | undefined>();

export function processAddon(file: string = PROCESS_ADDON_FILE): ProcessAddon | undefined {
  if (!loaded.has(file)) {
    let addon: ProcessAddon | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      addon = require(file) as ProcessAddon;
    } catch {
      addon = undefined;
    }
    loaded.set(file, addon);
  }
  return loaded.get(file);
}
