import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerRecords } from '../../../probes/trace/mda/answer-records';
import { MdaPacer, type MdaPacing } from '../../../probes/trace/mda-pacing';
import { ResponderBudget } from '../../../probes/trace/pacing/responder-budget';
import { RoundPacer } from '../../../probes/trace/pacing/round-pacer';
import { FakeClock } from './pacing/fake-clock';

/** One trace's MDA pacing over `budget`, with an earlier round's paths `known`. */
function pacerOf(
  clock: FakeClock,
  budget: ResponderBudget,
  known: ReadonlyArray<ReadonlyArray<string | null>>,
  records = new AnswerRecords(),
): MdaPacer {
  const pacing: MdaPacing = {
    pacer: new RoundPacer({ window: 10, probes: 10 }, clock, budget),
    known,
    unknownKey: (ttl, before) => (ttl === 1 ? '?first hop' : `?behind ${before}`),
    lastHop: 3,
    limited: () => true,
  };
  return new MdaPacer(pacing, 1, records);
}

describe('MdaPacer (an MDA round on the routers budget)', () => {
  it('replays every TTL up to the last where a known flow met a router, those it met nobody at included', () => {
    const pacer = pacerOf(new FakeClock(), new ResponderBudget(), [
      [null, 'r2a', 'dst'],
      [null, null, null],
      ['r1', 'r2b'],
    ]);
    assert.deepEqual(
      pacer.replay(8).map(({ flow, ttl }) => `${flow}@${ttl}`),
      ['0@1', '0@2', '0@3', '2@1', '2@2'],
    );
    assert.deepEqual(
      pacer.replay(2).map(({ flow, ttl }) => `${flow}@${ttl}`),
      ['0@1', '0@2', '2@1', '2@2'],
    );
  });

  it('charges a probe nothing tells the router of to the routers another trace saw there, not a bucket of its own', async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 6, perSecond: 1 } });
    // A trace that knows r1 at the first hop and r2a, r2b behind it: its first probe teaches the budget.
    const records = new AnswerRecords();
    records.addFlows(2);
    records.record(0, 1, { from: 'r1', ends: false });
    records.record(1, 1, { from: 'r1', ends: false });
    records.record(0, 2, { from: 'r2a', ends: false });
    records.record(1, 2, { from: 'r2b', ends: false });
    assert.equal(await pacerOf(clock, budget, [], records).turn(0, 1), true);
    assert.ok(Math.abs(budget.tokens('r1') - 5) < 1e-9);
    // A trace that knows nothing: its first hop draws on r1, its second hop half on r2a and r2b.
    const blind = pacerOf(clock, budget, []);
    assert.equal(await blind.turn(0, 1), true);
    assert.ok(Math.abs(budget.tokens('r1') - 4) < 1e-9);
    assert.equal(budget.tokens('?first hop'), 6, 'the unknown key is not drawn on');
    const fresh = new AnswerRecords();
    fresh.addFlows(1);
    fresh.record(0, 1, { from: 'r1', ends: false });
    assert.equal(await pacerOf(clock, budget, [], fresh).turn(0, 2), true);
    assert.ok(Math.abs(budget.tokens('r2a') - 5.5) < 1e-9);
    assert.ok(Math.abs(budget.tokens('r2b') - 5.5) < 1e-9);
    assert.equal(budget.tokens('?behind r1'), 6);
  });

  it('tells the budget what answers recorded between two turns showed (it reads the view again once it changed)', async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 6, perSecond: 1 } });
    const records = new AnswerRecords();
    records.addFlows(2);
    const pacer = pacerOf(clock, budget, [], records);
    assert.equal(await pacer.turn(0, 1), true);
    assert.deepEqual(budget.learnedFor('?first hop'), []);
    // A join: two addresses each followed by the destination alone are one router's; r1 answered the first hop.
    for (const flow of [0, 1]) records.record(flow, 1, { from: 'r1', ends: false });
    records.record(0, 2, { from: 'r2b', ends: false });
    records.record(1, 2, { from: 'r2a', ends: false });
    for (const flow of [0, 1]) records.record(flow, 3, { from: 'dst', ends: true });
    const second = pacer.turn(0, 2); // its pacing slot is a second after the first's
    await clock.advance(1);
    assert.equal(await second, true);
    assert.equal(budget.routerFor('r2b'), 'r2a');
    assert.deepEqual(budget.learnedFor('?first hop'), ['r1']);
  });
});
