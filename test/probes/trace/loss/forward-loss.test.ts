import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { forwardLoss } from '../../../../probes/trace/loss/forward-loss';
import {
  FORWARD_LOSS_MIN_PROBES,
  ForwardLossWindow,
} from '../../../../probes/trace/loss/forward-loss-window';
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

/** Forward loss per hop over `rounds` simulated MDA rounds of the nested diamond, through the default window. */
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

  it("keeps per TTL the latest rounds that hold the window's probes, and drops older ones", () => {
    const window = new ForwardLossWindow({ probes: 20, minProbes: 10, now: () => 0 });
    // hop 1 gets 10 probes a round, hop 2 one: after 3 rounds hop 1 reads its last 2 rounds only
    window.add([fig(1, 10, 0, 0), fig(2, 1, 1)]);
    window.add([fig(1, 10, 10, 0), fig(2, 1, 1)]);
    const third = window.add([fig(1, 10, 10, 0), fig(2, 1, 1)]);
    assert.deepEqual(
      third.map((l) => [l.ttl, l.ratio, l.probes]),
      [
        [1, 0, 20],
        [2, null, 0], // 3 probes at hop 2: too few to count, and hop 1's figure is not behind it
      ],
    );
  });

  it('a hop with one probe a round gets a figure once its probes reach minProbes, whatever the rounds', () => {
    const window = new ForwardLossWindow({ now: () => 0 });
    let last: ReturnType<ForwardLossWindow['add']> = [];
    for (let round = 1; round <= FORWARD_LOSS_MIN_PROBES; round++) {
      last = window.add([fig(1, 1, 1), fig(2, 1, 1, 0)]);
      if (round < FORWARD_LOSS_MIN_PROBES) assert.equal(last[0]!.ratio, null, `round ${round}`);
    }
    assert.deepEqual(
      last.map((l) => [l.ratio, l.probes]),
      [
        [0, FORWARD_LOSS_MIN_PROBES],
        [0, FORWARD_LOSS_MIN_PROBES],
      ],
    );
  });

  it('forgets rounds older than maxAge, and TTLs no longer probed with them', () => {
    let now = 0;
    const window = new ForwardLossWindow({ probes: 10, minProbes: 10, maxAge: 60, now: () => now });
    window.add([fig(1, 10, 10), fig(2, 10, 5, 0)]);
    now = 30;
    assert.deepEqual(
      window.add([fig(1, 10, 10)]).map((l) => [l.ttl, l.ratio]),
      [
        [1, 0],
        [2, 0.5],
      ],
    );
    now = 61;
    assert.deepEqual(
      window.add([fig(1, 10, 10)]).map((l) => [l.ttl, l.ratio]),
      [[1, 0]],
    );
  });

  it('gives a hop of the round that no probe of the window reached the figure of the hops behind it', () => {
    const window = new ForwardLossWindow({ probes: 10, minProbes: 10, now: () => 0 });
    assert.deepEqual(
      window.add([fig(1, 0, 0), fig(2, 10, 9, 0), fig(3, 10, 10)]).map((l) => [l.ttl, l.ratio, l.from]),
      [
        [1, 0, 3],
        [2, 0, 3],
        [3, 0, 3],
      ],
    );
    // Nothing behind it known either: unknown.
    assert.deepEqual(
      new ForwardLossWindow({ now: () => 0 }).add([fig(1, 0, 0)]).map((l) => [l.ttl, l.ratio]),
      [[1, null]],
    );
  });

  it('rejects a window that could never give a figure', () => {
    assert.throws(() => new ForwardLossWindow({ probes: 0 }), RangeError);
    assert.throws(() => new ForwardLossWindow({ probes: 10, minProbes: 11 }), RangeError);
    assert.throws(() => new ForwardLossWindow({ maxAge: 0 }), RangeError);
  });
});
