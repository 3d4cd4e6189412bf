import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ExporterError } from '../errors';

/** The scripts and style sheet of the pages, by the path they are served at. */
export type PageAssets = ReadonlyMap<string, { readonly type: string; readonly body: Buffer }>;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const FILES = ['status.css', 'common.js', 'index.js', 'target.js', 'chart.js'];

/**
 * Where the files live: `exporter/status/public` at the package's root (package.json `files`
 * carries it), found from this module's place in `dist/exporter/status`. Plain browser scripts,
 * not TypeScript: the build compiles for Node and has no DOM types.
 */
const PUBLIC_DIR = path.resolve(__dirname, '..', '..', '..', 'exporter', 'status', 'public');

/**
 * Reads every asset once, at start: the pages never touch the disk while serving. Throws
 * ERR_STATUS_PAGE_FILES naming the file that cannot be read.
 */
export function readPageAssets(dir = PUBLIC_DIR): PageAssets {
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const file of FILES) {
    const where = path.join(dir, file);
    try {
      assets.set(`/status/${file}`, { type: TYPES[path.extname(file)]!, body: readFileSync(where) });
    } catch (error) {
      throw new ExporterError('ERR_STATUS_PAGE_FILES', `the status page's file ${where} cannot be read`, {
        cause: error,
      });
    }
  }
  return assets;
}
