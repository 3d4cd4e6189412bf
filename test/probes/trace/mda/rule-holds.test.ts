import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foundationConfidence, type MdaEvidence } from '../../../../probes/trace/mda/evidence';
import { ruleHolds } from '../../../../probes/trace/mda/rule-holds';
import { probesToRuleOutAnother } from '../../../../probes/trace/mda/stopping-points';

const FOUNDATION = foundationConfidence(0.95);

/** `flows` flows over r1, then each at one of `branches` in turn (none: nobody answered there), then `last` if given. */
function evidenceOf(flows: number, branches: readonly string[], last?: string): MdaEvidence {
  return {
    round: 1,
    firstHop: 1,
    freshRounds: 0,
    founded: false,
    flows: Array.from({ length: flows }, (_, i) => ({
      port: 1000 + i,
      hops: [
        { from: 'r1', ends: false, seen: 1 },
        branches.length === 0 ? null : { from: branches[i % branches.length]!, ends: false, seen: 1 },
        ...(last === undefined ? [] : [{ from: last, ends: true, seen: 1 }]),
      ],
    })),
  };
}

describe('ruleHolds (whether the answered flows carried found the evidence)', () => {
  it('holds where the answered flows reach n_k behind every vertex at the confidence asked, not short of it', () => {
    // 3 next hops seen behind r1: 16 flows rule out a 4th at 0.95, not at 1 − 0.05³ (a 4th branch
    // every one of them missed stays likely enough that rounds must look for it).
    const atFoundation = probesToRuleOutAnother(3, FOUNDATION);
    assert.ok(atFoundation > 16);
    assert.equal(ruleHolds(evidenceOf(16, ['a', 'b', 'c']), 0.95, 128), true);
    assert.equal(ruleHolds(evidenceOf(16, ['a', 'b', 'c']), FOUNDATION, 128), false);
    assert.equal(ruleHolds(evidenceOf(atFoundation, ['a', 'b', 'c']), FOUNDATION, 128), true);
  });

  it('takes a hop nobody answered at for nothing to settle, the flow cap for as far as a round goes, and no answer for no foundation', () => {
    const one = probesToRuleOutAnother(1, FOUNDATION);
    assert.equal(ruleHolds(evidenceOf(one, [], 'target'), FOUNDATION, 128), true);
    assert.equal(ruleHolds(evidenceOf(one - 1, [], 'target'), FOUNDATION, 128), false);
    assert.equal(ruleHolds(evidenceOf(16, ['a', 'b', 'c']), FOUNDATION, 16), true);
    assert.equal(ruleHolds(evidenceOf(0, []), 0.95, 128), false);
  });
});
