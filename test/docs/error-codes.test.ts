import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EXPORTER_ERROR_CODES } from '../../exporter/errors';
import { PROBE_ERROR_CODES } from '../../probes/errors';
import { PACKET_ERROR_CODES } from '../../probes/packet/errors';
import { findErrorCodeProblems, findPlainErrors, type Catalogues } from '../support/error-codes';
import { repoRoot } from '../support/paths';

const CATALOGUES: Catalogues = {
  probes: PROBE_ERROR_CODES,
  packet: PACKET_ERROR_CODES,
  exporter: EXPORTER_ERROR_CODES,
};

function plantedTree(files: Record<string, string>): { root: string; remove: () => void } {
  const root = mkdtempSync(path.join(tmpdir(), 'netdiag-error-codes-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

describe('docs/errors.md, the one list of error codes', () => {
  it('documents every code of every catalogue and every ERR_ literal in the tree, with its layer, meaning and advice, and no other', () => {
    assert.deepEqual(findErrorCodeProblems(repoRoot, CATALOGUES), []);
  });

  it('holds no code twice within a catalogue', () => {
    for (const [layer, codes] of Object.entries(CATALOGUES))
      assert.equal(new Set(codes).size, codes.length, `${layer} lists a code twice`);
  });

  it('catches an undocumented code, a stale row, a wrong layer, a duplicate row and an empty column in a planted tree', () => {
    const tree = plantedTree({
      'docs/errors.md': [
        '| Code | Layer | Meaning | What to do |',
        '| --- | --- | --- | --- |',
        '| `ERR_A` | probes | a | a |',
        '| `ERR_SHARED` | probes | shared | - |',
        '| `ERR_GONE` | exporter | removed from the code | - |',
        '| `ERR_NODE_THING` | node | Node reports it | - |',
        '| `ERR_A` | probes | again | - |',
        '| `ERR_NO_ADVICE` | node | a meaning, nothing to do |  |',
        '',
      ].join('\n'),
      // A literal code no catalogue defines, in code; one only in a comment does not count.
      'exporter/a.ts':
        "const n = 'ERR_NO_ADVICE';\nconst x = 'ERR_NODE_THING';\nconst y = `ERR_LOGGED`;\n// ERR_IN_A_COMMENT\n",
      'probes/b.ts': "export const prefix = 'ERR_PARSE_ARGS_';\n",
    });
    try {
      const found = findErrorCodeProblems(tree.root, {
        probes: ['ERR_A', 'ERR_SHARED', 'ERR_UNDOCUMENTED'],
        exporter: ['ERR_SHARED'],
      });
      assert.deepEqual(
        [...found].sort((a, b) => a.code.localeCompare(b.code) || a.problem.localeCompare(b.problem)),
        [
          { code: 'ERR_A', problem: 'documented-twice' },
          { code: 'ERR_GONE', problem: 'no-longer-exists' },
          { code: 'ERR_LOGGED', problem: 'undocumented' },
          { code: 'ERR_NO_ADVICE', problem: 'no-advice' },
          { code: 'ERR_SHARED', problem: 'wrong-layer', documented: 'probes', expected: 'probes, exporter' },
          { code: 'ERR_UNDOCUMENTED', problem: 'undocumented' },
        ],
      );
    } finally {
      tree.remove();
    }
  });
});

describe('errors in probes/ and exporter/', () => {
  it('are catalogue errors with a code, never a plain Error', () => {
    assert.deepEqual(findPlainErrors(repoRoot), []);
  });

  it('a planted plain Error is found, with or without new; a coded one and a comment are not', () => {
    const tree = plantedTree({
      'probes/a.ts': "throw new Error('plain');\n",
      'exporter/b/c.ts':
        "// new Error('in a comment')\nconst e = Error('called');\nthrow new ProbeError('ERR_X', 'ok');\n",
    });
    try {
      assert.deepEqual(
        findPlainErrors(tree.root).sort((a, b) => a.file.localeCompare(b.file)),
        [
          { file: path.join('exporter', 'b', 'c.ts'), line: 2 },
          { file: path.join('probes', 'a.ts'), line: 1 },
        ],
      );
    } finally {
      tree.remove();
    }
  });
});
