import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PathWatch } from '../../../../probes/trace/watch/path-watch';
import { NESTED_DIAMOND, type Topology } from '../mda/simulated-network';
import { rateLimits, simulatedRounds, type Drop, type RoundsOptions } from '../simulated-rounds';

/** The nested diamond without r1's branch to r2d (r2d then reaches nothing). */
const WITHOUT_R2D: Topology = { ...NESTED_DIAMOND, r1: ['r2a', 'r2b', 'r2c'] };
/** The nested diamond without r2a's second branch. */
const WITHOUT_R3B: Topology = { ...NESTED_DIAMOND, r2a: ['r3a'] };

/** Per round: whether it changed, and the paths known after it. */
async function watch(rounds: number, drop?: Drop, options: RoundsOptions = {}) {
  const paths = new PathWatch(0.95);
  const seen: Array<{
    changed: boolean;
    gone: readonly string[];
    appeared: readonly string[];
    paths: number;
  }> = [];
  for await (const result of simulatedRounds(NESTED_DIAMOND, rounds, drop, options))
    seen.push({ ...paths.observe(result), paths: paths.paths });
  return seen;
}

describe('PathWatch (path changes that mean something)', () => {
  it("knows the nested diamond's 5 paths and counts no change on a stable network", async () => {
    const rounds = await watch(10);
    assert.deepEqual(
      rounds.map((r) => r.paths),
      rounds.map(() => 5),
    );
    assert.equal(rounds.filter((r) => r.changed).length, 0);
  });

  it('counts no change over 30 rounds under rate limits (every router and the destination, burst 6, 2 a round)', async () => {
    const rounds = await watch(
      30,
      rateLimits(6, 2, () => true),
      { destinationIcmpError: true },
    );
    assert.equal(rounds.filter((r) => r.changed).length, 0, JSON.stringify(rounds.filter((r) => r.changed)));
    assert.deepEqual(
      rounds.map((r) => r.paths),
      rounds.map(() => 5),
    );
  });

  it('counts no change when a router goes silent (filtered ICMP): silence is no evidence', async () => {
    const rounds = await watch(30, (round, _ttl, node) => round >= 3 && node === 'r2b');
    assert.equal(rounds.filter((r) => r.changed).length, 0);
    assert.equal(rounds.at(-1)!.paths, 5);
  });

  it("counts no change when the destination's answers are lost and flows meet it one TTL later", async () => {
    let probe = 0;
    const rounds = await watch(
      10,
      (round, ttl, node) => round >= 2 && ttl === 5 && node === 'target' && probe++ % 2 === 0,
      {
        destinationIcmpError: true,
      },
    );
    assert.equal(rounds.filter((r) => r.changed).length, 0, JSON.stringify(rounds.filter((r) => r.changed)));
    assert.equal(rounds.at(-1)!.paths, 5);
  });

  it('counts a removed branch within 2 rounds, with what it alone led to, and the paths follow', async () => {
    for (const [removed, gone, paths] of [
      [WITHOUT_R2D, ['2 r2d'], 4],
      [WITHOUT_R3B, ['3 r3b'], 4],
    ] as const) {
      const rounds = await watch(8, undefined, {
        topologyOf: (round) => (round >= 4 ? removed : NESTED_DIAMOND),
      });
      const changedAt = rounds.findIndex((r) => r.changed);
      assert.ok(changedAt === 4 || changedAt === 5, `changed at round ${changedAt}`);
      assert.deepEqual(rounds[changedAt]!.gone, gone);
      assert.equal(rounds.filter((r) => r.changed).length, 1);
      assert.equal(rounds.at(-1)!.paths, paths);
    }
  });

  it('under limits that take most answers of its hop, keeps a removed branch (its absence cannot be told from silence), then counts it within 2 rounds of the answers coming back', async () => {
    const limits = rateLimits(6, 6, () => true);
    const rounds = await watch(10, (round, ttl, node) => round < 6 && limits(round, ttl, node), {
      topologyOf: (round) => (round >= 3 ? WITHOUT_R2D : NESTED_DIAMOND),
    });
    const changedAt = rounds.findIndex((r) => r.changed);
    assert.ok(changedAt === 6 || changedAt === 7, `changed at round ${changedAt}`);
    assert.deepEqual(rounds[changedAt]!.gone, ['2 r2d']);
    assert.equal(rounds.at(-1)!.paths, 4);
  });

  it('counts a new branch at once', async () => {
    const rounds = await watch(6, undefined, {
      topologyOf: (round) => (round >= 3 ? NESTED_DIAMOND : WITHOUT_R2D),
    });
    assert.deepEqual(
      rounds.map((r) => r.changed),
      [false, false, false, true, false, false],
      JSON.stringify(rounds),
    );
    assert.deepEqual(rounds[3]!.appeared, ['2 r2d']);
    assert.equal(rounds.at(-1)!.paths, 5);
  });

  it('puts a responder no flow was seen to reach from a known one on no path until one is (no extra paths)', () => {
    // Round 1: a — {b, c} — d; round 2: e new at TTL 3, its flow lost at TTL 2.
    const round = (flows: Array<Array<string | null>>) => {
      const hops = [1, 2, 3].map((ttl) => {
        const byAddress = new Map<string, number[]>();
        flows.forEach((path, flow) => {
          const address = path[ttl - 1];
          if (address) byAddress.set(address, [...(byAddress.get(address) ?? []), flow]);
        });
        const responders = [...byAddress].map(([address, on]) => ({
          address,
          kind: 'hop' as const,
          rtts: on.map(() => 0.001),
          flows: on,
        }));
        const received = flows.filter((path) => path[ttl - 1]).length;
        return { ttl, responders, sent: flows.length, received, sendFailures: 0, late: 0, loss: 0 };
      });
      return {
        firstHop: 1,
        hops,
        flows: flows.map((path, flow) => ({ flow, hops: path, reached: false, hash: '' })),
      };
    };
    const paths = new PathWatch(0.95);
    paths.observe(
      round([
        ['a', 'b', 'd'],
        ['a', 'c', 'd'],
      ]),
    );
    assert.equal(paths.paths, 2);
    paths.observe(
      round([
        ['a', 'b', 'd'],
        ['a', null, 'e'],
      ]),
    );
    assert.equal(paths.paths, 2, 'e is on no path yet');
    paths.observe(
      round([
        ['a', 'b', 'd'],
        ['a', 'c', 'e'],
      ]),
    );
    assert.equal(paths.paths, 3, 'c leads to e');
  });

  it('rejects a confidence outside (0, 1)', () => {
    assert.throws(() => new PathWatch(1), RangeError);
    assert.throws(() => new PathWatch(0), RangeError);
  });
});
