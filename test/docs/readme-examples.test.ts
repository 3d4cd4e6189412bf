// The README's TypeScript examples, compiled as a user's code would be: an ES module importing the
// package by its name, resolved through package.json's `exports` (TypeScript's nodenext resolution
// of a package importing itself), under strict settings. Needs the build (`dist/`), as npm test does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';

/** What an example uses without defining it (the reader's own objects), declared for the compiler. */
const PLACEHOLDERS = "declare const myReader: import('@opentelemetry/sdk-metrics').MetricReader;\n";

/** The ```ts blocks of a Markdown text, in order. */
export function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

describe("the README's TypeScript examples", () => {
  it('compile against the package as a user imports it', () => {
    const blocks = typescriptBlocks(readFileSync(path.join(repoRoot, 'README.md'), 'utf8'));
    assert.ok(blocks.length >= 2, `found ${blocks.length} TypeScript examples`);
    // Inside the repository, so that the package's own name and its dependencies resolve.
    const dir = path.join(repoRoot, 'dist', 'readme-examples');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = blocks.map((code, index) => {
      const file = `example-${index + 1}.mts`;
      writeFileSync(path.join(dir, file), PLACEHOLDERS + code);
      return file;
    });
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      },
      files,
    };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const { stdout, stderr } = error as { stdout: string; stderr: string };
      assert.fail(`README examples do not compile:\n${stdout}${stderr}`);
    } finally {
      // dist/ is what the package ships: leave nothing of the test in it.
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds every block, and only those', () => {
    const markdown = '# x\n```ts\nconst a = 1;\n```\n```sh\nls\n```\n```typescript\nconst b = 2;\n```\n';
    assert.deepEqual(typescriptBlocks(markdown), ['const a = 1;\n', 'const b = 2;\n']);
  });
});
