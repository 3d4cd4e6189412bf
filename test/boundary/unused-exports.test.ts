import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findUnusedExports } from '../support/unused-exports';
import { repoRoot } from '../support/paths';

/**
 * Exports nothing else uses, kept for now; each says why. Remove an entry with its export (the
 * first test then fails until the entry goes too).
 */
const KNOWN_UNUSED = [
  // The CLI's entry: package.json's bin runs the file, and main() is its function.
  { file: path.join('exporter', 'cli', 'main.ts'), name: 'main' },
  // Files the error catalogue's part of issue 18 rewrites (errors, log codes, metric reasons).
  { file: path.join('exporter', 'config', 'issue.ts'), name: 'moreErrors' },
  { file: path.join('exporter', 'metrics', 'scrape-handler.ts'), name: 'SCRAPE_LOG_CODES' },
  { file: path.join('exporter', 'probers', 'trace-prober.ts'), name: 'traceRound' },
  // The codecs' constants, next to their encoders and decoders; issue 18's codec part reshapes probes/packet.
  { file: path.join('probes', 'packet', 'ipv4.ts'), name: 'IPV4_MAX_HEADER_LENGTH' },
  { file: path.join('probes', 'packet', 'tcp.ts'), name: 'TCP_HEADER_LENGTH' },
  { file: path.join('probes', 'packet', 'tcp.ts'), name: 'TCP_MAX_HEADER_LENGTH' },
  { file: path.join('probes', 'packet', 'tcp.ts'), name: 'TcpOptionKind' },
];

describe('exports of probes/ and exporter/', () => {
  it('are each used by another file of the tree, or exported by the package or probes/index.ts', () => {
    assert.deepEqual(findUnusedExports(repoRoot), KNOWN_UNUSED);
  });

  it('catches, in a planted tree, what only its own file or a folder index mentions', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'netdiag-unused-'));
    const write = (file: string, text: string): void => {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    };
    try {
      write('index.ts', "export { Api } from './probes';\n");
      write('probes/index.ts', "export { Api, libraryOnly } from './socket';\n");
      write('probes/socket/index.ts', "export * from './a';\nexport { indexedOnly } from './a';\n");
      write(
        'probes/socket/a.ts',
        [
          'export class Api {}',
          'export function libraryOnly(): void {}',
          'export function indexedOnly(): void {}',
          'export function usedByExporter(): void {}',
          'export function usedByTest(): void {}',
          'export const localOnly = 1;',
          'export const neverUsed = 2;',
          'export enum Unused { A }',
          'export interface OnlyAType { x: number }',
          'export const y = localOnly;',
          '',
        ].join('\n'),
      );
      write('exporter/b.ts', "import { usedByExporter } from '../probes/socket';\nusedByExporter();\n");
      write('test/c.test.ts', "import * as a from '../probes/socket/a';\na.usedByTest();\nvoid a.y;\n");
      assert.deepEqual(findUnusedExports(root), [
        { file: path.join('probes', 'socket', 'a.ts'), name: 'indexedOnly' },
        { file: path.join('probes', 'socket', 'a.ts'), name: 'localOnly' },
        { file: path.join('probes', 'socket', 'a.ts'), name: 'neverUsed' },
        { file: path.join('probes', 'socket', 'a.ts'), name: 'Unused' },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
