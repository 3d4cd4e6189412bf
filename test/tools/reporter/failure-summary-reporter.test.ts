import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import failureSummary from '../../support/failure-summary-reporter';

type Event = Parameters<typeof failureSummary>[0] extends AsyncIterable<infer E> ? E : never;

async function report(events: readonly Event[]): Promise<string> {
  async function* source(): AsyncGenerator<Event> {
    yield* events;
  }
  let out = '';
  for await (const chunk of failureSummary(source())) out += chunk;
  return out;
}

const start = (name: string, nesting: number): Event => ({ type: 'test:start', data: { name, nesting } });
const pass = (name: string, nesting: number): Event => ({ type: 'test:pass', data: { name, nesting } });
const fail = (name: string, nesting: number, error: unknown): Event => ({
  type: 'test:fail',
  data: { name, nesting, file: '/repo/dist/test/e2e/x.test.js', details: { error } },
});

describe('the failure summary reporter', () => {
  it('prints nothing when every test passed', async () => {
    assert.equal(await report([start('suite', 0), start('a', 1), pass('a', 1), pass('suite', 0)]), '');
  });

  it('repeats each failed test with its file, suite path and error, not the suites that failed because of it', async () => {
    const thrown = new Error('rtt 50.1 µs off the wire');
    const out = await report([
      start('suite', 0),
      start('inner', 1),
      start('a', 2),
      fail(
        'a',
        2,
        Object.assign(new Error('test failed'), { cause: thrown, failureType: 'testCodeFailure' }),
      ),
      start('b', 2),
      pass('b', 2),
      fail('inner', 1, Object.assign(new Error('1 subtest failed'), { failureType: 'subtestsFailed' })),
      fail('suite', 0, Object.assign(new Error('1 subtest failed'), { failureType: 'subtestsFailed' })),
      start('other', 0),
      fail('other', 0, 'a string thrown'),
    ]);
    assert.match(out, /# 2 failed tests, repeated from above:/);
    assert.match(
      out,
      /# FAILED \/repo\/dist\/test\/e2e\/x\.test\.js\n# {3}suite > inner > a\n# {5}Error: rtt 50\.1 µs off the wire/,
    );
    assert.match(out, /# {3}other\n# {5}a string thrown/);
    assert.doesNotMatch(out, /subtest failed/);
    assert.doesNotMatch(out, /at .*node:internal/);
  });
});
