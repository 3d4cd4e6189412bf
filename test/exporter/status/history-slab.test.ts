import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HistorySlab } from '../../../exporter/status/history-slab';
import { xorshiftRandom } from '../../../exporter/status/reservoir';
import { DEFAULT_HISTORY_SHAPE, RttHistory } from '../../../exporter/status/rtt-history';
import { StatusStore } from '../../../exporter/status/status-store';

const ms = (n: number): number => n / 1000;
/** Each minute's (time, count, min) of a history's fine ring. */
const minutes = (history: RttHistory, now: number) =>
  history.recent(now).slots.map((s) => [s.time, s.count, s.min === null ? null : Math.round(s.min * 1e6)]);

describe('HistorySlab (RTT histories sharing buffers)', () => {
  it('keeps the series of one chunk apart: each reads back only what it was fed', () => {
    const slab = new HistorySlab(DEFAULT_HISTORY_SHAPE, true, 4);
    const random = xorshiftRandom(3);
    const histories = Array.from(
      { length: 4 },
      () => new RttHistory(DEFAULT_HISTORY_SHAPE, random, slab.take()),
    );
    assert.equal(slab.capacity, 4, 'one chunk');
    // Each series gets its own RTT, over every fine slot and a day of coarse ones.
    for (let t = 0; t < 86_400; t += 60) histories.forEach((h, i) => h.add(t, ms(i + 1)));
    histories.forEach((history, i) => {
      const fine = history.recent(86_399).slots;
      assert.equal(fine.length, 60);
      assert.ok(
        fine.every((s) => s.count === 1 && s.median !== null && Math.abs(s.median - ms(i + 1)) < 1e-9),
        `series ${i}`,
      );
      const day = history.day(86_399).slots;
      assert.equal(day.length, 48);
      assert.ok(
        day.every((s) => s.count === 30 && Math.abs(s.max! - ms(i + 1)) < 1e-9),
        `series ${i} coarse`,
      );
    });
  });

  it('hands a released cell out again, and the new series sees nothing of the old one', () => {
    const slab = new HistorySlab(DEFAULT_HISTORY_SHAPE, true, 2);
    const random = xorshiftRandom(4);
    const old = new RttHistory(DEFAULT_HISTORY_SHAPE, random, slab.take());
    const kept = new RttHistory(DEFAULT_HISTORY_SHAPE, random, slab.take());
    for (let t = 0; t < 600; t += 10) {
      old.add(t, ms(7));
      kept.add(t, ms(3));
    }
    old.release();
    old.release(); // idempotent: the cell is not handed out twice
    const reused = new RttHistory(DEFAULT_HISTORY_SHAPE, random, slab.take());
    assert.equal(slab.capacity, 2, 'the released cell, not a new chunk');
    assert.deepEqual(minutes(reused, 599), []);
    reused.add(590, ms(9));
    assert.deepEqual(minutes(reused, 599), [[540, 1, 9000]]);
    assert.deepEqual(minutes(kept, 599).at(-1), [540, 6, 3000], 'the neighbour is untouched');
    // Early in time the day view reaches before slot 0: nothing is read from the ring before this one.
    assert.deepEqual(
      kept.day(599).slots.map((s) => [s.time, s.count]),
      [[0, 60]],
    );
    const fresh = slab.take();
    assert.equal(slab.capacity, 4, 'full again: a second chunk');
    fresh.release();
  });

  it('gives ping series slots without the open field: 432 B less each, and open answers ignored', () => {
    const pings = new HistorySlab(DEFAULT_HISTORY_SHAPE, false, 2);
    const knocks = new HistorySlab(DEFAULT_HISTORY_SHAPE, true, 2);
    assert.equal(knocks.bytesPerSeries - pings.bytesPerSeries, (60 + 48) * 4);
    const random = xorshiftRandom(5);
    const [first, second] = [pings.take(), pings.take()].map(
      (cells) => new RttHistory(DEFAULT_HISTORY_SHAPE, random, cells),
    );
    // An open answer handed to a ping series must not land in the slot after, or in the next series.
    for (let t = 0; t < 3600; t += 10) {
      first!.add(t, ms(2), true);
      second!.add(t, ms(4));
    }
    const read = (history: RttHistory) =>
      history
        .recent(3599)
        .slots.map((s) => [s.count, s.open, Math.round(s.min! * 1e6), Math.round(s.max! * 1e6)]);
    assert.deepEqual(read(first!), Array(60).fill([6, 0, 2000, 2000]));
    assert.deepEqual(read(second!), Array(60).fill([6, 0, 4000, 4000]));
    // The fine ring's last slot ends where the coarse ring begins: its first slot's count is whole.
    assert.deepEqual(
      first!.day(3599).slots.map((s) => [s.time, s.count, s.open]),
      [
        [0, 180, 0],
        [1800, 180, 0],
      ],
    );
    const knock = new RttHistory(DEFAULT_HISTORY_SHAPE, random, knocks.take());
    knock.add(0, ms(1), true);
    knock.add(1, ms(1), false);
    assert.equal(knock.recent(1).slots[0]!.open, 1);
  });

  it('in the status store: a dropped target gives its series back, so reloads do not grow the slab', () => {
    let now = 1000;
    const store = new StatusStore({ now: () => now });
    const targets = (prefix: string) =>
      Array.from({ length: 100 }, (_, i) => ({
        name: `${prefix}${i}`,
        labels: {},
        probes: ['ping' as const],
      }));
    for (const round of ['a', 'b', 'c']) {
      const set = targets(round);
      store.configure(set);
      for (const target of set) store.feed(target, '10.0.0.1').ping({ seq: 1, rtt: ms(1) } as never);
      now += 1;
      assert.equal(store.seriesHeld, 100);
    }
    assert.equal(
      (store as unknown as { pingSlab: HistorySlab }).pingSlab.capacity,
      128,
      'two chunks of 64, as for one set',
    );
  });
});
