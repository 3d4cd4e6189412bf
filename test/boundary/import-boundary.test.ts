import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findBoundaryViolations } from '../support/import-boundary';
import { repoRoot } from '../support/paths';

describe('the probes/ library boundary', () => {
  it('holds in this tree: probes/ imports nothing of exporter/, exporter/ only probes/index.ts', () => {
    assert.deepEqual(findBoundaryViolations(repoRoot), []);
  });

  it('catches every kind of crossing in a planted tree', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'netdiag-boundary-'));
    const write = (file: string, text: string): void => {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    };
    try {
      write('index.ts', "export * from './probes';\n");
      write('probes/index.ts', "export * from './socket';\n");
      write('probes/socket/index.ts', "export * from './raw';\n");
      write('probes/socket/raw.ts', 'export const raw = 1;\n');
      // Allowed: within probes/, and exporter/ through the library's entry, however it is spelled.
      write('probes/ping/pinger.ts', "import { raw } from '../socket';\nimport '../socket/raw';\n");
      write(
        'exporter/agent/a.ts',
        "import { raw } from '../../probes';\nimport type { X } from '../../probes/index';\n",
      );
      write('exporter/b.ts', "import '../probes/index.js';\n");
      // Violations.
      write('probes/ping/bad.ts', "import type { Logger } from '../../exporter/logging';\n");
      write('probes/trace/bad.ts', "export { startAgent } from '../..';\n");
      write('exporter/agent/bad.ts', "import { raw } from '../../probes/socket';\n");
      write(
        'exporter/cli/bad.ts',
        "const raw = require('../../probes/socket/raw');\nvoid import('../../probes/ping/pinger');\n",
      );
      const found = findBoundaryViolations(root).sort(
        (a, b) => a.file.localeCompare(b.file) || a.specifier.localeCompare(b.specifier),
      );
      assert.deepEqual(found, [
        {
          file: path.join('exporter', 'agent', 'bad.ts'),
          specifier: '../../probes/socket',
          rule: 'exporter-reaches-into-probes',
        },
        {
          file: path.join('exporter', 'cli', 'bad.ts'),
          specifier: '../../probes/ping/pinger',
          rule: 'exporter-reaches-into-probes',
        },
        {
          file: path.join('exporter', 'cli', 'bad.ts'),
          specifier: '../../probes/socket/raw',
          rule: 'exporter-reaches-into-probes',
        },
        {
          file: path.join('probes', 'ping', 'bad.ts'),
          specifier: '../../exporter/logging',
          rule: 'probes-imports-exporter',
        },
        { file: path.join('probes', 'trace', 'bad.ts'), specifier: '../..', rule: 'probes-imports-exporter' },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
