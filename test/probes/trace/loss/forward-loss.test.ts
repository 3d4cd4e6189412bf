import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { forwardLoss } from '../../../../probes/trace/loss/forward-loss';
import { ForwardLossWindow } from '../../../../probes/trace/loss/forward-loss-window';
import { hopFigure, type LossFigure } from '../../../../probes/trace/loss/loss-figure';
import type { TraceResult } from '../../../../probes/trace';
import { NESTED_DIAMOND } from '../mda/simulated-network';
import { bothDrops, forwardDrops, rateLimits, simulatedRounds, type Drop } from '../simulated-rounds';

const fig = (ttl: number, sent: number, answered: number, limitable = answered): LossFigure => ({
  ttl,
  sent,
  answered,
  limitable,
});

const ratios = (figures: LossFigure[], minProbes = 1): Array<number | null> =>
  forwardLoss(figures, { minProbes }).map((loss) => loss.ratio);

/** Forward loss per hop over `rounds` simulated MDA rounds of the nested diamond, through a window of 10. */
async function windowed(rounds: number, drop: Drop, destinationIcmpError = false) {
  const window = new ForwardLossWindow();
  let last: ReturnType<ForwardLossWindow['add']> = [];
  let result: TraceResult | undefined;
  for await (result of simulatedRounds(NESTED_DIAMOND, rounds, drop, { destinationIcmpError }))
    last = window.add(result.hops.map(hopFigure));
  return { last, result: result! };
}

describe('forwardLoss (figures → loss up to each hop)', () => {
  it('reads a rate-limited hop as no loss when a later hop answers every probe', () => {
    // hop 2 answered 3 of 10 (its limiter), hop 3 and the TCP destination everything
    const figures = [fig(1, 10, 10), fig(2, 10, 3), fig(3, 10, 10), fig(4, 10, 10, 0)];
    assert.deepEqual(ratios(figures), [0, 0, 0, 0]);
  });

  it('reads loss that persists to the destination as loss from where it starts, never above what is behind', () => {
    const figures = [fig(1, 100, 100), fig(2, 100, 60), fig(3, 100, 90), fig(4, 100, 88, 0)];
    const loss = forwardLoss(figures, { minProbes: 1 });
    assert.deepEqual(
      loss.map((l) => l.ratio),
      [0, 0.1, 0.1, 0.12],
    );
    assert.deepEqual(
      loss.map((l) => [l.from, l.probes]),
      [
        [1, 100],
        [3, 100],
        [3, 100],
        [4, 100],
      ],
    );
    for (const [i, l] of loss.entries())
      for (const behind of figures.slice(i))
        assert.ok(l.ratio! <= (behind.sent - behind.answered) / behind.sent);
  });

  it('says unknown, not loss, where only ICMP errors (UDP: port unreachable too) showed loss behind a hop', () => {
    // hops 3 and 4 lost some, their answers all ICMP errors; hop 1 answered every probe
    const figures = [fig(1, 10, 10), fig(2, 10, 4), fig(3, 10, 6), fig(4, 10, 5)];
    assert.deepEqual(ratios(figures), [0, null, null, null]);
  });

  it('leaves out figures with fewer probes than asked (and is unknown with none left)', () => {
    const figures = [fig(1, 6, 6), fig(2, 40, 36), fig(3, 40, 38, 0)];
    assert.deepEqual(ratios(figures, 30), [0.05, 0.05, 0.05]);
    assert.deepEqual(ratios([fig(1, 6, 6)], 30), [null]);
  });

  it('on simulated MDA rounds under Linux-like rate limits (burst 6, 2 a round), TCP: no forward loss at any hop', async () => {
    const { last, result } = await windowed(
      12,
      rateLimits(6, 2, (node) => node !== 'target'),
    );
    const hopLoss = result.hops.map((hop) => hop.loss);
    assert.ok(
      hopLoss.some((loss) => loss > 0.2),
      `the limits must show as hop loss: ${hopLoss.join(' ')}`,
    );
    assert.deepEqual(
      last.map((l) => l.ratio),
      result.hops.map(() => 0),
    );
  });

  it('UDP under the same limits (the destination limited too): unknown, never loss', async () => {
    const { last } = await windowed(
      12,
      rateLimits(6, 2, () => true),
      true,
    );
    for (const l of last) assert.ok(l.ratio === null || l.ratio === 0, JSON.stringify(last));
    assert.ok(last.some((l) => l.ratio === null));
  });

  it('a real 10 % loss from hop 3 on: hops 1-2 at 0, hops 3 on within a binomial bound', async () => {
    const { last } = await windowed(12, forwardDrops(3, 0.1));
    assert.deepEqual(
      last.slice(0, 2).map((l) => l.ratio),
      [0, 0],
    );
    for (const l of last.slice(2)) {
      const sd = Math.sqrt((0.1 * 0.9) / l.probes);
      assert.ok(Math.abs(l.ratio! - 0.1) <= 4 * sd, `hop ${l.ttl}: ${l.ratio} of ${l.probes} probes`);
    }
  });

  it('the same loss under rate limits: hops behind it within the bound, none above what the destination shows', async () => {
    const drop = bothDrops(
      forwardDrops(3, 0.1),
      rateLimits(6, 2, (node) => node !== 'target'),
    );
    const { last } = await windowed(12, drop);
    const destination = last.at(-1)!;
    for (const l of last) assert.ok(l.ratio! <= destination.ratio!, JSON.stringify(last));
    for (const l of last.slice(2)) {
      const sd = Math.sqrt((0.1 * 0.9) / l.probes);
      assert.ok(Math.abs(l.ratio! - 0.1) <= 4 * sd, `hop ${l.ttl}: ${l.ratio} of ${l.probes} probes`);
    }
  });

  it('a window of 2 rounds forgets older ones', () => {
    const window = new ForwardLossWindow(2, 1);
    window.add([fig(1, 10, 0, 0)]);
    window.add([fig(1, 10, 10, 0)]);
    assert.equal(window.add([fig(1, 10, 10, 0)])[0]!.ratio, 0);
    assert.throws(() => new ForwardLossWindow(0), RangeError);
  });
});
