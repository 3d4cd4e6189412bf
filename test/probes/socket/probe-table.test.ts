import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeTable } from '../../../probes/socket/probe-table';

/** mulberry32: a seeded generator, so that a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ProbeTable', () => {
  it('stores, finds, replaces and deletes entries by 32-bit key', () => {
    const table = new ProbeTable<string>();
    table.set(0, 'zero');
    table.set(0xffffffff, 'max');
    table.set(7 * 0x10000 + 3, 'a');
    assert.equal(table.get(0), 'zero');
    assert.equal(table.get(0xffffffff), 'max');
    assert.equal(table.get(7 * 0x10000 + 3), 'a');
    assert.equal(table.get(5), undefined);
    table.set(0, 'zero again');
    assert.equal(table.size, 3);
    assert.equal(table.get(0), 'zero again');
    assert.equal(table.delete(0), true);
    assert.equal(table.delete(0), false);
    assert.equal(table.has(0), false);
    assert.equal(table.size, 2);
    assert.deepEqual(
      new Map(table.entries()),
      new Map([
        [0xffffffff, 'max'],
        [7 * 0x10000 + 3, 'a'],
      ]),
    );
    table.clear();
    assert.equal(table.size, 0);
    assert.equal(table.get(0xffffffff), undefined);
  });

  it('agrees with a Map over 200,000 random operations on colliding keys, and keeps its capacity to twice the peak (seeded)', () => {
    for (const seed of [1, 2, 3]) {
      const next = random(seed);
      const table = new ProbeTable<number>();
      const reference = new Map<number, number>();
      let peak = 0;
      for (let step = 0; step < 200_000; step++) {
        // keys as the ICMP socket makes them (identifier × 65536 + sequence), from a small range so
        // that runs collide, and a size that wanders up and down
        const key = Math.floor(next() * 64) * 0x10000 + Math.floor(next() * 64);
        const wantBigger = Math.floor(step / 20_000) % 2 === 0;
        if (next() < (wantBigger ? 0.6 : 0.4)) {
          table.set(key, step);
          reference.set(key, step);
        } else {
          assert.equal(table.delete(key), reference.delete(key));
        }
        peak = Math.max(peak, reference.size);
        if (step % 997 === 0) {
          assert.equal(table.size, reference.size);
          for (const [k, v] of reference) assert.equal(table.get(k), v, `seed ${seed} step ${step} key ${k}`);
        }
        assert.equal(table.get(key), reference.get(key));
      }
      assert.deepEqual(new Map(table.entries()), reference);
      assert.ok(table.capacity <= Math.max(64, 4 * peak), `capacity ${table.capacity} for a peak of ${peak}`);
    }
  });
});
