import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEBT_SECONDS, RATE_MARGIN, ResponderBudget } from '../../../../probes/trace/pacing/responder-budget';
import { FakeClock } from './fake-clock';

describe('ResponderBudget (a token bucket per router, GCRA)', () => {
  it('gives a burst of 6 at once, then one token a second (Linux defaults)', () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock });
    const times = Array.from({ length: 9 }, () => budget.reserve(['r1'], 100));
    const T = 1 / RATE_MARGIN;
    [0, 0, 0, 0, 0, 0, T, 2 * T, 3 * T].forEach((at, i) =>
      assert.ok(Math.abs(times[i]! - at) < 1e-9, `${i}: ${times[i]}`),
    );
  });

  it('refuses a reservation past notAfter and then takes nothing', () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 2, perSecond: 0.5 } });
    assert.equal(budget.reserve(['r1'], 10), 0);
    assert.equal(budget.reserve(['r1'], 10), 0);
    assert.equal(budget.reserve(['r1'], 2), undefined, 'the next token comes at 2 s / RATE_MARGIN');
    assert.equal(budget.reserve(['r1'], 10), 2 / RATE_MARGIN, 'the refusal took nothing');
  });

  it('keeps each router to burst + t × rate over any window, however many reservations compete', () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 6, perSecond: 1 } });
    const granted: number[] = [];
    for (let i = 0; i < 200; i++) {
      const at = budget.reserve(['r1'], 30);
      if (at !== undefined) granted.push(at);
    }
    assert.equal(
      granted.length,
      6 + Math.floor(30 * RATE_MARGIN),
      'a burst and one a second (less the margin) up to 30 s',
    );
    for (let from = 0; from <= 30; from += 0.5)
      for (const span of [0.5, 1, 5, 10]) {
        const inWindow = granted.filter((t) => t >= from && t < from + span).length;
        assert.ok(inWindow <= 6 + span, `${inWindow} in [${from}, ${from + span})`);
      }
  });

  it('charges a probe expected from one of k routers 1/k of a token at each', () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 6, perSecond: 1 } });
    for (let i = 0; i < 12; i++) assert.equal(budget.reserve(['a', 'b'], 0), 0, `probe ${i}`);
    assert.equal(budget.reserve(['a', 'b'], 0), undefined, '12 half tokens used both bursts');
    assert.ok(Math.abs(budget.tokens('a')) < 1e-9);
    assert.equal(budget.tokens('c'), 6);
  });

  it('refills with time and forgets nothing it promised on new limits', async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock });
    for (let i = 0; i < 6; i++) budget.reserve(['r1'], 0);
    assert.ok(Math.abs(budget.tokens('r1')) < 1e-9);
    await clock.advance(2.5);
    assert.ok(Math.abs(budget.tokens('r1') - 2.5 * RATE_MARGIN) < 1e-9);
    budget.configure({ burst: 3, perSecond: 2 });
    assert.deepEqual(budget.current, { burst: 3, perSecond: 2 });
    assert.throws(() => budget.configure({ burst: 0, perSecond: 1 }), { code: 'ERR_INVALID_OPTION' });
    assert.throws(() => new ResponderBudget({ limits: { burst: 6, perSecond: 0 } }), {
      code: 'ERR_INVALID_OPTION',
    });
  });
});

describe('ResponderBudget, fair between traces', () => {
  /**
   * One router answering about one a second, three traces: `a` asks five times a second and may wait
   * most of a second for a token (a round exploring a hop), `b` and `c` ask once a second and may
   * wait 50 ms (a hop's slice of a paced round). First come, first served: `a` reserves each token
   * before the others ask.
   */
  async function shares(named: boolean): Promise<Map<string, number>> {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock });
    for (let i = 0; i < 6; i++) budget.reserve(['r1'], 0); // the burst spent: the steady rate
    const granted = new Map<string, number>();
    const grantedAt: number[] = [];
    const ask = (claimant: string, wait: number): void => {
      const at = budget.reserve(['r1'], clock.now() + wait, named ? claimant : undefined);
      if (at === undefined) return;
      granted.set(claimant, (granted.get(claimant) ?? 0) + 1);
      grantedAt.push(at);
    };
    for (let tick = 0; tick < 600; tick++) {
      await clock.advance(0.1);
      if (tick % 2 === 0) ask('a', 0.9);
      if (tick % 10 === 5) ask('b', 0.05);
      if (tick % 10 === 7) ask('c', 0.05);
    }
    for (let from = 0; from <= 60; from += 0.5)
      for (const span of [1, 5, 10]) {
        const inWindow = grantedAt.filter((t) => t >= from && t < from + span).length;
        assert.ok(inWindow <= 6 + span, `${inWindow} in [${from}, ${from + span})`);
      }
    return granted;
  }

  it('without claimants: the trace that reserves ahead takes nearly every token', async () => {
    const got = await shares(false);
    assert.ok((got.get('b') ?? 0) + (got.get('c') ?? 0) <= 5, JSON.stringify([...got]));
  });

  it('with claimants: a trace refused is owed the next token, so none starves', async () => {
    const got = await shares(true);
    const total = [...got.values()].reduce((x, y) => x + y, 0);
    assert.ok(total >= 50, `the router's rate is still used: ${JSON.stringify([...got])}`);
    // Served in turn while owed (b, then c), a token every 4 to 6 s each; `a` takes the rest.
    for (const claimant of ['b', 'c'])
      assert.ok((got.get(claimant) ?? 0) >= 10, `${claimant}: ${JSON.stringify([...got])}`);
  });

  it("never owes the trace that reserved the router's last token (the one that asks most would hold the debt)", () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 1, perSecond: 1 } });
    assert.equal(budget.reserve(['r1'], 0, 'a'), 0);
    assert.equal(budget.reserve(['r1'], 0, 'a'), undefined, 'a refused, not owed');
    assert.equal(budget.reserve(['r1'], 0, 'b'), undefined, 'b refused: owed now');
    assert.equal(budget.reserve(['r1'], 2, 'a'), undefined, "a may not reserve ahead of b's token");
    assert.ok(budget.reserve(['r1'], 2, 'b') !== undefined, 'b reserves its token');
  });

  it('lets a debt lapse after DEBT_SECONDS: a trace that went takes no token for ever', async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 1, perSecond: 1 } });
    assert.equal(budget.reserve(['r1'], 0, 'a'), 0);
    assert.equal(budget.reserve(['r1'], 0, 'gone'), undefined, 'refused: owed the next token');
    await clock.advance(1.5);
    assert.equal(budget.reserve(['r1'], clock.now(), 'a'), undefined, "a leaves it for 'gone'");
    await clock.advance(DEBT_SECONDS);
    assert.equal(budget.reserve(['r1'], clock.now(), 'a'), clock.now(), 'the debt lapsed');
  });
});

describe('ResponderBudget.sameRouter', () => {
  it('merges the buckets of one router answering from several addresses, for every later reservation', () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 2, perSecond: 1 } });
    assert.equal(budget.reserve(['b'], 0), 0);
    budget.sameRouter(['c', 'b']);
    budget.sameRouter(['a', 'c']);
    assert.equal(budget.routerFor('c'), 'a');
    assert.equal(budget.routerFor('b'), 'a');
    assert.equal(budget.reserve(['c'], 0), 0, "one token left of b's");
    assert.equal(budget.reserve(['a'], 0), undefined, 'a, b and c are one bucket');
    assert.ok(Math.abs(budget.tokens('b')) < 1e-9);
  });
});

describe('ResponderBudget, a deadline already past', () => {
  it('still gives a token that is there now (the deadline bounds waiting, not sending)', async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 1, perSecond: 1 } });
    await clock.advance(5);
    assert.equal(budget.reserve(['r1'], 4), 5);
    assert.equal(budget.reserve(['r1'], 4), undefined, 'none left now, and no waiting');
  });
  it('learns who answers for an unknown key, by router key, for every trace', () => {
    const budget = new ResponderBudget({ clock: new FakeClock() });
    assert.deepEqual(budget.learnedFor('?behind r1'), []);
    budget.learn('?behind r1', 'r2b');
    budget.learn('?behind r1', 'r2a');
    budget.learn('?behind r1', 'r2a');
    assert.deepEqual(budget.learnedFor('?behind r1'), ['r2a', 'r2b']);
    // two addresses found to be one router's are one router learned
    budget.sameRouter(['r2a', 'r2b']);
    assert.deepEqual(budget.learnedFor('?behind r1'), ['r2a']);
  });
});
