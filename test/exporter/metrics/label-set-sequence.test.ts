import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Attributes } from '@opentelemetry/api';
import { LabelSetSequence } from '../../../exporter/metrics/label-set-sequence';

const sequence = (previous: readonly Attributes[], sets: readonly Attributes[]): readonly Attributes[] => {
  const built = new LabelSetSequence(previous);
  for (const set of sets) built.push(set);
  return built.build();
};

describe('LabelSetSequence', () => {
  const a: Attributes = { target: 'a' };
  const b: Attributes = { target: 'b' };
  const c: Attributes = { target: 'c' };
  const d: Attributes = { target: 'd' };

  it('hands out the previous array when the very same label sets come in the same order', () => {
    const previous = [a, b, c];
    assert.equal(sequence(previous, [a, b, c]), previous);
  });

  it('makes a new array from the first label set that differs, and leaves the previous one as it was', () => {
    const previous = Object.freeze([a, b, c]);
    const cases: Array<[what: string, sets: Attributes[]]> = [
      ['one removed in the middle', [a, c]],
      ['one added at the end', [a, b, c, d]],
      ['the last one removed', [a, b]],
      ['an equal but other object', [a, { target: 'b' }, c]],
      ['reordered', [b, a, c]],
      ['none', []],
    ];
    for (const [what, sets] of cases) {
      const built = sequence(previous, sets);
      assert.notEqual(built, previous, what);
      assert.equal(built.length, sets.length, what);
      sets.forEach((set, i) => assert.equal(built[i], set, `${what}: series ${i}`));
    }
    assert.deepEqual(previous, [a, b, c]);
  });

  it('starts from nothing', () => {
    assert.deepEqual(sequence([], [a, b]), [a, b]);
    assert.deepEqual(sequence(undefined as never, []), []);
  });
});
