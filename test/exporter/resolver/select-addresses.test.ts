import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TargetConfig } from '../../../exporter/config';
import { ringSuccessors, select } from '../../../exporter/resolver';

const all = (
  family: TargetConfig['family'],
  extra: Partial<NonNullable<TargetConfig['allAddresses']>> = {},
): TargetConfig => ({
  name: 'peers',
  host: 'peers.example',
  family,
  labels: {},
  allAddresses: { max: 64, exclude: [], ...extra },
});
// In a DNS server's rotated order, with a repeat.
const answer = [
  { address: '192.0.2.3', family: 4 },
  { address: '2001:db8::2', family: 6 },
  { address: '192.0.2.1', family: 4 },
  { address: '2001:db8::1', family: 6 },
  { address: '192.0.2.2', family: 4 },
  { address: '192.0.2.1', family: 4 },
];

describe('addresses: all', () => {
  it('takes every address of the family, once each, sorted so that a rotated answer is the same set', () => {
    assert.deepEqual(
      select(answer, all('auto')).map((a) => `${a.family} ${a.address}`),
      ['ipv4 192.0.2.1', 'ipv4 192.0.2.2', 'ipv4 192.0.2.3', 'ipv6 2001:db8::1', 'ipv6 2001:db8::2'],
    );
    assert.deepEqual(select(answer, all('dual')), select(answer, all('auto')));
    assert.deepEqual(
      select(answer, all('ipv4')).map((a) => a.address),
      ['192.0.2.1', '192.0.2.2', '192.0.2.3'],
    );
    assert.deepEqual(
      select(answer, all('ipv6')).map((a) => a.address),
      ['2001:db8::1', '2001:db8::2'],
    );
    assert.deepEqual(select([...answer].reverse(), all('auto')), select(answer, all('auto')));
  });

  it('leaves out the excluded addresses (a pod its own)', () => {
    const kept = select(answer, all('auto', { exclude: ['192.0.2.2', '2001:db8::1'] }));
    assert.deepEqual(
      kept.map((a) => a.address),
      ['192.0.2.1', '192.0.2.3', '2001:db8::2'],
    );
  });

  it('keeps `first` as it was: one address, IPv4 first', () => {
    const { allAddresses: _, ...first } = all('auto');
    assert.deepEqual(select(answer, first), [{ address: '192.0.2.3', family: 'ipv4' }]);
  });

  it('past max_addresses keeps max of them, the same ones for the same key whatever the order', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ address: `10.0.0.${i + 1}`, family: 4 }));
    const one = select(many, all('auto', { max: 5, selectionKey: '10.0.0.7' }));
    assert.equal(one.length, 5);
    assert.ok(!one.some((a) => a.address === '10.0.0.7'));
    assert.deepEqual(select([...many].reverse(), all('auto', { max: 5, selectionKey: '10.0.0.7' })), one);
    const other = select(many, all('auto', { max: 5, selectionKey: '10.0.0.8' }));
    assert.notDeepEqual(other, one);
  });
});

describe('ringSuccessors', () => {
  const nodes = Array.from({ length: 50 }, (_, i) => `10.1.${i >> 4}.${(i % 16) + 1}`);

  it('with every node keyed by its own address, every node is picked by exactly `count` others, never itself', () => {
    for (const count of [1, 3, 7]) {
      const pickedBy = new Map<string, number>();
      for (const self of nodes) {
        const peers = ringSuccessors(self, nodes, count, (n) => n);
        assert.equal(peers.length, count);
        assert.ok(!peers.includes(self));
        assert.equal(new Set(peers).size, count);
        for (const peer of peers) pickedBy.set(peer, (pickedBy.get(peer) ?? 0) + 1);
      }
      assert.deepEqual(new Set(pickedBy.values()), new Set([count]), `count ${count}`);
      assert.equal(pickedBy.size, nodes.length);
    }
  });

  it('a node that leaves changes the choice of only the `count` nodes that picked it', () => {
    const count = 3;
    const before = new Map(nodes.map((self) => [self, ringSuccessors(self, nodes, count, (n) => n)]));
    const gone = nodes[17]!;
    const remaining = nodes.filter((n) => n !== gone);
    let changed = 0;
    for (const self of remaining) {
      const after = ringSuccessors(self, remaining, count, (n) => n);
      if (after.join() !== before.get(self)!.join()) {
        changed++;
        assert.ok(before.get(self)!.includes(gone));
      }
    }
    assert.equal(changed, count);
  });

  it('asks for more than there are: all the others', () => {
    assert.deepEqual(new Set(ringSuccessors('a', ['a', 'b', 'c'], 5, (n) => n)), new Set(['b', 'c']));
  });
});
