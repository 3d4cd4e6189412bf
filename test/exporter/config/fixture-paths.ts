import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The directory holding package.json, found from the source tree and from dist/ alike. */
function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const repoRoot = findRepoRoot(__dirname);

/** tsc does not copy .yaml files to dist/: fixtures are read from the source tree. */
export const fixturesDir = path.join(repoRoot, 'test', 'exporter', 'config', 'fixtures');

export const fixturePath = (kind: 'valid' | 'invalid', name: string): string =>
  path.join(fixturesDir, kind, `${name}.yaml`);
