import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FairQueue } from '../../../exporter/server/fair-queue';

describe('FairQueue', () => {
  it('runs one task at a time, lanes in turn, and refuses past the lane and total bounds', async () => {
    const queue = new FairQueue({ maxQueued: 5, maxPerLane: 3 });
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const task = (name: string) => async (): Promise<boolean> => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(name);
      running--;
      return true;
    };
    const runs = [
      queue.run('a', task('a1')),
      queue.run('a', task('a2')),
      queue.run('a', task('a3')),
      queue.run('a', task('a4')), // lane full
      queue.run('b', task('b1')),
      queue.run('c', task('c1')),
      queue.run('c', task('c2')), // queue full
    ];
    assert.deepEqual(
      runs.map((run) => run !== undefined),
      [true, true, true, false, true, true, false],
    );
    assert.equal(queue.size, 5);
    await Promise.all(runs);
    assert.deepEqual(order, ['a1', 'a2', 'b1', 'c1', 'a3']);
    assert.equal(most, 1);
    assert.equal(queue.size, 0);
  });

  it('counts a task that throws or rejects as false and goes on', async () => {
    const queue = new FairQueue();
    const thrown = queue.run('a', () => {
      throw new Error('boom');
    });
    const rejected = queue.run('b', () => Promise.reject(new Error('boom')));
    const fine = queue.run('c', () => Promise.resolve(true));
    assert.deepEqual(await Promise.all([thrown, rejected, fine]), [false, false, true]);
    assert.equal(queue.size, 0);
  });
});
