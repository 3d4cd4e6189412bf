import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { cliPath, repoRoot } from '../../support/paths';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [cliPath, ...args], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('netdiag-exporter --config.check', () => {
  it('accepts config.example.yaml', async () => {
    const result = await cli(['--config.check', '--config.file=config.example.yaml']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /config\.example\.yaml: valid, 3 target\(s\)/);
  });

  it('prints every error as FILE:LINE:COL: key.path: message, without a stack trace, and exits 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-check-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'targets:',
        '  - name: a',
        '    host: 10.0.0.1',
        '    ping: { interval: 1s, timeout: 2s }',
        '  - name: a',
        '    host: 300.1.1.1',
        '    ping: {}',
        '',
      ].join('\n'),
    );
    try {
      const result = await cli(['--config.check', `--config.file=${file}`]);
      assert.equal(result.code, 1);
      const lines = result.stderr.trim().split('\n');
      assert.ok(lines.length >= 3, result.stderr);
      for (const line of lines)
        assert.match(line, new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: [\\w.\\[\\]()]+: .+`));
      assert.ok(
        lines.some((l) => l.startsWith(`${file}:4:`) && l.includes('targets[0].ping.timeout')),
        result.stderr,
      );
      assert.ok(
        lines.some((l) => l.startsWith(`${file}:5:`) && l.includes('targets[1].name')),
        result.stderr,
      );
      assert.ok(
        lines.some((l) => l.startsWith(`${file}:6:`) && l.includes('targets[1].host')),
        result.stderr,
      );
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing file with its name', async () => {
    const result = await cli(['--config.check', '--config.file=/nonexistent/netdiag.yaml']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^\/nonexistent\/netdiag\.yaml:/);
  });

  it('rejects unknown flags with exit code 2', async () => {
    const result = await cli(['--config.fle=x']);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      'netdiag-exporter: unknown flag --config.fle; did you mean --config.file? see --help\n',
    );
  });
});
