import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Reservoir, xorshiftRandom } from '../../../exporter/status/reservoir';
import { DEFAULT_HISTORY_SHAPE, RttHistory } from '../../../exporter/status/rtt-history';

const ms = (n: number): number => n / 1000;
const close = (actual: number | null, expected: number, what: string): void =>
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-6, `${what}: ${actual} != ${expected}`);

describe('RttHistory', () => {
  it('summarises a slot exactly while it holds no more RTTs than the sample: count, loss, min, median, p90, max, jitter', () => {
    const history = new RttHistory(DEFAULT_HISTORY_SHAPE, xorshiftRandom(1));
    // 60 s from t = 600 (a slot boundary): RTTs 1..50 ms shuffled, then 10 losses.
    const rtts = Array.from({ length: 50 }, (_, i) => i + 1);
    const order = [...rtts].sort((a, b) => ((a * 37) % 50) - ((b * 37) % 50));
    order.forEach((rtt, i) => history.add(600 + i, ms(rtt)));
    for (let i = 50; i < 60; i++) history.add(600 + i, null);
    const { slotSeconds, slots } = history.recent(659);
    assert.equal(slotSeconds, 60);
    assert.equal(slots.length, 1);
    const slot = slots[0]!;
    assert.equal(slot.time, 600);
    assert.equal(slot.count, 60);
    assert.equal(slot.lost, 10);
    close(slot.min, ms(1), 'min');
    close(slot.max, ms(50), 'max');
    // Nearest rank over 50: the 25th and 45th smallest.
    close(slot.median, ms(25), 'median');
    close(slot.p90, ms(45), 'p90');
    // Mean absolute difference of consecutive RTTs, as fed.
    const diffs = order.slice(1).map((rtt, i) => Math.abs(rtt - order[i]!));
    close(slot.jitter, ms(diffs.reduce((a, b) => a + b, 0) / diffs.length), 'jitter');
  });

  it('rolls over to a new slot at each minute of the injected clock, and drops slots older than the ring', () => {
    const history = new RttHistory(DEFAULT_HISTORY_SHAPE, xorshiftRandom(2));
    history.add(59.9, ms(1));
    history.add(60, ms(2));
    history.add(61, ms(3));
    let slots = history.recent(61).slots;
    assert.deepEqual(
      slots.map((s) => [s.time, s.count]),
      [
        [0, 1],
        [60, 2],
      ],
    );
    close(slots[1]!.min, ms(2), 'the second slot starts at 60 s');
    // 70 minutes later, one result a minute: the ring holds the last 60 minutes only.
    for (let minute = 2; minute <= 71; minute++) history.add(minute * 60 + 5, ms(minute));
    slots = history.recent(71 * 60 + 5).slots;
    assert.equal(slots.length, 60);
    assert.equal(slots[0]!.time, 12 * 60);
    assert.equal(slots[59]!.time, 71 * 60);
    // A gap of two minutes, then a result: the slots of the gap are absent, not stale data of a lap before.
    history.add(74 * 60, ms(9));
    const times = history.recent(74 * 60).slots.map((s) => s.time / 60);
    assert.ok(!times.includes(72) && !times.includes(73) && times.includes(74), String(times));
    // The coarse ring sums the same results by the half hour.
    const day = history.day(74 * 60);
    assert.equal(day.slotSeconds, 1800);
    assert.deepEqual(
      day.slots.map((s) => [s.time, s.count]),
      [
        [0, 31],
        [1800, 30],
        [3600, 13],
      ],
    );
  });

  it('keeps the percentiles of a busy slot close from a fixed sample (10,000 RTTs, 64 kept)', () => {
    const history = new RttHistory(DEFAULT_HISTORY_SHAPE, xorshiftRandom(3));
    // Uniform 1..100 ms, in a scrambled order, all in one slot.
    for (let i = 0; i < 10_000; i++) history.add(120 + i / 1000, ms(1 + ((i * 7919) % 10_000) / 101.01));
    const slot = history.recent(130).slots[0]!;
    assert.equal(slot.count, 10_000);
    close(slot.min, ms(1), 'min is exact');
    assert.ok(Math.abs(slot.median! - ms(50.5)) < ms(10), `median ${slot.median}`);
    assert.ok(Math.abs(slot.p90! - ms(90)) < ms(8), `p90 ${slot.p90}`);
  });

  it('holds a fixed number of bytes, whatever the number of results', () => {
    const history = new RttHistory(DEFAULT_HISTORY_SHAPE, xorshiftRandom(4));
    const before = history.bytes;
    for (let t = 0; t < 3 * 86_400; t += 1) history.add(t, t % 17 === 0 ? null : ms(5 + (t % 3)));
    assert.equal(history.bytes, before);
    // Two rings of 8 float32 fields and a uint32 slot number per slot, two samples of 64 float32.
    assert.equal(before, 60 * (8 * 4 + 4) + 48 * (8 * 4 + 4) + 2 * 64 * 4);
    assert.equal(history.recent(3 * 86_400 - 1).slots.length, 60);
    assert.equal(history.day(3 * 86_400 - 1).slots.length, 48);
  });
});

describe('Reservoir', () => {
  it('gives nearest-rank percentiles of what it holds, NaN when empty', () => {
    const sample = new Reservoir(8, xorshiftRandom(5));
    const out = new Float64Array(3);
    sample.percentiles([0.5, 0.9, 1], out);
    assert.ok(out.every(Number.isNaN));
    for (const value of [4, 1, 3, 2]) sample.add(value);
    sample.percentiles([0.5, 0.9, 1], out);
    assert.deepEqual([...out], [2, 4, 4]);
    sample.reset();
    assert.equal(sample.size, 0);
  });
});
