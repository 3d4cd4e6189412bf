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
  destination = 'dst',
): MdaPacer {
  const pacing: MdaPacing = {
    pacer: new RoundPacer({ window: 10, probes: 10 }, clock, budget),
    known,
    unknownKey: (ttl, before) => (ttl === 1 ? '?first hop' : `?behind ${before}`),
    lastHop: 3,
    limited: () => true,
    destination,
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

  it('charges a probe of a trace blind to the hop before to the routers other traces saw behind that hop', async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 6, perSecond: 1 } });
    // A trace that met r1 at the first hop and r2a, r2b behind it teaches the budget both.
    const records = new AnswerRecords();
    records.addFlows(2);
    for (const flow of [0, 1]) records.record(flow, 1, { from: 'r1', ends: false });
    records.record(0, 2, { from: 'r2a', ends: false });
    records.record(1, 2, { from: 'r2b', ends: false });
    assert.equal(await pacerOf(clock, budget, [], records).turn(0, 1), true);
    // A trace whose first hop never answered it (its probes there held back for the budget): its
    // second hop's probe is r2a's and r2b's, half each, not a bucket of its own.
    const blind = new AnswerRecords();
    blind.addFlows(1);
    assert.equal(await pacerOf(clock, budget, [], blind).turn(0, 2), true);
    assert.ok(Math.abs(budget.tokens('r2a') - 5.5) < 1e-9, `r2a: ${budget.tokens('r2a')}`);
    assert.ok(Math.abs(budget.tokens('r2b') - 5.5) < 1e-9, `r2b: ${budget.tokens('r2b')}`);
    assert.equal(budget.tokens('?behind null'), 6, 'no bucket of its own');
    // With nothing learned behind its first hop's router, it shares that router's unknown key with
    // every trace through it.
    const elsewhere = new ResponderBudget({ clock, limits: { burst: 6, perSecond: 1 } });
    const taught = new AnswerRecords();
    taught.addFlows(1);
    taught.record(0, 1, { from: 'r1', ends: false });
    assert.equal(await pacerOf(clock, elsewhere, [], taught).turn(0, 1), true);
    const blindToo = new AnswerRecords();
    blindToo.addFlows(1);
    assert.equal(await pacerOf(clock, elsewhere, [], blindToo).turn(0, 2), true);
    assert.equal(elsewhere.tokens('?behind r1'), 5);
    assert.equal(elsewhere.tokens('?behind null'), 6);
  });
  it("charges a probe past a router where other traces met their destinations to this trace's own destination", async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 6, perSecond: 1 } });
    // Trace A met r1, r2 and its destination dA at TTL 3: behind r2, a destination answers.
    const taught = new AnswerRecords();
    taught.addFlows(1);
    taught.record(0, 1, { from: 'r1', ends: false });
    taught.record(0, 2, { from: 'r2', ends: false });
    taught.record(0, 3, { from: 'dA', ends: true });
    assert.equal(await pacerOf(clock, budget, [], taught, 'dA').turn(0, 1), true);
    // Trace B to dB, blind to its first two hops (held back for the budget): its TTL 3 probe is dB's,
    // as its own probes there would be once it knows the path; not dA's, nor a key of its own.
    const blind = new AnswerRecords();
    blind.addFlows(1);
    assert.equal(await pacerOf(clock, budget, [], blind, 'dB').turn(0, 3), true);
    assert.equal(budget.tokens('dB'), 5);
    assert.equal(budget.tokens('dA'), 6);
    assert.equal(budget.tokens('?behind null'), 6);
    // A flow of B that met r2 goes the same way.
    const behindR2 = new AnswerRecords();
    behindR2.addFlows(1);
    behindR2.record(0, 2, { from: 'r2', ends: false });
    assert.equal(await pacerOf(clock, budget, [], behindR2, 'dB').turn(0, 3), true);
    assert.equal(budget.tokens('dB'), 4);
    assert.equal(budget.tokens('dA'), 6);
  });
});
