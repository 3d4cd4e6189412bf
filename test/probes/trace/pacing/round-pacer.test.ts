import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RATE_MARGIN, ResponderBudget } from '../../../../probes/trace/pacing/responder-budget';
import { RoundPacer } from '../../../../probes/trace/pacing/round-pacer';
import { FakeClock } from './fake-clock';

/** Starts `count` turns at once and records when each was let go (undefined: not sent). */
async function turns(
  pacer: RoundPacer,
  clock: FakeClock,
  responders: (i: number) => string[],
  count: number,
  run: number,
): Promise<Array<number | undefined>> {
  const left: Array<number | undefined> = new Array(count);
  const all = Array.from({ length: count }, (_, i) =>
    pacer.turn(() => responders(i)).then((sent) => void (left[i] = sent ? clock.now() : undefined)),
  );
  await clock.advance(run);
  await Promise.all(all);
  return left;
}

describe('RoundPacer', () => {
  it('spreads the expected probes evenly over the window', async () => {
    const clock = new FakeClock();
    const pacer = new RoundPacer({ window: 2, probes: 10 }, clock);
    const left = await turns(pacer, clock, () => [], 10, 3);
    left.forEach((t, i) => assert.ok(Math.abs(t! - i * 0.2) < 1e-9, `probe ${i} at ${t}`));
  });

  it('sends probes beyond the expected count at the window end without gaps', async () => {
    const clock = new FakeClock();
    const pacer = new RoundPacer({ window: 1, probes: 2 }, clock);
    const left = await turns(pacer, clock, () => [], 5, 2);
    assert.deepEqual(
      left.map((t) => Math.round(t! * 100) / 100),
      [0, 0.5, 1, 1, 1],
    );
  });

  it('waits for a router token within the window; holds back what would wait past it (not sent, counted)', async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock });
    const pacer = new RoundPacer({ window: 3, probes: 1000 }, clock, budget);
    const left = await turns(pacer, clock, () => ['r1'], 12, 5);
    const sent = left.filter((t) => t !== undefined);
    assert.equal(sent.length, 6 + 2, 'the burst, then one a second (less the margin) up to the window end');
    assert.equal(pacer.skipped, 4);
    assert.equal(pacer.waited, 2);
    assert.ok(Math.abs(Math.max(...sent.map((t) => t!)) - 2 / RATE_MARGIN) < 1e-9);
  });

  it("lets a probe wait for a token only within its share of the window (a hop's slice)", async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 1, perSecond: 1 } });
    const pacer = new RoundPacer({ window: 10, probes: 1000 }, clock, budget);
    const sent: boolean[] = [];
    const all = [0, 1, 2, 3].map((i) => pacer.turn(() => ['r1'], 2.2).then((ok) => void (sent[i] = ok)));
    await clock.advance(12);
    await Promise.all(all);
    assert.deepEqual(sent, [true, true, true, false], 'tokens at 0, 1.05 and 2.1 s; the slice ends at 2.2 s');
  });

  it('shares one budget between rounds of different targets: together they stay within the router limit', async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock });
    const a = new RoundPacer({ window: 4, probes: 10 }, clock, budget);
    const b = new RoundPacer({ window: 4, probes: 10 }, clock, budget);
    const both = await Promise.all([
      turns(a, clock, () => ['r1'], 10, 0),
      turns(b, clock, () => ['r1'], 10, 6),
    ]);
    const sent = both.flat().filter((t) => t !== undefined);
    assert.equal(sent.length, 6 + 3);
    assert.equal(a.skipped + b.skipped, 11);
    assert.ok(a.skipped < 10 && b.skipped < 10, 'each got part of it');
  });

  it('draws nothing for a probe expected from no limited router', async () => {
    const clock = new FakeClock();
    const budget = new ResponderBudget({ clock, limits: { burst: 1, perSecond: 1 } });
    const pacer = new RoundPacer({ window: 0, probes: 1 }, clock, budget);
    const left = await turns(pacer, clock, () => [], 20, 0.1);
    assert.equal(left.filter((t) => t !== undefined).length, 20);
  });
});
