import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveShard } from '../../../exporter/cli/shard-flags';
import { ExporterError } from '../../../exporter/errors';
import { cliPath, repoRoot } from '../../support/paths';

const run = promisify(execFile);

describe('resolveShard', () => {
  it('is off without flags or variables', () => {
    assert.equal(resolveShard({}, {}, 'host'), undefined);
  });

  it('takes --shard.index and --shard.count', () => {
    assert.deepEqual(resolveShard({ index: '2', count: '3' }, {}, 'host'), { index: 2, count: 3 });
    assert.deepEqual(resolveShard({ index: '0', count: '1' }, {}, 'host'), { index: 0, count: 1 });
  });

  it('falls back to NETDIAG_SHARD_INDEX / NETDIAG_SHARD_COUNT, flags winning', () => {
    const env = { NETDIAG_SHARD_INDEX: '1', NETDIAG_SHARD_COUNT: '4' };
    assert.deepEqual(resolveShard({}, env, 'host'), { index: 1, count: 4 });
    assert.deepEqual(resolveShard({ index: '3' }, env, 'host'), { index: 3, count: 4 });
    assert.deepEqual(resolveShard({ count: '2' }, env, 'host'), { index: 1, count: 2 });
    assert.equal(resolveShard({}, { NETDIAG_SHARD_INDEX: '', NETDIAG_SHARD_COUNT: ' ' }, 'host'), undefined);
  });

  it('takes the index from the -<n> suffix of the name with --shard.from-hostname', () => {
    assert.deepEqual(resolveShard({ fromHostname: true, count: '3' }, {}, 'netdiag-exporter-2'), {
      index: 2,
      count: 3,
    });
    const env = { NETDIAG_SHARD_INDEX: '0', NETDIAG_SHARD_COUNT: '3' };
    assert.deepEqual(resolveShard({ fromHostname: true }, env, 'netdiag-exporter-1'), { index: 1, count: 3 });
  });

  const invalid: Array<[string, Parameters<typeof resolveShard>, RegExp]> = [
    [
      'index = count',
      [{ index: '3', count: '3' }, {}, 'h'],
      /shard index 3 is out of range for 3 shard\(s\): it must be from 0 to 2/,
    ],
    ['index > count', [{ index: '5', count: '2' }, {}, 'h'], /shard index 5 is out of range/],
    [
      'negative index',
      [{ index: '-1', count: '2' }, {}, 'h'],
      /--shard\.index: "-1" is not a non-negative integer/,
    ],
    [
      'fractional index',
      [{ index: '1.5', count: '2' }, {}, 'h'],
      /--shard\.index: "1\.5" is not a non-negative integer/,
    ],
    ['word index', [{ index: 'one', count: '2' }, {}, 'h'], /--shard\.index: "one" is not/],
    ['empty index', [{ index: '', count: '2' }, {}, 'h'], /--shard\.index: "" is not/],
    ['zero count', [{ index: '0', count: '0' }, {}, 'h'], /shard count must be from 1 to 2147483647, got 0/],
    [
      'huge count',
      [{ index: '0', count: '9999999999' }, {}, 'h'],
      /shard count must be from 1 to 2147483647/,
    ],
    ['non-integer count', [{ index: '0', count: '2x' }, {}, 'h'], /--shard\.count: "2x" is not/],
    ['index without count', [{ index: '0' }, {}, 'h'], /a shard index needs a shard count/],
    ['count without index', [{ count: '2' }, {}, 'h'], /a shard count needs a shard index/],
    [
      'bad variable',
      [{}, { NETDIAG_SHARD_INDEX: '1', NETDIAG_SHARD_COUNT: 'three' }, 'h'],
      /NETDIAG_SHARD_COUNT: "three" is not/,
    ],
    [
      'variable out of range',
      [{}, { NETDIAG_SHARD_INDEX: '3', NETDIAG_SHARD_COUNT: '3' }, 'h'],
      /shard index 3 is out of range/,
    ],
    [
      'hostname without ordinal',
      [{ fromHostname: true, count: '2' }, {}, 'netdiag'],
      /--shard\.from-hostname: "netdiag" does not end in -<ordinal>/,
    ],
    [
      'ordinal out of range',
      [{ fromHostname: true, count: '2' }, {}, 'netdiag-exporter-2'],
      /shard index 2 is out of range/,
    ],
    ['index and from-hostname', [{ fromHostname: true, index: '0', count: '2' }, {}, 'n-0'], /give one/],
  ];
  for (const [name, args, message] of invalid) {
    it(`rejects ${name} as a usage error`, () => {
      assert.throws(
        () => resolveShard(...args),
        (error: unknown) =>
          error instanceof ExporterError && error.code === 'ERR_USAGE' && message.test(error.message),
      );
    });
  }
});

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run('node', [cliPath, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    return { code: 0, stderr };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('netdiag-exporter shard flags', () => {
  const config = '--config.file=config.example.yaml';
  const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    [
      'index >= count',
      ['--shard.index=2', '--shard.count=2'],
      {},
      /shard index 2 is out of range for 2 shard\(s\)/,
    ],
    [
      'a negative index',
      ['--shard.index=-1', '--shard.count=2'],
      {},
      /--shard\.index: "-1" is not a non-negative integer/,
    ],
    ['a non-integer count', ['--shard.index=0', '--shard.count=1.5'], {}, /--shard\.count: "1\.5" is not/],
    [
      'a bad variable',
      [],
      { NETDIAG_SHARD_INDEX: '4', NETDIAG_SHARD_COUNT: '3' },
      /shard index 4 is out of range/,
    ],
    [
      'a hostname without ordinal',
      ['--shard.from-hostname', '--shard.count=3'],
      { POD_NAME: 'netdiag' },
      /does not end in -<ordinal>/,
    ],
  ];
  for (const [name, args, env, message] of cases) {
    it(`exits 2 on ${name}, before doing anything`, async () => {
      const result = await cli([config, '--web.listen-address=127.0.0.1:0', ...args], env);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /^netdiag-exporter: /);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    });
  }
});
