import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RollingWindow } from '../../../exporter/metrics';
import { expectedResults } from '../../../exporter/metrics/rolling-window';

describe('RollingWindow', () => {
  it('gives the loss ratio of the probes inside the window only', () => {
    const window = new RollingWindow(10_000);
    assert.equal(window.loss(0), undefined);
    for (let t = 0; t < 10; t++) window.add(t * 1000, t % 5 === 0 ? null : 0.01);
    assert.equal(window.loss(9000), 2 / 10);
    window.add(10_000, 0.01); // t=0 (lost) leaves the window
    assert.equal(window.loss(10_000), 1 / 10);
    assert.equal(window.loss(100_000), undefined);
  });

  it('gives jitter as the mean absolute difference of consecutive RTTs, skipping losses', () => {
    const window = new RollingWindow(60_000);
    assert.equal(window.jitter(0), undefined);
    window.add(0, 0.01);
    assert.equal(window.jitter(0), undefined);
    window.add(1, 0.013);
    window.add(2, null);
    window.add(3, 0.011);
    window.add(4, 0.015);
    // |13-10| + |11-13| + |15-11| = 3 + 2 + 4 = 9 ms over 3 pairs, RTTs held as float32 (7 digits)
    assert.ok(Math.abs(window.jitter(4)! - 0.003) < 1e-9);
  });

  it('keeps memory proportional to the window over a long run', () => {
    const window = new RollingWindow(1000);
    for (let t = 0; t < 1_000_000; t += 10) window.add(t, 0.001);
    assert.equal(window.size, 100, 'the last second of results, every 10 ms');
    assert.ok(window.capacity <= 256, `a ring of ${window.capacity} entries`);
    assert.equal(window.loss(1_000_000), 0);
  });

  it('is sized once from the expected results, and still grows if more come', () => {
    const window = new RollingWindow(60_000, 60);
    assert.equal(window.capacity, 62);
    // ticks a few milliseconds early at times: 61 results inside 60 s
    for (let t = 0; t <= 600_000; t += 999) window.add(t, 0.001);
    assert.equal(window.capacity, 62, 'no growth at one result per interval');
    const times: number[] = [];
    for (let t = 0; t <= 600_000; t += 999) times.push(t);
    for (let t = 600_001; t < 601_000; t += 10) {
      window.add(t, null);
      times.push(t);
    }
    const inside = times.filter((t) => t > 600_991 - 60_000).length;
    assert.ok(inside > 150, `${inside} results inside`);
    assert.equal(window.size, inside);
    assert.ok(window.capacity >= window.size);
    assert.equal(window.loss(600_991), 100 / inside);
    assert.equal(expectedResults(60, 0.5), 120);
    assert.equal(expectedResults(60, undefined), undefined);
    assert.equal(expectedResults(60, 0), undefined);
  });

  it('agrees with a plain list over 20,000 random results, gaps and losses (seeded)', () => {
    let seed = 11;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const window = new RollingWindow(5000);
    const list: Array<[number, number | null]> = [];
    let t = 0;
    for (let step = 0; step < 20_000; step++) {
      t += next() < 0.01 ? 7000 : Math.floor(next() * 400);
      const rtt = next() < 0.1 ? null : next() * 0.01;
      window.add(t, rtt);
      list.push([t, rtt]);
      if (step % 101 !== 0) continue;
      const inside = list.filter(([at]) => at > t - 5000).map(([, r]) => r);
      const lost = inside.filter((r) => r === null).length;
      assert.equal(window.loss(t), inside.length ? lost / inside.length : undefined);
      const replies = inside.filter((r): r is number => r !== null).map(Math.fround);
      const diffs = replies.slice(1).map((r, i) => Math.abs(r - replies[i]!));
      const jitter = window.jitter(t);
      if (diffs.length === 0) assert.equal(jitter, undefined);
      else assert.ok(Math.abs(jitter! - diffs.reduce((a, b) => a + b, 0) / diffs.length) < 1e-12);
    }
  });

  it('holds a result in 8 bytes: whole milliseconds and a float32 RTT', () => {
    const window = new RollingWindow(60_000, 60);
    assert.equal(window.bytes, 62 * 8);
    window.add(0.9, 0.0123456789);
    window.add(1000.4, null);
    // Whole milliseconds: the result at 0.9 ms counts as at 0, so it leaves at 60,000.
    assert.equal(window.loss(59_999.99), 1 / 2);
    assert.equal(window.loss(60_000), 1);
    const jitterWindow = new RollingWindow(1000);
    jitterWindow.add(0, 0.0123456789);
    jitterWindow.add(1, 0.0123456789 + 1e-9);
    assert.equal(jitterWindow.jitter(1), Math.fround(0.0123456789 + 1e-9) - Math.fround(0.0123456789));
  });

  it('keeps ages exact across the 2^32 ms wrap of its times', () => {
    const window = new RollingWindow(10_000);
    const start = 2 ** 32 - 5000; // 49.7 days of uptime, less 5 s
    const lost = (i: number): boolean => i % 3 === 2;
    for (let i = 0; i < 20; i++) window.add(start + 1000 * i, lost(i) ? null : 0.01);
    // At start + 19 s the window holds results 10..19 (ages 9 s down to 0): 3 of them lost.
    const now = start + 19_000;
    assert.equal(window.size, 10);
    assert.equal(window.loss(now), 3 / 10);
    assert.equal(window.loss(now + 9000), 0, 'result 19 alone (answered)');
  });

  it('drops every result once the newest has left the window, however long the gap', () => {
    const window = new RollingWindow(10_000);
    window.add(1000, 0.01);
    window.add(2000, null);
    // 2^32 ms later (49.7 days), the times held read as 0 and 1 s old: only the newest tells.
    assert.equal(window.loss(2000 + 2 ** 32), undefined);
    window.add(3000 + 2 ** 32, 0.01);
    assert.equal(window.size, 1);
    assert.equal(window.loss(3000 + 2 ** 32), 0);
  });

  it('reads a result stamped after `now` as inside the window, as the Float64 ring did', () => {
    const window = new RollingWindow(10_000);
    window.add(5000, null);
    assert.equal(window.loss(4000), 1);
  });

  it('refuses a window its 32-bit times cannot hold', () => {
    assert.throws(() => new RollingWindow(2 ** 30), RangeError);
    assert.throws(() => new RollingWindow(0), RangeError);
    assert.equal(new RollingWindow(24 * 3600 * 1000).size, 0, 'a day, the longest the config takes');
  });
});
