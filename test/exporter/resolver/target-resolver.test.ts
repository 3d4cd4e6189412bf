import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TargetConfig } from '../../../exporter/config';
import { select, TargetResolver, type ResolvedAddress } from '../../../exporter/resolver';
import { FakeClock } from '../../support/fake-clock';

const DNS = { refresh: 300, retryMin: 1, retryMax: 8 };
const target = (host: string, family: TargetConfig['family'] = 'auto'): TargetConfig => ({
  name: 't',
  host,
  family,
  labels: {},
});
const both = [
  { address: '192.0.2.1', family: 4 },
  { address: '192.0.2.2', family: 4 },
  { address: '2001:db8::1', family: 6 },
];

describe('select', () => {
  it('takes the addresses a target family asks for', () => {
    assert.deepEqual(select(both, target('x')), [{ address: '192.0.2.1', family: 'ipv4' }]);
    assert.deepEqual(select(both, target('x', 'ipv6')), [{ address: '2001:db8::1', family: 'ipv6' }]);
    assert.deepEqual(
      select(both, target('x', 'dual')).map((a) => a.address),
      ['192.0.2.1', '2001:db8::1'],
    );
    assert.deepEqual(select([{ address: '2001:db8::1', family: 6 }], target('x')), [
      { address: '2001:db8::1', family: 'ipv6' },
    ]);
    assert.deepEqual(select([{ address: '2001:db8::1', family: 6 }], target('x', 'ipv4')), []);
  });
});

describe('TargetResolver', () => {
  it('retries a failing name with exponential backoff, then refreshes at dns.refresh', async () => {
    const clock = new FakeClock();
    const calls: number[] = [];
    const failures: number[] = [];
    const published: ResolvedAddress[][] = [];
    let answer: typeof both | undefined;
    const resolver = new TargetResolver(
      target('gw.example'),
      DNS,
      async () => {
        calls.push(clock.now());
        if (!answer)
          throw Object.assign(new Error('getaddrinfo ENOTFOUND gw.example'), { code: 'ENOTFOUND' });
        return answer;
      },
      clock,
      { onAddresses: (a) => published.push(a), onFailure: (_e, retry) => failures.push(retry) },
    );
    resolver.start();
    await clock.advance(20_000);
    assert.deepEqual(failures, [1, 2, 4, 8, 8]);
    assert.deepEqual(calls, [0, 1000, 3000, 7000, 15_000]);
    answer = both;
    await clock.advance(4000); // the retry at 23 s succeeds
    assert.deepEqual(published, [[{ address: '192.0.2.1', family: 'ipv4' }]]);
    await clock.advance(300_000); // a refresh with the same answer publishes nothing
    assert.equal(calls.length, 7);
    assert.equal(published.length, 1);
    answer = [{ address: '192.0.2.9', family: 4 }];
    await clock.advance(300_000);
    assert.deepEqual(published[1], [{ address: '192.0.2.9', family: 'ipv4' }]);
    resolver.stop();
    assert.equal(clock.pending, 0);
  });

  it('with addresses: all, an answer of only excluded addresses stops the others, and is no failure', async () => {
    const clock = new FakeClock();
    const published: string[][] = [];
    let answer = [
      { address: '192.0.2.1', family: 4 },
      { address: '192.0.2.2', family: 4 },
    ];
    const resolver = new TargetResolver(
      { ...target('mesh.example'), allAddresses: { max: 64, exclude: ['192.0.2.1'] } },
      DNS,
      async () => answer,
      clock,
      {
        onAddresses: (a) => published.push(a.map((x) => x.address)),
        onFailure: () => assert.fail('no failure'),
      },
    );
    resolver.start();
    await clock.advance(0);
    answer = [{ address: '192.0.2.1', family: 4 }];
    await clock.advance(300_000);
    assert.deepEqual(published, [['192.0.2.2'], []]);
    resolver.stop();
  });

  it('fails with ERR_RESOLVE, the message unchanged, when no address is of the wanted family', async () => {
    const clock = new FakeClock();
    const failures: Error[] = [];
    const resolver = new TargetResolver(
      target('v6only.example', 'ipv4'),
      DNS,
      async () => [both[2]!],
      clock,
      {
        onAddresses: () => assert.fail('no address'),
        onFailure: (error) => failures.push(error),
      },
    );
    resolver.start();
    await clock.advance(0);
    resolver.stop();
    assert.equal(failures.length, 1);
    assert.equal((failures[0] as Error & { code?: string }).code, 'ERR_RESOLVE');
    assert.equal(failures[0]!.message, 'no IPv4 address for v6only.example');
  });

  it('uses an IP literal as it is, without a lookup', async () => {
    const clock = new FakeClock();
    const published: ResolvedAddress[][] = [];
    const resolver = new TargetResolver(
      target('2001:db8::5'),
      DNS,
      async () => assert.fail('no lookup'),
      clock,
      {
        onAddresses: (a) => published.push(a),
        onFailure: () => assert.fail('no failure'),
      },
    );
    resolver.start();
    await clock.advance(1000);
    assert.deepEqual(published, [[{ address: '2001:db8::5', family: 'ipv6' }]]);
    assert.equal(clock.pending, 0);
  });
});
