import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
        '    ping: { interval: 1s, timeout: 2m }',
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

  it('checks --web.config.file too: a broken one is named with its location and exits 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-check-'));
    const web = path.join(dir, 'web.yml');
    writeFileSync(
      web,
      'tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n  min_version: TLS9\n',
    );
    try {
      const broken = await cli([
        '--config.check',
        '--config.file=config.example.yaml',
        `--web.config.file=${web}`,
      ]);
      assert.equal(broken.code, 1, broken.stdout);
      assert.match(
        broken.stderr,
        new RegExp(
          `^${web.replace(/[.]/g, '\\.')}:4:16: tls_server_config\\.min_version: "TLS9" is not one of`,
          'm',
        ),
      );
      assert.doesNotMatch(broken.stdout, /valid/);

      // Parsed but naming a certificate that is not there: found now, not at the start.
      writeFileSync(web, 'tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n');
      const unreadable = await cli([
        '--config.check',
        '--config.file=config.example.yaml',
        `--web.config.file=${web}`,
      ]);
      assert.equal(unreadable.code, 1);
      assert.match(
        unreadable.stderr,
        /:2:14: tls_server_config\.cert_file: cannot read certificate .*missing\.crt/,
      );

      // Both files broken: both reported in one run.
      const config = path.join(dir, 'bad.yaml');
      writeFileSync(config, 'targets: 3\n');
      const both = await cli(['--config.check', `--config.file=${config}`, `--web.config.file=${web}`]);
      assert.equal(both.code, 1);
      assert.match(both.stderr, /bad\.yaml:1:10: targets/);
      assert.match(both.stderr, /web\.yml:2:14: tls_server_config\.cert_file/);

      writeFileSync(web, 'http_server_config:\n  headers:\n    X-XSS-Protection: 1\n');
      const valid = await cli([
        '--config.check',
        '--config.file=config.example.yaml',
        `--web.config.file=${web}`,
      ]);
      assert.equal(valid.code, 0, valid.stderr);
      assert.match(valid.stdout, /web\.yml: valid web config/);
      assert.match(valid.stdout, /config\.example\.yaml: valid, 3 target\(s\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the files of target_groups too: their errors located, duplicates across them and the list named', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-check-'));
    const file = path.join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'targets: [{ name: gw, host: 10.0.0.1, ping: {} }]',
        'target_groups:',
        '  - files: [sd/*.json]',
        '    ping: {}',
        '',
      ].join('\n'),
    );
    const sd = path.join(dir, 'sd');
    mkdirSync(sd);
    writeFileSync(path.join(sd, 'a.json'), '[{"targets": ["10.0.0.2", "10.0.0.3"]}]');
    try {
      const good = await cli(['--config.check', `--config.file=${file}`]);
      assert.equal(good.code, 0, good.stderr);
      assert.equal(good.stdout, `${file}: valid, 3 target(s), 1 target file(s)\n`);
      writeFileSync(path.join(sd, 'b.json'), '[{"targets": ["10.0.0.2"]},\n {"targets": ["10.0.0.300"]}]');
      writeFileSync(path.join(sd, 'c.json'), '[{"targets": ["10.0.0.4"], "labels": {"job": "x"}}]');
      const bad = await cli(['--config.check', `--config.file=${file}`]);
      assert.equal(bad.code, 1);
      assert.deepEqual(bad.stderr.trim().split('\n'), [
        `${sd}/b.json:2:15: [1].targets[0]: host "10.0.0.300" is not a valid IPv4 address`,
        `${sd}/c.json:1:39: [0].labels.job: label name "job" is reserved: the exporter sets it`,
      ]);
      writeFileSync(path.join(sd, 'b.json'), '[{"targets": ["10.0.0.3"]}]');
      writeFileSync(path.join(sd, 'c.json'), '[{"targets": ["gw"]}]');
      const clash = await cli(['--config.check', `--config.file=${file}`]);
      assert.equal(clash.code, 1);
      assert.deepEqual(clash.stderr.trim().split('\n'), [
        `${sd}/b.json:1:15: duplicate target name "10.0.0.3" (first at ${sd}/a.json:1:27)`,
        `${sd}/c.json:1:15: duplicate target name "gw" (first at ${file}: targets[0])`,
      ]);
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
