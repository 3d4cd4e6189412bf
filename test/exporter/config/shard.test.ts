import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jumpHash, parseConfig, selectShard, shardOf } from '../../../exporter/config';

const names = (count: number): string[] => Array.from({ length: count }, (_, i) => `target-${i}`);

describe('jumpHash', () => {
  it('matches the reference implementation (ClickHouse jumpConsistentHash test vectors)', () => {
    assert.equal(jumpHash(1n, 1), 0);
    assert.equal(jumpHash(42n, 57), 43);
    assert.equal(jumpHash(256n, 1024), 520);
    assert.equal(jumpHash(3735883980n, 1), 0);
    assert.equal(jumpHash(3735883980n, 666), 361);
    assert.equal(jumpHash(16045690984833335023n, 255), 237);
  });
});

describe('shardOf', () => {
  it('splits 3000 names evenly over 3 shards (each 900..1100), every name in exactly one', () => {
    const counts = [0, 0, 0];
    for (const name of names(3000)) {
      const shard = shardOf(name, 3);
      assert.ok(Number.isInteger(shard) && shard >= 0 && shard < 3, `${name} -> ${shard}`);
      counts[shard]!++;
    }
    assert.deepEqual(counts, [1040, 999, 961]);
    for (const count of counts) assert.ok(count >= 900 && count <= 1100, `${counts.join(', ')}`);
  });

  it('is stable: the same shard on every run and host (captured values)', () => {
    const captured: Array<[string, number, number, number]> = [
      // name, of 2, of 3, of 5
      ['gateway', 0, 2, 2],
      ['resolver', 0, 2, 4],
      ['uplink', 1, 1, 1],
      ['loopback-v4', 1, 2, 2],
      ['www.example.com', 0, 2, 4],
    ];
    // `printf gateway | sha1sum` starts 8a6b3c5e6ba4da6e: the key of the jump hash.
    assert.equal(shardOf('gateway', 3), jumpHash(0x8a6b3c5e6ba4da6en, 3));
    for (const [name, of2, of3, of5] of captured)
      assert.deepEqual([shardOf(name, 2), shardOf(name, 3), shardOf(name, 5)], [of2, of3, of5], name);
  });

  it('puts every name in shard 0 of 1', () => {
    for (const name of names(100)) assert.equal(shardOf(name, 1), 0);
  });

  it('moves only about 1/(N+1) of the names when a shard is added, all to the new shard', () => {
    const all = names(3000);
    for (let count = 1; count <= 8; count++) {
      let moved = 0;
      for (const name of all) {
        const before = shardOf(name, count);
        const after = shardOf(name, count + 1);
        if (before === after) continue;
        moved++;
        assert.equal(after, count, `${name} moved from ${before} to ${after}, not to the new shard`);
      }
      const expected = all.length / (count + 1);
      assert.ok(
        Math.abs(moved - expected) < 5 * Math.sqrt(expected),
        `${count}->${count + 1}: ${moved} moved`,
      );
    }
  });
});

describe('selectShard', () => {
  const config = parseConfig(
    `cardinality_limit: 5000\ntargets:\n${names(30)
      .map((name) => `  - { name: ${name}, host: 10.0.0.1, ping: {} }\n`)
      .join('')}`,
    'config.yaml',
  );

  it('keeps each shard’s own targets: the shards are disjoint and cover the list, in file order', () => {
    const seen = new Map<string, number>();
    for (let index = 0; index < 3; index++) {
      const part = selectShard(config, { index, count: 3 });
      assert.ok(part.targets.length > 0);
      assert.deepEqual(
        part.targets.map((t) => t.name),
        config.targets.map((t) => t.name).filter((name) => shardOf(name, 3) === index),
      );
      for (const target of part.targets) {
        assert.equal(seen.get(target.name), undefined, `${target.name} in two shards`);
        seen.set(target.name, index);
      }
      assert.equal(part.cardinalityLimit, 5000);
      assert.equal(part.file, 'config.yaml');
      assert.ok(Object.isFrozen(part) && Object.isFrozen(part.targets));
    }
    assert.equal(seen.size, config.targets.length);
  });

  it('returns the config itself for one shard', () => {
    assert.equal(selectShard(config, { index: 0, count: 1 }), config);
  });
});
