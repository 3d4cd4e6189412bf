import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ExporterError } from '../../../exporter/errors';
import {
  ConfigError,
  formatIssue,
  loadConfig,
  MAX_CONFIG_BYTES,
  parseConfig,
} from '../../../exporter/config';

async function loadError(file: string): Promise<ConfigError> {
  const error: unknown = await loadConfig(file).then(
    () => assert.fail('expected a ConfigError'),
    (error: unknown) => error,
  );
  assert.ok(error instanceof ConfigError);
  return error;
}

function parseError(text: string | Buffer): ConfigError {
  try {
    parseConfig(text, 'config.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  return assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  let dir = '';
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'netdiag-config-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('turns a missing file into a ConfigError at 1:1 of (root)', async () => {
    const file = path.join(dir, 'missing.yaml');
    const error = await loadError(file);
    assert.equal(error.message, `${file}:1:1: (root): cannot read: ENOENT`);
  });

  it('turns a directory into a ConfigError', async () => {
    assert.equal(
      (await loadError(dir)).message,
      `${dir}:1:1: (root): cannot read: not a regular file (a directory)`,
    );
  });

  it('refuses a file over the size limit without reading all of it', async () => {
    const file = path.join(dir, 'huge.yaml');
    writeFileSync(file, `# ${'x'.repeat(MAX_CONFIG_BYTES)}\ntargets: []\n`);
    assert.equal((await loadError(file)).message, `${file}:1:1: (root): file is larger than 8 MiB`);
  });

  it('accepts a file of exactly the size limit', async () => {
    const file = path.join(dir, 'big.yaml');
    const body = 'targets: []\n# ';
    writeFileSync(file, `${body}${'x'.repeat(MAX_CONFIG_BYTES - body.length)}`);
    assert.deepEqual((await loadConfig(file)).targets, []);
  });
});

describe('parseConfig input', () => {
  it('applies the size limit to strings too, counting UTF-8 bytes', () => {
    const text = `targets: []\n# ${'é'.repeat(MAX_CONFIG_BYTES / 2)}`;
    assert.equal(parseError(text).message, 'config.yaml:1:1: (root): file is larger than 8 MiB');
  });

  it('skips a byte order mark, in a Buffer or a string, without shifting columns', () => {
    const expected = 'config.yaml:1:1: bogus: unknown key "bogus"; allowed keys: ';
    assert.ok(parseError('\uFEFFbogus: 1\n').message.startsWith(expected));
    assert.ok(parseError(Buffer.from('\uFEFFbogus: 1\n')).message.startsWith(expected));
  });

  it('locates a UTF-8 sequence cut short at the end of the file', () => {
    const error = parseError(Buffer.from([...Buffer.from('targets: []\n# '), 0xe2, 0x82]));
    assert.equal(error.message, 'config.yaml:2:3: (root): file is not valid UTF-8: byte 0xE2 at offset 14');
  });

  it('locates an invalid first byte', () => {
    const error = parseError(Buffer.from([0xff, 0x0a]));
    assert.equal(error.message, 'config.yaml:1:1: (root): file is not valid UTF-8: byte 0xFF at offset 0');
  });

  it('refuses deep nesting before yaml recurses into it, again and again', () => {
    for (const depth of [1000, 5000, 20000]) {
      const flow = `targets: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
      const block = `targets:\n  ${'- '.repeat(depth)}x\n`;
      assert.equal(
        parseError(flow).message,
        'config.yaml:1:73: (root): invalid YAML: collections nested deeper than 64 levels',
      );
      assert.equal(
        parseError(block).message,
        'config.yaml:2:129: (root): invalid YAML: collections nested deeper than 64 levels',
      );
    }
  });

  it('reports every problem, not just the first', () => {
    const error = parseError('bind: { ipv4: x }\ntargets: [{ name: a, host: "b c", ping: { size: 1 } }]\n');
    assert.equal(error.issues.length, 3);
  });
});

describe('ConfigError', () => {
  const issues = [
    { file: 'c.yaml', line: 3, column: 7, path: 'targets[0].ping.interval', message: 'one' },
    { file: 'c.yaml', line: 1, column: 1, path: '(root)', message: 'two' },
  ];

  it('formats issues as FILE:LINE:COL: key.path: message', () => {
    assert.equal(formatIssue(issues[0]!), 'c.yaml:3:7: targets[0].ping.interval: one');
  });

  it('lists its issues one per line, keeps a frozen copy, and is an ExporterError with code ERR_CONFIG', () => {
    const error = new ConfigError(issues);
    assert.equal(error.message, 'c.yaml:3:7: targets[0].ping.interval: one\nc.yaml:1:1: (root): two');
    assert.deepEqual(error.issues, issues);
    assert.notEqual(error.issues, issues);
    assert.ok(Object.isFrozen(error.issues));
    assert.equal(error.code, 'ERR_CONFIG');
    assert.ok(error instanceof ExporterError);
    assert.ok(error instanceof Error);
  });
});
