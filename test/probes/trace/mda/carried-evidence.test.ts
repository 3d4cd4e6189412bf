import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EVIDENCE_MAX_AGE } from '../../../../probes/trace/mda/evidence';
import type { TraceResult } from '../../../../probes/trace';
import { simulatedRounds } from '../simulated-rounds';
import { AnswerRecords } from '../../../../probes/trace/mda/answer-records';
import { CarriedEvidence } from '../../../../probes/trace/mda/carried-evidence';
import type { MdaEvidence } from '../../../../probes/trace/mda/evidence';
import { CountingTransport } from '../../../../probes/trace/counting-transport';
import { hopsOf, MDA_LAB, SimulatedTransport, type Topology } from './simulated-network';

/** scamper's `tracelb -P udp-dport -c 95` on the real MDA lab: 55 / 66 / 66 probes (bench/results.md, "MDA"). */
const SCAMPER_MEDIAN = 66;
const FIRST_CONFIDENCE = 1 - 0.05 ** 3;

const responders = (result: TraceResult): string[][] =>
  result.hops.map((hop) => hop.responders.map((r) => r.address).sort());

async function roundsOf(
  topology: Topology,
  seed: number,
  count: number,
  topologyOf?: (round: number) => Topology,
) {
  const results: TraceResult[] = [];
  for await (const result of simulatedRounds(topology, count, undefined, {
    firstConfidence: FIRST_CONFIDENCE,
    seed,
    ...(topologyOf && { topologyOf }),
  }))
    results.push(result);
  return results;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('MDA rounds counting carried evidence (simulated MDA lab)', () => {
  it('finds all 14 addresses in every round of 100 seeded networks, later rounds below scamper’s median', async () => {
    const truth = hopsOf(MDA_LAB);
    const later: number[] = [];
    for (let seed = 0; seed < 100; seed++) {
      const results = await roundsOf(MDA_LAB, seed, 10);
      for (const [round, result] of results.entries()) {
        assert.deepEqual(responders(result), truth, `seed ${seed} round ${round}`);
        assert.equal(result.paths.length, 5, `seed ${seed} round ${round}`);
        if (round > 0) later.push(result.probes);
      }
    }
    later.sort((a, b) => a - b);
    console.log(`later rounds: min ${later[0]}, median ${median(later)}, max ${later.at(-1)}`);
    assert.ok(median(later) < SCAMPER_MEDIAN, `median ${median(later)}`);
    assert.ok(later.at(-1)! <= 90, `max ${later.at(-1)}`);
  });

  it(`counts no answer older than ${EVIDENCE_MAX_AGE} rounds: each round's evidence was seen in it or the ${EVIDENCE_MAX_AGE - 1} before`, async () => {
    for (let seed = 0; seed < 20; seed++) {
      const results = await roundsOf(MDA_LAB, seed, 12);
      for (const [round, result] of results.entries()) {
        const evidence = result.evidence!;
        assert.equal(evidence.round, round);
        for (const flow of evidence.flows)
          for (const answer of flow.hops)
            if (answer !== null)
              assert.ok(
                round - answer.seen < EVIDENCE_MAX_AGE,
                `seed ${seed} round ${round}: seen ${answer.seen}`,
              );
      }
    }
  });

  it('explores afresh, two rounds, once a re-check sees a flow go elsewhere (r2d taken out of r1), then is cheap again', async () => {
    const withoutR2d: Topology = { ...MDA_LAB, r1: ['r2a', 'r2b', 'r2c'] };
    for (let seed = 0; seed < 20; seed++) {
      const results = await roundsOf(MDA_LAB, seed, 9, (round) => (round >= 5 ? withoutR2d : MDA_LAB));
      const probes = results.map((result) => result.probes);
      const cheap = Math.max(...probes.slice(1, 5));
      // The round that sees the change and the next send the MDA's own numbers again; later ones do not.
      assert.ok(probes[5]! > cheap && probes[6]! > cheap, `seed ${seed}: ${probes.join(' ')}`);
      assert.ok(probes[8]! <= cheap + 15, `seed ${seed}: ${probes.join(' ')}`);
      assert.deepEqual(responders(results[8]!), hopsOf(withoutR2d), `seed ${seed}`);
      assert.deepEqual(
        results.map((result) => result.evidence!.freshRounds),
        [0, 0, 0, 0, 0, 1, 0, 0, 0],
        `seed ${seed}`,
      );
    }
  });

  it("lets the round see its flows' ports through the Tracer's counting transport (carried flows are checked against them)", async () => {
    const simulated = new SimulatedTransport(MDA_LAB, 1, undefined, [4242, 4343]);
    const counting = new CountingTransport(simulated);
    await counting.ensureFlows(2);
    assert.deepEqual(counting.sourcePorts, [4242, 4343]);
  });

  it('takes another responder on a re-checked flow for a change, the destination answering from another of its addresses not', () => {
    // Two flows over r1 to the target, seen in round 3; round 4 re-checks both at both TTLs.
    const evidence: MdaEvidence = {
      round: 3,
      firstHop: 1,
      freshRounds: 0,
      flows: [100, 101].map((port) => ({
        port,
        hops: [
          { from: 'r1', ends: false, seen: 3 },
          { from: 'target', ends: true, seen: 3 },
        ],
      })),
    };
    const settle = (answers: Array<[number, number, string, boolean]>): CarriedEvidence => {
      const carried = new CarriedEvidence(evidence);
      carried.bind([100, 101]);
      const probes = carried.recheckProbes(30);
      assert.deepEqual(
        new Set(probes.map(({ flow, ttl }) => `${flow}@${ttl}`)),
        new Set(['0@1', '1@1', '0@2', '1@2']),
      );
      const records = new AnswerRecords();
      records.addFlows(2);
      for (const [flow, ttl, from, ends] of answers) records.record(flow, ttl, { from, ends });
      carried.settle(records);
      return carried;
    };
    const same = settle([
      [0, 1, 'r1', false],
      [0, 2, 'target-link-address', true],
    ]);
    assert.equal(same.changed, false);
    assert.equal(same.counting, true);
    const moved = settle([[1, 1, 'r9', false]]);
    assert.equal(moved.changed, true);
    assert.equal(moved.counting, false);
    assert.equal(moved.freshRoundsAfter([0, 0]), 1, 'the round after explores afresh too');
    assert.equal(moved.freshRoundsAfter([0, 0.5]), 2, 'a round that lost half a hop does not count as one');
    const longer = settle([[1, 2, 'r2', false]]);
    assert.equal(longer.changed, true, 'a flow that ended there goes on: a change');
  });
});
