import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeError } from '../../../probes';
import { IdentifierPool } from '../../../probes/socket';

describe('IdentifierPool', () => {
  it('draws identifiers at random: 1000 allocations are not a run an observer could extend', () => {
    const pool = new IdentifierPool();
    const ids = Array.from({ length: 1000 }, () => pool.allocate());
    assert.equal(new Set(ids).size, 1000, 'unique');
    const steps = ids.slice(1).map((id, i) => (id - ids[i]! + 0x10000) & 0xffff);
    // Knowing one identifier, an observer who guesses the next as "the same step again" (or +1) is
    // right about once in 65536 tries for random draws; for consecutive identifiers, every time.
    const sameStep = steps.slice(1).filter((step, i) => step === steps[i]).length;
    const plusOne = steps.filter((step) => step === 1).length;
    assert.ok(sameStep < 10, `${sameStep} of 999 steps repeat the previous one`);
    assert.ok(plusOne < 10, `${plusOne} of 999 identifiers follow the previous one`);
    // And the values spread over the 16 bits: each quarter of the range gets some.
    const quarters = new Set(ids.map((id) => id >> 14));
    assert.equal(quarters.size, 4);
  });

  it('hands out every identifier once when drawn until full, then refuses with a typed error', () => {
    const pool = new IdentifierPool();
    const seen = new Set<number>();
    for (let i = 0; i < 0x10000; i++) seen.add(pool.allocate());
    assert.equal(seen.size, 0x10000);
    assert.throws(
      () => pool.allocate(),
      (e) => e instanceof ProbeError && e.code === 'ERR_IDENTIFIERS_EXHAUSTED',
    );
    pool.release(4242);
    assert.equal(pool.allocate(), 4242, 'the one freed identifier is found');
  });

  it('takes the next free identifier after a draw that keeps hitting used ones', () => {
    const pool = new IdentifierPool(() => 0xfffe);
    assert.deepEqual([pool.allocate(), pool.allocate(), pool.allocate()], [0xfffe, 0xffff, 0]);
    pool.release(0xffff);
    assert.equal(pool.allocate(), 0xffff);
  });
});
