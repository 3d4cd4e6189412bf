import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import { AnswerRecords } from '../../../../probes/trace/mda/answer-records';
import { runMda } from '../../../../probes/trace/run-mda';
import { witnessFlows } from '../../../../probes/trace/mda/witnesses';
import { summarizeMda } from '../../../../probes/trace/summarize-mda';
import {
  validateTraceRequest,
  type TraceHop,
  type TraceRequest,
  type TraceResult,
} from '../../../../probes/trace';
import { hopsOf, NESTED_DIAMOND, SimulatedTransport, type Topology } from './simulated-network';

/** Fresh identities, as the kernel hands out new source ports; from the same start in every test. */
let freshIdentities = 0;

async function trace(
  topology: Topology,
  seed: number,
  request: Partial<TraceRequest> = {},
  drop?: (flow: number, ttl: number, node: string) => boolean,
): Promise<{ result: TraceResult; transport: SimulatedTransport; witnesses: number[] }> {
  // The simulated destination answers as 'target'; the spec needs an address.
  const spec = validateTraceRequest({ addr: '192.0.2.1', ...request });
  // Identities are ports: 1 to 65535, wrapping (a seed's traces use far fewer).
  const fresh = (): number => 1 + (freshIdentities++ % 0xffff);
  const transport = new SimulatedTransport(topology, seed, drop, spec.sourcePorts, fresh);
  const records = new AnswerRecords();
  const hops: TraceHop[] = [];
  for await (const hop of runMda(transport, { ...spec, mda: spec.mda! }, records)) hops.push(hop);
  const result = summarizeMda(
    { ...spec, destination: 'target', mda: spec.mda! },
    hops,
    records,
    0,
    transport.asked.length,
  );
  const last = hops.at(-1)?.ttl ?? 1;
  const witnesses = witnessFlows(records, 1, last).map((flow) => transport.identities[flow]!);
  return { result, transport, witnesses };
}

const responders = (result: TraceResult): string[][] =>
  result.hops.map((hop) => hop.responders.map((r) => r.address).sort());

describe('runMda (simulated per-flow load balancers)', () => {
  beforeEach(() => {
    freshIdentities = 0;
  });

  it('finds every branch of a 4-way split with a nested 2-way split as often as 95 % per vertex promises, a median of 125 probes', async () => {
    // Per trace the two splits are missed with probability about 4 (3/4)^21 + 2 (1/2)^6 = 4 %: of 200
    // seeded topologies (the same every run), at least 180 must come out whole.
    const truth = hopsOf(NESTED_DIAMOND);
    const probes: number[] = [];
    let whole = 0;
    let incomplete = 0;
    for (let seed = 0; seed < 200; seed++) {
      const { result, transport } = await trace(NESTED_DIAMOND, seed);
      if (JSON.stringify(responders(result)) === JSON.stringify(truth)) {
        whole++;
        assert.equal(result.paths.length, 5, `seed ${seed}: 4 branches, one of them split in 2`);
      }
      // max_flows (128) cuts a round short when finding 6 flows through r3a (1 in 8) takes too many
      if (result.mda?.complete !== true) incomplete++;
      assert.equal(result.probes, transport.asked.length);
      assert.equal(transport.closed, 1);
      assert.ok(
        transport.asked.every(({ ttl }) => ttl <= truth.length),
        `seed ${seed}: nothing probed past the destination`,
      );
      probes.push(result.probes);
    }
    assert.ok(whole >= 190 && whole < 200, `${whole} of 200 whole`);
    assert.ok(incomplete <= 2, `${incomplete} of 200 cut short by max_flows`);
    probes.sort((a, b) => a - b);
    assert.ok(probes[100]! <= 125 && probes.at(-1)! <= 190, `median ${probes[100]}, max ${probes.at(-1)}`);
  });

  it("misses nothing in 200 of 200 topologies at the exporter's first-round confidence, 1 - 0.05^3", async () => {
    const truth = hopsOf(NESTED_DIAMOND);
    for (let seed = 0; seed < 200; seed++) {
      const { result } = await trace(NESTED_DIAMOND, seed, { confidence: 1 - 0.05 ** 3 });
      assert.deepEqual(responders(result), truth, `seed ${seed}`);
    }
  });

  it('keeps what a round found when the next replays its witness flows, and finds what it missed', async () => {
    const truth = hopsOf(NESTED_DIAMOND);
    let healed = 0;
    for (let seed = 0; seed < 200; seed++) {
      let previous = await trace(NESTED_DIAMOND, seed);
      const missedFirst = JSON.stringify(responders(previous.result)) !== JSON.stringify(truth);
      for (let round = 0; round < 5; round++) {
        const next = await trace(NESTED_DIAMOND, seed, { sourcePorts: previous.witnesses });
        for (const [i, hop] of responders(previous.result).entries())
          for (const address of hop)
            assert.ok(
              responders(next.result)[i]?.includes(address),
              `seed ${seed} round ${round}: ${address} lost`,
            );
        previous = next;
      }
      if (missedFirst && JSON.stringify(responders(previous.result)) === JSON.stringify(truth)) healed++;
      else assert.ok(!missedFirst, `seed ${seed}: still missing a branch after 5 rounds`);
    }
    assert.ok(healed > 0, 'some first rounds missed a branch, found later');
  });

  it('costs n_2 = 6 probes per hop on a path without diversity, on the same 6 flows', async () => {
    const line: Topology = { client: ['r1'], r1: ['r2'], r2: ['r3'], r3: ['target'], target: [] };
    const { result, transport } = await trace(line, 1);
    assert.deepEqual(responders(result), [['r1'], ['r2'], ['r3'], ['target']]);
    assert.equal(result.probes, 24);
    assert.deepEqual([...new Set(transport.asked.map(({ flow }) => flow))], [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(
      result.paths.map((path) => path.hops),
      [['r1', 'r2', 'r3', 'target']],
    );
    assert.equal(result.hopsToDestination, 4);
    assert.deepEqual(
      result.hops.map((hop) => [hop.sent, hop.received, hop.loss, hop.complete]),
      Array(4).fill([6, 6, 0, true]),
    );
  });

  it('asks the same probes of the same flows in the same order: a branch found once is found again', async () => {
    const first = await trace(NESTED_DIAMOND, 7);
    const again = await trace(NESTED_DIAMOND, 7, { sourcePorts: first.transport.identities });
    assert.deepEqual(again.transport.asked, first.transport.asked);
    assert.equal(again.result.pathSetHash, first.result.pathSetHash);
  });

  it('stops at max_flows with the hop marked incomplete', async () => {
    const { result } = await trace(NESTED_DIAMOND, 3, { maxFlows: 10 });
    assert.equal(result.mda?.complete, false);
    assert.equal(result.hops[1]!.complete, false);
    assert.ok(result.flows.length <= 10);
  });

  it('goes past a silent hop, and stops after a silent hop beyond a known path length', async () => {
    const line: Topology = { client: ['r1'], r1: ['r2'], r2: ['r3'], r3: ['target'], target: [] };
    const silentR2 = await trace(line, 1, {}, (_flow, _ttl, node) => node === 'r2');
    assert.deepEqual(responders(silentR2.result), [['r1'], [], ['r3'], ['target']]);
    assert.equal(silentR2.result.hops[1]!.loss, 1);
    assert.equal(silentR2.result.reached, true);

    // the destination's answers lost: without a known length, maxSilentHops TTLs past it; with one, one
    const lostEnd = (_flow: number, _ttl: number, node: string): boolean => node === 'target';
    const unknown = await trace(line, 1, { maxSilentHops: 3 }, lostEnd);
    assert.equal(Math.max(...unknown.transport.asked.map(({ ttl }) => ttl)), 6);
    const known = await trace(line, 1, { maxSilentHops: 3, pathLength: 4 }, lostEnd);
    assert.equal(Math.max(...known.transport.asked.map(({ ttl }) => ttl)), 5);
    assert.equal(known.result.reached, false);
  });
});
