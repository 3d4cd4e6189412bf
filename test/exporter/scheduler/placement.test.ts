import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JobPlacement, PLACEMENT_BLOCK, placedOffset } from '../../../exporter/scheduler/placement';
import { spreadOffset } from '../../../exporter/scheduler';

describe('JobPlacement', () => {
  it('spreads the first block of an interval by the hash of each key', () => {
    const placement = new JobPlacement();
    for (let i = 0; i < PLACEMENT_BLOCK; i++)
      assert.equal(placement.offset(`t${i}`, 1000), spreadOffset(`t${i}`, 1000));
    assert.notEqual(placement.offset(`t${PLACEMENT_BLOCK}`, 1000), spreadOffset(`t${PLACEMENT_BLOCK}`, 1000));
  });

  it('places later jobs in blocks, in the order they start, each block within 1/64 of the interval', () => {
    for (let block = 1; block < 200; block++) {
      const first = placedOffset(block * PLACEMENT_BLOCK, 'k', 1000);
      for (let j = 1; j < PLACEMENT_BLOCK; j++) {
        const offset = placedOffset(block * PLACEMENT_BLOCK + j, 'k', 1000);
        const apart = (offset - first + 1000) % 1000;
        assert.ok(
          Math.abs(apart - (j * 1000) / PLACEMENT_BLOCK ** 2) < 1e-9,
          `block ${block} job ${j}: ${apart}`,
        );
      }
    }
  });

  it('spreads ten thousand jobs about evenly over the interval, and any number of them', () => {
    for (const jobs of [10_000, 1_000, 300]) {
      const placement = new JobPlacement();
      const buckets = new Array<number>(10).fill(0);
      for (let i = 0; i < jobs; i++) {
        const offset = placement.offset(`target-${i}`, 1000);
        assert.ok(offset >= 0 && offset < 1000, `${offset}`);
        buckets[Math.floor(offset / 100)]!++;
      }
      // The golden ratio keeps blocks' starts within a factor of φ of even gaps: at most a block
      // (64 jobs) more or less than the even share per tenth, beyond the hashed first block's noise.
      const even = jobs / 10;
      for (const count of buckets)
        assert.ok(Math.abs(count - even) <= 64 + 30, `${jobs} jobs: ${buckets.join(' ')}`);
    }
  });

  it('counts each interval on its own', () => {
    const placement = new JobPlacement();
    for (let i = 0; i < PLACEMENT_BLOCK; i++) placement.offset(`p${i}`, 1000);
    // The 65th job of 1 s opens block 1; the first of 5 s is hashed.
    assert.equal(placement.offset('k0', 5000), spreadOffset('k0', 5000));
    assert.equal(placement.offset('p64', 1000), placedOffset(PLACEMENT_BLOCK, 'p64', 1000));
    assert.equal(placement.offset('p65', 1000), placedOffset(PLACEMENT_BLOCK + 1, 'p65', 1000));
  });
});
