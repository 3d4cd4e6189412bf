import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { editDistance } from '../../../exporter/cli/edit-distance';
import { parseFlags } from '../../../exporter/cli/parse-flags';

const OPTIONS = {
  count: { type: 'string', short: 'c' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  bind: { type: 'string' },
  'config.file': { type: 'string' },
  'config.check': { type: 'boolean' },
} as const;

const parse = (args: string[]) =>
  parseFlags(
    { args, allowPositionals: true, strict: true, options: OPTIONS },
    'netdiag-exporter ping --help',
  );

const usageFailure = (message: string) => (error: Error & { code?: string }) => {
  assert.equal(error.code, 'ERR_USAGE');
  assert.equal(error.message, message);
  return true;
};

describe('parseFlags: unknown flags', () => {
  it('names the flag and the nearest known one, and where the usage is', () => {
    assert.throws(
      () => parse(['--jsn', 'host']),
      usageFailure('unknown flag --jsn; did you mean --json? see netdiag-exporter ping --help'),
    );
    assert.throws(
      () => parse(['--config.fiel=x.yaml']),
      usageFailure(
        'unknown flag --config.fiel; did you mean --config.file? see netdiag-exporter ping --help',
      ),
    );
  });

  it('suggests nothing when no flag is near', () => {
    assert.throws(
      () => parse(['--verbose']),
      usageFailure('unknown flag --verbose; see netdiag-exporter ping --help'),
    );
    assert.throws(() => parse(['-x']), usageFailure('unknown flag -x; see netdiag-exporter ping --help'));
  });

  it('names an unknown Go-style single-dash flag as given', () => {
    assert.throws(
      () => parse(['-bnd=10.0.0.1']),
      usageFailure('unknown flag -bnd; did you mean --bind? see netdiag-exporter ping --help'),
    );
    // The exporter's own flags have no short forms: any single-dash word is read as a long flag.
    const run = (args: string[]) =>
      parseFlags({ args, strict: true, options: { 'config.file': OPTIONS['config.file'] } }, '--help');
    assert.throws(
      () => run(['-config.fil=x.yaml']),
      usageFailure('unknown flag -config.fil; did you mean --config.file? see --help'),
    );
  });
});

describe('parseFlags: Go-style single-dash long flags', () => {
  it('mean their double-dash form, with = or a separate value', () => {
    const { values, positionals } = parse(['-config.file=a.yaml', '-config.check', '-bind', '10.0.0.1', 'h']);
    assert.deepEqual({ ...values }, { 'config.file': 'a.yaml', 'config.check': true, bind: '10.0.0.1' });
    assert.deepEqual(positionals, ['h']);
  });

  it('leave words that start with a short flag to the short flags', () => {
    const { values } = parse(['-qc3', '-c', '5']);
    assert.deepEqual({ ...values }, { quiet: true, count: '5' });
  });

  it('leave everything after -- alone', () => {
    const { positionals } = parse(['--', '-json', '-nonsense']);
    assert.deepEqual(positionals, ['-json', '-nonsense']);
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions as one each', () => {
    assert.equal(editDistance('json', 'json'), 0);
    assert.equal(editDistance('jsn', 'json'), 1);
    assert.equal(editDistance('josn', 'json'), 1);
    assert.equal(editDistance('jason', 'json'), 1);
    assert.equal(editDistance('xson', 'json'), 1);
    assert.equal(editDistance('', 'bind'), 4);
    assert.equal(editDistance('config.file', 'config.check'), 5);
  });
});
