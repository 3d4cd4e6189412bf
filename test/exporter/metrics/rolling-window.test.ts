import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RollingWindow } from '../../../exporter/metrics';

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
    // |13-10| + |11-13| + |15-11| = 3 + 2 + 4 = 9 ms over 3 pairs
    assert.ok(Math.abs(window.jitter(4)! - 0.003) < 1e-12);
  });

  it('keeps memory proportional to the window over a long run', () => {
    const window = new RollingWindow(1000);
    for (let t = 0; t < 1_000_000; t += 10) window.add(t, 0.001);
    const internal = window as unknown as { times: number[] };
    assert.ok(internal.times.length < 400, `${internal.times.length} entries kept`);
    assert.equal(window.loss(1_000_000), 0);
  });
});
