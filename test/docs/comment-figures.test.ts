import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findFiguresInComments } from '../support/comment-figures';
import { repoRoot } from '../support/paths';

describe('comments of probes/ and exporter/', () => {
  it('carry no measured figure: the reason, and a pointer to bench/results.md', () => {
    assert.deepEqual(findFiguresInComments(repoRoot), []);
  });

  it('flags, in a planted tree, the ways a measured figure is written, and not defaults, bounds or examples', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'netdiag-figures-'));
    const write = (file: string, text: string): void => {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    };
    try {
      write(
        'exporter/a.ts',
        [
          '// A diff would hold the event loop for ~35 ms.',
          '/** About 3 ms of deep comparison. */',
          ' * 10,000 targets went from 0.262 to 0.226 core.',
          '// 16-21 ms measured over a link.',
          ' * promoted 47 MB (allocation sampling).',
          'const x = 1; // 3x faster than a Map',
          '',
        ].join('\n'),
      );
      write(
        'probes/b.ts',
        [
          '/** SO_RCVBUF in bytes; default 4 MiB. */',
          '/** A duration such as `250ms`, `1.5s`. */',
          ' * ones with a probability under (15/16)^64 ≈ 2 %; the scan then starts over.',
          '/** Seconds between requests, measured from the first one; default 1. */',
          '// Reloads are measured in bench/results.md ("Reload stall").',
          "const s = 'about 5 ms'; // not a comment before the code",
          '',
        ].join('\n'),
      );
      assert.deepEqual(
        findFiguresInComments(root).map(({ file, line }) => `${file}:${line}`),
        [1, 2, 3, 4, 5, 6].map((line) => `${path.join('exporter', 'a.ts')}:${line}`),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
