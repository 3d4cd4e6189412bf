import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AnswerRecords } from '../../../../probes/trace/mda/answer-records';
import { planHop, type HopPlan } from '../../../../probes/trace/mda/plan-hop';

const OPTIONS = { firstHop: 1, confidence: 0.95, maxFlows: 128 };

/** Records where flow i met `hops[ttl - 1][i]` (null: lost; undefined entries: not probed). */
function recordsOf(
  flows: number,
  hops: ReadonlyArray<ReadonlyArray<string | null | undefined>>,
): AnswerRecords {
  const records = new AnswerRecords();
  records.addFlows(flows);
  for (const [i, hop] of hops.entries())
    for (const [flow, from] of hop.entries())
      if (from !== undefined) records.record(flow, i + 1, { from, ends: from === 'target' });
  return records;
}

const probed = (plan: HopPlan): Array<[number, number]> =>
  plan.kind === 'probe' ? plan.probes.map(({ flow, ttl }) => [flow, ttl]) : [];

describe('planHop (MDA next probes)', () => {
  it('opens n_2 = 6 new flows at the first hop, and is done once 6 met one router', () => {
    const empty = recordsOf(0, []);
    const first = planHop(empty, 1, OPTIONS);
    assert.equal(first.kind === 'probe' && first.newFlows, 6);
    assert.deepEqual(
      probed(first),
      [0, 1, 2, 3, 4, 5].map((flow) => [flow, 1]),
    );
    assert.deepEqual(planHop(recordsOf(6, [Array(6).fill('r1')]), 1, OPTIONS), {
      kind: 'done',
      complete: true,
    });
  });

  it('reuses the flows of a hop without diversity at the next, then adds flows there directly (MDA-Lite)', () => {
    const records = recordsOf(6, [Array(6).fill('r1')]);
    assert.deepEqual(
      probed(planHop(records, 2, OPTIONS)),
      [0, 1, 2, 3, 4, 5].map((flow) => [flow, 2]),
    );
    // 3 next hops seen among 6: n_4 = 16, so 10 new flows, probed at TTL 2 (all go through r1)
    const split = recordsOf(6, [Array(6).fill('r1'), ['a', 'b', 'c', 'a', 'b', 'a']]);
    const plan = planHop(split, 2, OPTIONS);
    assert.equal(plan.kind === 'probe' && plan.newFlows, 10);
    assert.deepEqual(
      probed(plan),
      Array.from({ length: 10 }, (_, i) => [6 + i, 2]),
    );
  });

  it('explores each branch on its own: n_k of the flows through each vertex (nested diamonds)', () => {
    // TTL 2: 8 flows over a and b, 4 each; TTL 3: a's flows met x and y, b's only z
    const records = recordsOf(8, [
      Array(8).fill('r1'),
      ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b'],
      ['x', 'z', 'y', 'z', undefined, undefined, undefined, undefined],
    ]);
    const plan = planHop(records, 3, OPTIONS);
    // a: 2 next hops seen, needs n_3 = 11 probes, has 2 probed + 2 unprobed flows: 7 missing; its share
    // of the flows at TTL 2 is 4 / 8, so 14 new flows there (node control). b: needs 6, has 2 + 2.
    assert.equal(plan.kind === 'probe' && plan.newFlows, 14);
    const orders = probed(plan);
    assert.deepEqual(
      orders.filter(([, ttl]) => ttl === 3),
      [
        [4, 3],
        [6, 3],
        [5, 3],
        [7, 3],
      ],
    );
    assert.deepEqual(
      orders.filter(([, ttl]) => ttl === 2).map(([flow]) => flow),
      Array.from({ length: 14 }, (_, i) => 8 + i),
    );
  });

  it('leaves out flows lost at the hop before when it has several vertices, and flows that ended', () => {
    const records = recordsOf(4, [Array(4).fill('r1'), ['a', null, 'b', 'target']]);
    const plan = planHop(records, 3, OPTIONS);
    assert.deepEqual(
      probed(plan).filter(([, ttl]) => ttl === 3),
      [
        [0, 3],
        [2, 3],
      ],
    );
  });

  it('stops short at max_flows and says the hop is incomplete', () => {
    const records = recordsOf(6, [Array(6).fill('r1'), ['a', 'b', 'c', 'a', 'b', 'a']]);
    const capped = planHop(records, 2, { ...OPTIONS, maxFlows: 9 });
    assert.equal(capped.kind === 'probe' && capped.newFlows, 3);
    const full = recordsOf(9, [Array(9).fill('r1'), ['a', 'b', 'c', 'a', 'b', 'a', 'a', 'b', 'c']]);
    assert.deepEqual(planHop(full, 2, { ...OPTIONS, maxFlows: 9 }), { kind: 'done', complete: false });
  });

  it('treats a silent hop as one vertex: the next hop gets its flows', () => {
    const records = recordsOf(6, [Array(6).fill('r1'), Array(6).fill(null)]);
    assert.deepEqual(
      probed(planHop(records, 3, OPTIONS)),
      [0, 1, 2, 3, 4, 5].map((flow) => [flow, 3]),
    );
  });
});
