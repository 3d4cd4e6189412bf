import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { flowsForOneRouter } from '../../../../exporter/config/trace';
import { probesToRuleOutAnother, stoppingPoint } from '../../../../probes/trace/mda/stopping-points';

/**
 * n_2 … n_10 from the closed form n_k = ⌈ln(α/k) / ln((k−1)/k)⌉ (Veitch et al. 2009). The first five at
 * 95 % are those of Augustin et al.'s table (6, 11, 16, 21, 27); from k = 7 the closed form, a union
 * bound, asks for up to one probe more than the exact probability below needs.
 */
const TABLE: Record<string, number[]> = {
  '0.95': [6, 11, 16, 21, 27, 33, 39, 45, 51],
  '0.99': [8, 15, 21, 28, 36, 43, 51, 58, 66],
};

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
  return r;
}

/** Exact probability that n probes spread uniformly over k next hops miss one of them (inclusion–exclusion). */
function missProbability(k: number, n: number): number {
  let p = 0;
  for (let i = 1; i < k; i++) p += (i % 2 === 1 ? 1 : -1) * choose(k, i) * ((k - i) / k) ** n;
  return p;
}

describe('MDA stopping points', () => {
  for (const [confidence, expected] of Object.entries(TABLE)) {
    it(`gives the table at ${confidence}`, () => {
      const points = [2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => stoppingPoint(k, Number(confidence)));
      assert.deepEqual(points, expected);
    });

    it(`misses a k-th next hop with probability at most 1 - confidence at n_k, more at n_k - 1 for the first ones (${confidence})`, () => {
      const alpha = 1 - Number(confidence);
      for (let k = 2; k <= 17; k++) {
        const n = stoppingPoint(k, Number(confidence));
        assert.ok(missProbability(k, n) <= alpha, `k ${k}: n ${n} misses with ${missProbability(k, n)}`);
        // never more than 2 probes beyond what the exact probability needs
        assert.ok(missProbability(k, n - 2) > alpha, `k ${k}: n ${n} is more than needed`);
      }
      for (let k = 2; k <= 5; k++) {
        const n = stoppingPoint(k, Number(confidence));
        assert.ok(missProbability(k, n - 1) > alpha, `k ${k}: ${n - 1} would do`);
      }
    });
  }

  it('needs 97 flows at a 16-way split at 95 % (the default max_flows, 128, covers it)', () => {
    assert.equal(stoppingPoint(17, 0.95), 97);
  });

  it('asks as many probes with nothing seen as with one next hop seen', () => {
    assert.equal(probesToRuleOutAnother(0, 0.95), 6);
    assert.equal(probesToRuleOutAnother(1, 0.95), 6);
    assert.equal(probesToRuleOutAnother(4, 0.95), 21);
  });

  it('rejects k below 2 and confidences outside (0, 1)', () => {
    assert.throws(() => stoppingPoint(1, 0.95), RangeError);
    assert.throws(() => stoppingPoint(3, 1), RangeError);
    assert.throws(() => stoppingPoint(3, 0), RangeError);
  });
});

describe("the config's n_2 (computed without loading the probes)", () => {
  it('agrees with stoppingPoint(2, confidence) from 0.5 to 0.99', () => {
    for (let i = 0; i <= 49; i++) {
      const confidence = 0.5 + i / 100;
      assert.equal(flowsForOneRouter(confidence), stoppingPoint(2, confidence), String(confidence));
    }
  });
});
