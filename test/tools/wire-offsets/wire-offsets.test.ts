import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { judgeWireOffsets } from '../../support/wire-offsets';

const bound = 50e-6;
const close = (n: number): number[] => Array.from({ length: n }, (_, i) => (5 + (i % 5)) * 1e-6);

describe('judgeWireOffsets (how the timestamp e2e tests hold RTTs to the wire)', () => {
  it('passes offsets within the bound', () => {
    assert.equal(judgeWireOffsets(close(20), bound).ok, true);
  });

  it('lets one offset in twenty exceed the bound, up to four times it', () => {
    assert.equal(judgeWireOffsets([...close(19), 50.1e-6], bound).ok, true);
    assert.equal(judgeWireOffsets([...close(19), -199e-6], bound).ok, true);
    assert.equal(judgeWireOffsets([...close(19), 200e-6], bound).ok, false);
    assert.equal(judgeWireOffsets([...close(18), 60e-6, 60e-6], bound).ok, false);
  });

  it('allows one beyond the bound under twenty offsets, not two, and fails no offsets or a missing one', () => {
    assert.equal(judgeWireOffsets([73.7e-6, ...close(8)], bound).ok, true);
    assert.equal(judgeWireOffsets([73.7e-6, 51e-6, ...close(7)], bound).ok, false);
    assert.equal(judgeWireOffsets([], bound).ok, false);
    assert.equal(judgeWireOffsets([...close(19), NaN], bound).ok, false);
  });

  it('fails a systematic offset like a clock read after the wake-up', () => {
    const verdict = judgeWireOffsets(
      close(20).map((o) => o + 120e-6),
      bound,
    );
    assert.equal(verdict.ok, false);
    assert.match(verdict.explanation, /^20 of 20 offsets beyond 50\.0 µs/);
  });
});
