import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AnswerRecords } from '../../../../probes/trace/mda/answer-records';
import { runMda } from '../../../../probes/trace/run-mda';
import { summarizeMda } from '../../../../probes/trace/summarize-mda';
import { validateTraceRequest, type TraceHop, type TraceRequest, type TraceResult } from '../../../../probes/trace';
import { hopsOf, NESTED_DIAMOND, SimulatedTransport, type Topology } from './simulated-network';

async function trace(
  topology: Topology,
  seed: number,
  request: Partial<TraceRequest> = {},
  drop?: (flow: number, ttl: number, node: string) => boolean,
): Promise<{ result: TraceResult; transport: SimulatedTransport }> {
  // The simulated destination answers as 'target'; the spec needs an address.
  const spec = validateTraceRequest({ addr: '192.0.2.1', ...request });
  const transport = new SimulatedTransport(topology, seed, drop);
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
  return { result, transport };
}

const responders = (result: TraceResult): string[][] =>
  result.hops.map((hop) => hop.responders.map((r) => r.address).sort());

describe('runMda (simulated per-flow load balancers)', () => {
  it('finds every branch of a 4-way split with a nested 2-way split in 100 of 100 seeded topologies, within 150 probes', async () => {
    const truth = hopsOf(NESTED_DIAMOND);
    const probes: number[] = [];
    for (let seed = 0; seed < 100; seed++) {
      const { result, transport } = await trace(NESTED_DIAMOND, seed);
      assert.deepEqual(responders(result), truth, `seed ${seed}`);
      assert.equal(result.paths.length, 5, `seed ${seed}: 4 branches, one of them split in 2`);
      assert.equal(result.mda?.complete, true);
      assert.equal(result.probes, transport.asked.length);
      assert.equal(transport.closed, 1);
      assert.ok(
        transport.asked.every(({ ttl }) => ttl <= truth.length),
        `seed ${seed}: nothing probed past the destination`,
      );
      probes.push(result.probes);
    }
    const max = Math.max(...probes);
    console.log(`probes per trace: min ${Math.min(...probes)}, max ${max}, mean ${probes.reduce((a, b) => a + b, 0) / probes.length}`);
    assert.ok(max <= 150, `at most ${max} probes`);
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
    const again = await trace(NESTED_DIAMOND, 7);
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
