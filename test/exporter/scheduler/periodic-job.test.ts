import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PeriodicJob, Scheduler, spreadOffset, TimerQueue, type Prober } from '../../../exporter/scheduler';
import { silentLogger } from '../../../exporter/logging';
import { FakeClock } from '../../support/fake-clock';

describe('PeriodicJob', () => {
  it('runs at first + k * interval without drift, whatever each run takes', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    new PeriodicJob(new TimerQueue(clock), {
      intervalMs: 1000,
      offsetMs: 250,
      run: async () => {
        starts.push(clock.now());
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 300));
      },
    });
    await clock.advance(5000);
    assert.deepEqual(starts, [250, 1250, 2250, 3250, 4250]);
  });

  it('never overlaps runs: ticks inside a long run are skipped and reported', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    const skipped: number[] = [];
    let active = 0;
    new PeriodicJob(new TimerQueue(clock), {
      intervalMs: 1000,
      offsetMs: 0,
      run: async () => {
        assert.equal(active++, 0, 'no other run is active');
        starts.push(clock.now());
        await new Promise<void>((resolve) => clock.setTimeout(resolve, starts.length === 1 ? 2500 : 100));
        active--;
      },
      onOverrun: (n) => skipped.push(n),
    });
    await clock.advance(5500);
    // The first run ends at 2500: tick 1000 is a whole interval behind (skipped), tick 2000 starts at once.
    assert.deepEqual(starts, [0, 2500, 3000, 4000, 5000]);
    assert.deepEqual(skipped, [1]);
  });

  it('starts a tick at once when the previous run ends just after it was due, as a timeout equal to the interval does', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    new PeriodicJob(new TimerQueue(clock), {
      intervalMs: 1000,
      offsetMs: 0,
      run: () => {
        starts.push(clock.now());
        return new Promise<void>((resolve) => clock.setTimeout(resolve, 1001));
      },
      onOverrun: () => assert.fail('no tick skipped'),
    });
    await clock.advance(3100);
    assert.deepEqual(starts, [0, 1001, 2002, 3003]);
  });

  it('after a 10 s stall at 200 ms, runs the latest tick once and counts the 49 before it as skipped', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    const skipped: number[] = [];
    new PeriodicJob(new TimerQueue(clock, { batchMs: 1 }), {
      intervalMs: 200,
      offsetMs: 0,
      run: async () => void starts.push(clock.now()),
      onOverrun: (n) => skipped.push(n),
    });
    await clock.advance(1000);
    assert.deepEqual(starts, [0, 200, 400, 600, 800, 1000]);
    // The loop stalls from 1000 to 11000: the 50 ticks 1200, 1400, ..., 11000 fall due meanwhile.
    clock.stall(10_000);
    await clock.advance(0);
    // The latest (11000) runs; the 49 before it are skipped, in one report, and none runs late.
    assert.deepEqual(starts.slice(6), [11_000]);
    assert.deepEqual(skipped, [49]);
    await clock.advance(400);
    assert.deepEqual(starts.slice(6), [11_000, 11_200, 11_400]);
    // Every tick due by now ran or was counted: 0..11400 is 58 ticks.
    assert.equal(starts.length + skipped.reduce((a, b) => a + b, 0), 11_400 / 200 + 1);
  });

  it('counts the ticks a run held up by a stall missed: its answer read 10 s late', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    const skipped: number[] = [];
    let release: (() => void) | undefined;
    new PeriodicJob(new TimerQueue(clock, { batchMs: 1 }), {
      intervalMs: 200,
      offsetMs: 0,
      run: () => {
        starts.push(clock.now());
        return new Promise<void>((resolve) => (release = resolve));
      },
      onOverrun: (n) => skipped.push(n),
    });
    await clock.advance(0);
    assert.deepEqual(starts, [0]);
    // The run waits for its answer; the process stalls 10 s; the answer is read on resumption.
    clock.stall(10_000);
    release!();
    await clock.advance(0);
    // Ticks 200..10000 fell due during the run: the latest, 10000, runs; the 49 before it are skipped.
    assert.deepEqual(starts, [0, 10_000]);
    assert.deepEqual(skipped, [49]);
  });

  it('reports a rejected run and keeps going; stop() cancels the next run', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let runs = 0;
    const job = new PeriodicJob(new TimerQueue(clock), {
      intervalMs: 100,
      offsetMs: 0,
      run: async () => {
        runs++;
        throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    await clock.advance(250);
    assert.equal(runs, 3);
    assert.equal(errors.length, 3);
    job.stop();
    await clock.advance(1000);
    assert.equal(runs, 3);
    assert.equal(clock.pending, 0);
  });
});

describe('spreadOffset', () => {
  it('is stable and spreads keys over the interval', () => {
    assert.equal(spreadOffset('a', 1000), spreadOffset('a', 1000));
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const offset = spreadOffset(`target-${i}`, 1000);
      assert.ok(offset >= 0 && offset < 1000);
      buckets[Math.floor(offset / 100)]!++;
    }
    for (const count of buckets) assert.ok(count > 850 && count < 1150, `bucket ${count}`);
  });
});

describe('Scheduler', () => {
  it('starts one job per (probe, target, address), only for targets that enable the probe, and closes runners', async () => {
    const clock = new FakeClock();
    const runs: string[] = [];
    const closed: string[] = [];
    const prober: Prober = {
      name: 'ping',
      plansOf: (target) => (target.name === 'off' ? [] : [{ id: '', interval: 1 }]),
      open: (subject) => ({
        run: async () => void runs.push(subject.address),
        close: () => void closed.push(subject.address),
      }),
    };
    const scheduler = new Scheduler(silentLogger, clock);
    const target = { name: 'a', host: 'x', family: 'auto', labels: {} } as const;
    scheduler.start(prober, { target, address: '10.0.0.1', family: 'ipv4' });
    scheduler.start(prober, { target, address: '10.0.0.1', family: 'ipv4' });
    scheduler.start(prober, { target, address: '10.0.0.2', family: 'ipv4' });
    scheduler.start(prober, { target: { ...target, name: 'off' }, address: '10.0.0.3', family: 'ipv4' });
    assert.equal(scheduler.size, 2);
    await clock.advance(3000);
    assert.equal(runs.filter((a) => a === '10.0.0.1').length, 3);
    assert.equal(runs.filter((a) => a === '10.0.0.2').length, 3);
    scheduler.stop('ping', { target, address: '10.0.0.1' });
    assert.deepEqual(closed, ['10.0.0.1']);
    scheduler.stopAll();
    assert.deepEqual(closed.sort(), ['10.0.0.1', '10.0.0.2']);
    assert.equal(clock.pending, 0);
  });

  it("tells the prober how many of its ticks were skipped, from every job's stall", async () => {
    const clock = new FakeClock();
    const skipped: number[] = [];
    const prober: Prober = {
      name: 'ping',
      plansOf: () => [{ id: '', interval: 0.2 }],
      open: () => ({ run: async () => {}, close: () => {} }),
      ticksSkipped: (count) => void skipped.push(count),
    };
    const scheduler = new Scheduler(silentLogger, clock);
    const target = { name: 'a', host: 'x', family: 'auto', labels: {} } as const;
    scheduler.start(prober, { target, address: '10.0.0.1', family: 'ipv4' });
    scheduler.start(prober, { target, address: '10.0.0.2', family: 'ipv4' });
    await clock.advance(1000);
    assert.deepEqual(skipped, []);
    clock.stall(10_000);
    await clock.advance(0);
    // Each job had 50 ticks due in (1000, 11000]: the latest ran, 49 were skipped. (Their spread
    // offsets, 33 and 164 ms, lie away from the queue's 5 ms batching of early wake-ups.)
    assert.deepEqual(skipped, [49, 49]);
    scheduler.stopAll();
  });

  it('runs one job per plan (knocked ports) at the interval of each, and stops them together', async () => {
    const clock = new FakeClock();
    const runs: string[] = [];
    const closed: string[] = [];
    const prober: Prober = {
      name: 'knock',
      plansOf: () => [
        { id: '22', interval: 1 },
        { id: '443', interval: 2 },
      ],
      open: (_subject, plan) => ({
        run: async () => void runs.push(plan.id),
        close: () => void closed.push(plan.id),
      }),
    };
    const scheduler = new Scheduler(silentLogger, clock);
    const target = { name: 'a', host: 'x', family: 'auto', labels: {} } as const;
    scheduler.start(prober, { target, address: '10.0.0.1', family: 'ipv4' });
    assert.equal(scheduler.size, 2);
    await clock.advance(4000);
    assert.equal(runs.filter((id) => id === '22').length, 4);
    assert.equal(runs.filter((id) => id === '443').length, 2);
    scheduler.stop('knock', { target, address: '10.0.0.1' });
    assert.deepEqual(closed.sort(), ['22', '443']);
    assert.equal(scheduler.size, 0);
    assert.equal(clock.pending, 0);
  });
});
