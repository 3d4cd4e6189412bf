import * as path from 'node:path';

/** The repository root, from both the TypeScript source and the compiled dist/ tree. */
export const repoRoot = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..',
);
export const cliPath = path.join(repoRoot, 'dist', 'exporter', 'cli', 'main.js');
export const fixturePath = (name: string): string =>
  path.join(repoRoot, 'dist', 'test', 'e2e', 'fixtures', `${name}.js`);
