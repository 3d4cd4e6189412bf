import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TimerQueue, type QueuedTimer } from '../../../exporter/scheduler';
import { FakeClock } from '../../support/fake-clock';

class Entry implements QueuedTimer {
  due = 0;
  queueIndex = -1;
  constructor(
    readonly name: string,
    private readonly onFire: (entry: Entry) => void,
  ) {}
  fire(): void {
    this.onFire(this);
  }
}

/** A deterministic generator (mulberry32) for the property test. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('TimerQueue', () => {
  it('fires entries at their due times, in order, behind a single clock timer', async () => {
    const clock = new FakeClock();
    const queue = new TimerQueue(clock);
    const fired: Array<[string, number]> = [];
    const record = (entry: Entry) => fired.push([entry.name, clock.now()]);
    for (const [name, due] of [
      ['c', 30],
      ['a', 10],
      ['b', 20],
      ['a2', 10],
    ] as const) {
      queue.schedule(new Entry(name, record), due);
    }
    assert.equal(clock.pending, 1, 'one clock timer for four entries');
    await clock.advance(100);
    assert.deepEqual(
      fired.map(([, at]) => at),
      [10, 10, 20, 30],
    );
    assert.deepEqual(fired.map(([name]) => name).slice(2), ['b', 'c']);
    assert.equal(clock.pending, 0, 'no timer left once the queue is empty');
  });

  it('cancels and reschedules entries', async () => {
    const clock = new FakeClock();
    const queue = new TimerQueue(clock);
    const fired: Array<[string, number]> = [];
    const record = (entry: Entry) => fired.push([entry.name, clock.now()]);
    const a = new Entry('a', record);
    const b = new Entry('b', record);
    const c = new Entry('c', record);
    queue.schedule(a, 10);
    queue.schedule(b, 20);
    queue.schedule(c, 30);
    queue.cancel(a);
    queue.schedule(c, 5);
    queue.cancel(a); // idempotent
    await clock.advance(100);
    assert.deepEqual(fired, [
      ['c', 5],
      ['b', 20],
    ]);
    assert.equal(a.queueIndex, -1);
    queue.schedule(a, 150);
    queue.cancel(a);
    assert.equal(clock.pending, 0, 'cancelling the last entry drops the clock timer');
  });

  it('runs an entry re-queued by its own fire() at the next wake-up, not in a loop', async () => {
    const clock = new FakeClock();
    const queue = new TimerQueue(clock);
    const times: number[] = [];
    const entry = new Entry('self', (e) => {
      times.push(clock.now());
      if (times.length < 4) queue.schedule(e, clock.now() - 5); // already overdue
    });
    queue.schedule(entry, 10);
    await clock.advance(50);
    assert.deepEqual(times, [10, 10, 10, 10]);
  });

  it('keeps the entries due with one that throws for the next wake-up', async () => {
    const clock = new FakeClock();
    const queue = new TimerQueue(clock);
    const fired: string[] = [];
    queue.schedule(
      new Entry('bad', () => {
        throw new Error('boom');
      }),
      10,
    );
    queue.schedule(new Entry('good', (e) => fired.push(e.name)), 10);
    queue.schedule(new Entry('later', (e) => fired.push(e.name)), 10);
    await assert.rejects(clock.advance(10), /boom/);
    await clock.advance(10);
    // whichever of the three fired first, the other two fire exactly once
    assert.deepEqual(fired.sort(), ['good', 'later']);
    assert.equal(queue.size, 0);
  });

  for (const batchMs of [1, 5, 20]) {
    it(`fires every entry of 5,000 random schedules, cancels and reschedules, at most ${batchMs} ms early (seeded)`, async () => {
      const next = random(7);
      const clock = new FakeClock();
      const queue = new TimerQueue(clock, { batchMs });
      const fired: Array<[number, number]> = [];
      const entries = Array.from(
        { length: 200 },
        (_, i) => new Entry(String(i), (e) => fired.push([Number(e.name), clock.now()])),
      );
      const expected = new Map<number, number>();
      for (let step = 0; step < 5000; step++) {
        const i = Math.floor(next() * entries.length);
        const entry = entries[i]!;
        if (next() < 0.2) {
          queue.cancel(entry);
          expected.delete(i);
        } else {
          const due = Math.floor(next() * 10_000);
          queue.schedule(entry, due);
          expected.set(i, due);
        }
      }
      assert.equal(queue.size, expected.size);
      await clock.advance(20_000);
      // each at its due time, or up to batchMs early, taken along by an earlier wake-up
      assert.equal(fired.length, expected.size);
      for (const [i, at] of fired) {
        const due = expected.get(i)!;
        assert.ok(at <= due && at >= due - batchMs, `entry ${i} due at ${due} fired at ${at}`);
      }
      assert.deepEqual(new Set(fired.map(([i]) => i)), new Set(expected.keys()));
      assert.ok(
        fired.every(([, at], k) => k === 0 || at >= fired[k - 1]![1]),
        'in time order',
      );
    });
  }

  it('keeps periodic entries on time while their own fire() cancels and re-queues others (seeded)', async () => {
    const next = random(11);
    const clock = new FakeClock();
    const queue = new TimerQueue(clock, { batchMs: 5 });
    const interval = 1000;
    const count = 500;
    const fires = new Array<number>(count).fill(0);
    const expectedFires = new Array<number>(count).fill(0);
    const cancelledAt = new Array<number>(count).fill(Infinity);
    const entries: Entry[] = [];
    for (let i = 0; i < count; i++) {
      entries.push(
        new Entry(String(i), (entry) => {
          const k = Number(entry.name);
          const lateness = clock.now() - entry.due;
          assert.ok(lateness <= 0 && lateness >= -5, `entry ${k} due ${entry.due} fired at ${clock.now()}`);
          fires[k]!++;
          queue.schedule(entry, entry.due + interval);
          // Now and then a job stops another one, possibly one due in this very slot.
          if (next() < 0.01) {
            const victim = Math.floor(next() * count);
            if (cancelledAt[victim] === Infinity && entries[victim]!.queueIndex >= 0) {
              cancelledAt[victim] = entries[victim]!.due;
              queue.cancel(entries[victim]!);
            }
          }
        }),
      );
      queue.schedule(entries[i]!, Math.floor(next() * interval));
    }
    const firstDue = entries.map((e) => e.due);
    await clock.advance(10 * interval);
    for (let i = 0; i < count; i++) {
      // Every tick due up to the end (the last wake-up serves its batch, 5 ms), stopped at the cancel.
      for (let due = firstDue[i]!; due < 10 * interval + 5 && due < cancelledAt[i]!; due += interval)
        expectedFires[i]!++;
    }
    assert.deepEqual(fires, expectedFires);
    assert.equal(queue.size, cancelledAt.filter((at) => at === Infinity).length);
  });

  it('serves every entry due within batchMs of a wake-up with that wake-up', async () => {
    const clock = new FakeClock();
    let wakeUps = 0;
    const counting = {
      now: () => clock.now(),
      setTimeout: (callback: () => void, ms: number) =>
        clock.setTimeout(() => {
          wakeUps++;
          callback();
        }, ms),
      clearTimeout: (handle: unknown) => clock.clearTimeout(handle),
    };
    const queue = new TimerQueue(counting, { batchMs: 5 });
    const fired: Array<[number, number]> = [];
    // one entry every 0.1 ms over 100 ms, as 10,000 jobs a second spread over the interval are
    for (let i = 0; i < 1000; i++)
      queue.schedule(new Entry(String(i), (e) => fired.push([Number(e.name) / 10, clock.now()])), i / 10);
    await clock.advance(200);
    assert.equal(fired.length, 1000);
    assert.ok(wakeUps <= 100 / 5 + 1, `${wakeUps} wake-ups for 100 ms of entries`);
    assert.ok(wakeUps >= 100 / 6, `${wakeUps} wake-ups: batches longer than batchMs`);
    for (const [due, at] of fired) assert.ok(at <= due && at > due - 5 - 0.1, `due ${due}, fired ${at}`);
  });
});
