import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  ConfigError,
  loadConfig,
  MAX_CONFIG_BYTES,
  MAX_TARGETS,
  MAX_YAML_ENTRIES,
  WorkerConfigLoader,
} from '../../../exporter/config';

// Each load races a deadline (generous: the machine is loaded) and a setInterval that must keep
// ticking meanwhile: a read that blocked the event loop, or never ended, fails the test.
const DEADLINE_MS = 10_000;

async function loadFailure(
  load: (file: string) => Promise<unknown>,
  file: string,
): Promise<{ error: ConfigError; ticks: number }> {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  let timer: NodeJS.Timeout | undefined;
  try {
    const error = await Promise.race([
      load(file).then(
        () => assert.fail(`${file} was accepted`),
        (error: unknown) => error,
      ),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms`)), DEADLINE_MS);
      }),
    ]);
    assert.ok(error instanceof ConfigError, String(error));
    return { error, ticks };
  } finally {
    clearInterval(ticker);
    clearTimeout(timer);
  }
}

describe('config files that are not regular files, or too large', () => {
  let dir: string;
  const loader = new WorkerConfigLoader();
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'netdiag-hostile-'));
    symlinkSync('/dev/zero', path.join(dir, 'zero.yaml'));
    execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
    mkdirSync(path.join(dir, 'directory.yaml'));
    writeFileSync(path.join(dir, 'huge.yaml'), `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    writeFileSync(path.join(dir, 'real.yaml'), 'targets:\n  - name: a\n    host: 127.0.0.1\n    ping: {}\n');
    symlinkSync(path.join(dir, 'real.yaml'), path.join(dir, 'link.yaml'));
  });
  after(async () => {
    await loader.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: Array<[string, string]> = [
    ['zero.yaml', 'cannot read: not a regular file (a character device)'],
    ['fifo.yaml', 'cannot read: not a regular file (a FIFO)'],
    ['directory.yaml', 'cannot read: not a regular file (a directory)'],
    ['huge.yaml', 'file is larger than 8 MiB'],
  ];
  for (const [how, load] of [
    ['loadConfig', loadConfig],
    ['the worker loader', (file: string) => loader.load(file)],
  ] as const) {
    for (const [name, message] of cases) {
      it(`${how}: ${name} gives "${message}" at once, the event loop ticking`, async () => {
        const file = path.join(dir, name);
        const { error } = await loadFailure(load, file);
        assert.equal(error.message, `${file}:1:1: (root): ${message}`);
      });
    }
    it(`${how}: a symlink to a regular file loads (ConfigMap mounts)`, async () => {
      const config = await load(path.join(dir, 'link.yaml'));
      assert.equal(config.targets.length, 1);
    });
  }

  it('loadConfig of a FIFO does not hold the event loop (the interval keeps ticking)', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    try {
      // Several loads in a row: a blocked thread-pool or main-thread read would stall here.
      for (let i = 0; i < 20; i++) await loadFailure(loadConfig, path.join(dir, 'fifo.yaml'));
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      clearInterval(ticker);
    }
    assert.ok(ticks > 0, `the interval ticked ${ticks} times`);
  });
});

describe('error-heavy configs are bounded', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'netdiag-errors-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const file = path.join(dir, name);
    writeFileSync(file, text.slice(0, MAX_CONFIG_BYTES));
    return file;
  }

  it('8 MiB of "- 1": refused before the document is built, one error', async () => {
    const file = write('dashes.yaml', `targets:\n${'- 1\n'.repeat(MAX_CONFIG_BYTES / 4)}`);
    const { error } = await loadFailure(loadConfig, file);
    assert.equal(error.issues.length, 1);
    assert.equal(error.omitted, 0);
    assert.match(
      error.message,
      new RegExp(
        `^${file.replace(/[/.]/g, '\\$&')}:\\d+:1: \\(root\\): too many YAML entries: the limit is ${MAX_YAML_ENTRIES} `,
      ),
    );
    // Counted up to the limit, not past it: the error points where the limit was crossed.
    assert.equal(error.issues[0]!.line, MAX_YAML_ENTRIES + 1);
  });

  it('8 MiB of "{},": refused before the document is built, one error', async () => {
    const file = write('flows.yaml', `targets: [${'{},'.repeat(MAX_CONFIG_BYTES / 3)}`);
    const { error } = await loadFailure(loadConfig, file);
    assert.equal(error.issues.length, 1);
    assert.match(error.message, /: \(root\): too many YAML entries: the limit is /);
  });

  it(`${MAX_TARGETS + 1} targets: one error before any target is read`, async () => {
    const file = write('targets.yaml', `targets: [${'{},'.repeat(MAX_TARGETS + 1)}]\n`);
    const { error } = await loadFailure(loadConfig, file);
    assert.deepEqual(
      error.message,
      `${file}:1:10: targets: ${MAX_TARGETS + 1} targets: the limit is ${MAX_TARGETS} per file: ` +
        'split the list across several exporters, each with its own file',
    );
  });

  it('20,000 bad items: the first 100 errors, then how many more', async () => {
    const file = write('bad-items.yaml', `targets:\n${'- 1\n'.repeat(20_000)}`);
    const { error } = await loadFailure(loadConfig, file);
    assert.equal(error.issues.length, 100);
    assert.equal(error.omitted, 19_900);
    const lines = error.message.split('\n');
    assert.equal(lines.length, 101);
    assert.equal(lines[100], '… and 19900 more errors');
    assert.equal(lines[99], `${file}:101:3: targets[99]: expected a mapping, got the number 1`);
  });

  it('20,000 empty targets: 60,000 errors (no name, no host, no probe), 100 listed, through the worker too', async () => {
    const file = write('empty-items.yaml', `targets:\n${'- {}\n'.repeat(20_000)}`);
    const loader = new WorkerConfigLoader();
    try {
      const { error } = await loadFailure((f) => loader.load(f), file);
      assert.equal(error.issues.length, 100);
      assert.equal(error.omitted, 59_900);
      assert.match(error.message, /\n… and 59900 more errors$/);
    } finally {
      await loader.close();
    }
  });
});
