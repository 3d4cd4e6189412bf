import { readFileSync } from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/** The version in netdiag-exporter's package.json, found from dist/ (or the source tree); "unknown" if missing. */
export function packageVersion(): string {
  return (cached ??= readVersion());
}

function readVersion(): string {
  for (const up of ['../../..', '../..']) {
    try {
      const json = JSON.parse(readFileSync(path.resolve(__dirname, up, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (json.name === 'netdiag-exporter' && typeof json.version === 'string') return json.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}
