import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OverlappingRuns } from '../../../exporter/probers/overlapping-runs';

/** Probes whose results the test hands out, in any order. */
function harness(maxInFlight: number) {
  const recorded: number[] = [];
  const runs = new OverlappingRuns<number>(maxInFlight, (result) => recorded.push(result));
  const pending: Array<(result: number) => void> = [];
  const done: boolean[] = [];
  const run = (): void => {
    const index = done.push(false) - 1;
    runs.start(
      (onResult) => pending.push(onResult),
      () => {
        assert.equal(done[index], false, `done of run ${index} called once`);
        done[index] = true;
      },
    );
  };
  return { recorded, pending, done, run };
}

describe('OverlappingRuns: probes overlap up to ⌈timeout / interval⌉, results in sending order', () => {
  it('ends runs at once while fewer than maxInFlight wait; holds the run that fills it until one settles', () => {
    const h = harness(3);
    h.run();
    h.run();
    assert.deepEqual(h.done, [true, true]);
    h.run();
    assert.deepEqual(h.done, [true, true, false], 'three in flight: the third run is held');
    h.pending[1]!(11);
    assert.deepEqual(h.done, [true, true, true], 'one settled: the held run ends');
    assert.deepEqual(h.recorded, [], 'the second result waits for the first');
  });

  it('records in sending order whatever the order of settling: a loss at its own deadline, answers after it wait', () => {
    const h = harness(4);
    for (let i = 0; i < 4; i++) h.run();
    // Probe 0 is lost (settles at its deadline, last); 1..3 are answered first.
    h.pending[2]!(2);
    h.pending[3]!(3);
    h.pending[1]!(1);
    assert.deepEqual(h.recorded, []);
    h.pending[0]!(0);
    assert.deepEqual(h.recorded, [0, 1, 2, 3]);
  });

  it('with maxInFlight 1 a run ends only once its result is recorded (timeout within the interval)', () => {
    const h = harness(1);
    h.run();
    assert.deepEqual(h.done, [false]);
    h.pending[0]!(7);
    assert.deepEqual([h.done, h.recorded], [[true], [7]]);
  });

  it('takes a result given during send (a closed session answers at once)', () => {
    const recorded: string[] = [];
    const runs = new OverlappingRuns<string>(1, (result) => recorded.push(result));
    let ended = false;
    runs.start(
      (onResult) => onResult('closed'),
      () => (ended = true),
    );
    assert.deepEqual([ended, recorded], [true, ['closed']]);
  });
});
