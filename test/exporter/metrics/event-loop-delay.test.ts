import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventLoopDelay } from '../../../exporter/metrics/event-loop-delay';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the event loop busy for `ms`: nothing else runs meanwhile. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('EventLoopDelay: the lateness of the loop, without the sampling period', () => {
  it('reads near 0 on an idle loop (monitorEventLoopDelay read its 10 ms resolution)', async () => {
    const delay = new EventLoopDelay(10);
    try {
      await sleep(500);
      const idle = delay.take();
      assert.ok(idle, 'sampled');
      // Whatever else loads the machine, a timer on an idle loop is rarely late by milliseconds.
      assert.ok(idle.p50 < 0.003, `idle p50 ${idle.p50}`);
      assert.ok(idle.p50 >= 0 && idle.p99 >= idle.p50 && idle.max >= idle.p99);
    } finally {
      delay.close();
    }
  });

  it('reads a block of known length as that length, to within the resolution', async () => {
    const delay = new EventLoopDelay(10);
    try {
      await sleep(50);
      // Right after a take (a scrape): monitorEventLoopDelay would miss this block.
      delay.take();
      const blockedMs = 300;
      block(blockedMs);
      // The timer that was due during the block runs now and records its lateness.
      await sleep(30);
      const blocked = delay.take();
      assert.ok(blocked, 'sampled');
      assert.ok(
        blocked.max >= (blockedMs - 10 - 1) / 1000 && blocked.max <= (blockedMs + 50) / 1000,
        `blocked ${blockedMs} ms, read max ${blocked.max} s`,
      );
      // A new period starts at each take: the block is not read again.
      await sleep(100);
      const after = delay.take();
      assert.ok(after && after.max < 0.1, `after the block: max ${after?.max}`);
    } finally {
      delay.close();
    }
  });

  it('a take right behind another (a second scraper) gets the last period again, not nothing', async () => {
    const delay = new EventLoopDelay(10);
    try {
      await sleep(100);
      const first = delay.take();
      assert.ok(first, 'sampled');
      // Synchronously after: no timer could have run, nothing was recorded in between.
      assert.deepEqual(delay.take(), first);
    } finally {
      delay.close();
    }
  });

  it('says nothing before its first sample; close() is idempotent', () => {
    const delay = new EventLoopDelay(10);
    assert.equal(delay.take(), undefined);
    delay.close();
    delay.close();
  });
});
