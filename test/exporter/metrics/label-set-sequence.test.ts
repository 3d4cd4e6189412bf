import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Attributes } from '@opentelemetry/api';
import { LabelSetSequence } from '../../../exporter/metrics/label-set-sequence';

/** A collection pushing `sets` in order. */
function collect(sequence: LabelSetSequence, sets: readonly Attributes[]): readonly Attributes[] {
  sequence.start();
  for (const set of sets) sequence.push(set);
  return sequence.build();
}

describe('LabelSetSequence', () => {
  const a: Attributes = { target: 'a' };
  const b: Attributes = { target: 'b' };
  const c: Attributes = { target: 'c' };
  const d: Attributes = { target: 'd' };

  it('hands out the previous collection’s array when the very same label sets come in the same order', () => {
    const sequence = new LabelSetSequence();
    const first = collect(sequence, [a, b, c]);
    assert.deepEqual(first, [a, b, c]);
    assert.equal(collect(sequence, [a, b, c]), first);
    assert.equal(collect(sequence, [a, b, c]), first);
  });

  it('makes a new array from the first label set that differs, and leaves the previous one as it was', () => {
    const cases: Array<[what: string, sets: Attributes[]]> = [
      ['one removed in the middle', [a, c]],
      ['one added at the end', [a, b, c, d]],
      ['the last one removed', [a, b]],
      ['an equal but other object', [a, { target: 'b' }, c]],
      ['reordered', [b, a, c]],
      ['none', []],
    ];
    for (const [what, sets] of cases) {
      const sequence = new LabelSetSequence();
      const previous = collect(sequence, [a, b, c]);
      const built = collect(sequence, sets);
      assert.notEqual(built, previous, what);
      assert.deepEqual(built, sets, what);
      sets.forEach((set, i) => assert.equal(built[i], set, `${what}: series ${i}`));
      assert.deepEqual(previous, [a, b, c], `${what}: the previous array`);
      // The next collection compares with this one.
      assert.equal(collect(sequence, sets), built, `${what}: then unchanged`);
    }
  });
});
