import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusStore } from '../../../exporter/status';
import { summarise } from '../../../exporter/status/target-summary';
import { knock, ping, target, trace } from './fixtures';

describe('StatusStore', () => {
  it('keeps the targets of the running config, and forgets a removed one with its series', () => {
    let now = 1000;
    const store = new StatusStore({ now: () => now });
    store.configure([target('a', { site: 'x' }), target('b')]);
    assert.equal(store.size, 2);
    store.feed(target('a'), '10.0.0.1').ping(ping(0.01));
    store.feed(target('a'), '10.0.0.1').knock(443, knock(0.02));
    store.feed(target('b'), '10.0.0.2').ping(ping(0.01));
    assert.equal(store.seriesHeld, 3);
    now += 1;
    store.configure([target('b', { site: 'y' })]);
    assert.equal(store.get('a'), undefined);
    assert.equal(store.seriesHeld, 1);
    assert.deepEqual(store.get('b')?.labels, { site: 'y' });
  });

  it('ignores what a feed still hands in after the config dropped its target (an in-flight probe)', () => {
    const store = new StatusStore({ now: () => 60 });
    store.configure([target('a')]);
    const feed = store.feed(target('a'), '10.0.0.1');
    store.configure([]);
    // Each would allocate a series or keep an error of a target nobody shows any more.
    feed.ping(ping(0.01));
    feed.knock(80, knock(0.01));
    feed.trace(trace([['10.0.1.2']], false));
    feed.failed('ping', 'send', 'ENOBUFS');
    assert.equal(store.get('a'), undefined);
    assert.equal(store.size, 0);
    assert.equal(store.seriesHeld, 0);
    assert.equal(store.seriesRefused, 0);
  });

  it('remembers the last 16 addresses of a target whose name keeps resolving elsewhere', () => {
    const store = new StatusStore({ now: () => 60 });
    for (let i = 0; i < 40; i++) store.feed(target('a'), `10.0.0.${i}`);
    store.feed(target('a'), '10.0.0.30');
    const addresses = [...store.get('a')!.addresses];
    assert.equal(addresses.length, 16);
    assert.equal(addresses[15], '10.0.0.30', 'the most recent last');
    assert.equal(addresses[0], '10.0.0.24');
  });

  it('caps the RTT series of the whole store: past maxSeries, results are counted and not kept', () => {
    const store = new StatusStore({ now: () => 60, maxSeries: 2 });
    store.feed(target('a'), '10.0.0.1').ping(ping(0.01));
    store.feed(target('a'), '10.0.0.1').knock(80, knock(0.01));
    store.feed(target('a'), '10.0.0.1').knock(443, knock(0.01));
    store.feed(target('b'), '10.0.0.2').ping(ping(0.01));
    assert.equal(store.seriesHeld, 2);
    assert.equal(store.seriesRefused, 2);
    assert.deepEqual([...store.get('a')!.knock.keys()], [80]);
    assert.equal(store.get('b')!.ping, undefined);
    // The trace part and the errors are not RTT series: still kept.
    store.feed(target('b'), '10.0.0.2').trace(trace([['10.0.1.1', '10.0.0.2']]));
    assert.equal(store.get('b')!.trace?.snapshot()?.hops.length, 2);
  });

  it('keeps the last errors with their reason, address and time, and no timeouts (they are loss)', () => {
    let now = 500;
    const store = new StatusStore({ now: () => now, limits: { ...defaults(), errors: 3 } });
    const a = target('a');
    store.feed(a, '10.0.0.1').ping(ping(null));
    for (let i = 0; i < 5; i++) {
      now++;
      store.feed(a, '10.0.0.1').ping({
        seq: i,
        rtt: null,
        failure: { reason: 'unreachable', type: 3, code: 1, from: `10.0.9.${i}` },
      });
    }
    now++;
    store.feed(a, '10.0.0.1').failed('trace', 'source_address', 'no route to 10.0.0.1');
    const errors = store.get('a')!.errors.newestFirst();
    assert.deepEqual(
      errors.map((e) => [e.time, e.probe, e.reason, e.message]),
      [
        [506, 'trace', 'source_address', 'no route to 10.0.0.1'],
        [505, 'ping', 'unreachable', 'ICMP type 3 code 1 from 10.0.9.4'],
        [504, 'ping', 'unreachable', 'ICMP type 3 code 1 from 10.0.9.3'],
      ],
    );
  });

  it("takes the exporter's judgement of a round: the watch's path change, each hop's forwarding loss (NaN: null)", () => {
    let now = 100;
    const store = new StatusStore({ now: () => now });
    const t = target('j');
    const one = trace([['10.0.1.2', '10.0.4.2']]);
    const other = trace([['10.0.1.3', '10.0.4.2']]);
    const judged = (pathChanged: boolean) => ({
      pathChanged,
      forwardLoss: new Map([
        [1, 0.1],
        [2, NaN],
      ]),
    });
    store.feed(t, '10.0.4.2').trace(one, judged(false));
    now = 101;
    // A different path set the watch did not call a change (silence under rate limits, say): none listed.
    store.feed(t, '10.0.4.2').trace(other, judged(false));
    assert.deepEqual(store.get('j')!.trace!.snapshot()!.changes, []);
    now = 102;
    store.feed(t, '10.0.4.2').trace(one, judged(true));
    const snapshot = store.get('j')!.trace!.snapshot()!;
    assert.deepEqual(
      snapshot.changes.map((c) => c.time),
      [102],
    );
    assert.deepEqual(
      snapshot.hops.map((h) => [h.ttl, h.forwardLoss]),
      [
        [1, 0.1],
        [2, null],
      ],
    );
    assert.equal(JSON.parse(JSON.stringify(snapshot)).hops[1].forwardLoss, null);
  });

  it('records the last trace round whole, and a path change when the set of paths changes', () => {
    let now = 100;
    const store = new StatusStore({ now: () => now });
    const t = target('t');
    const both = trace([
      ['10.0.1.2', '10.0.2.2', '10.0.4.2'],
      ['10.0.1.2', '10.0.3.2', '10.0.4.2'],
    ]);
    store.feed(t, '10.0.4.2').trace(both);
    now = 101;
    store.feed(t, '10.0.4.2').trace(both);
    assert.deepEqual(store.get('t')!.trace!.snapshot()!.changes, []);
    now = 102;
    store.feed(t, '10.0.4.2').trace(trace([['10.0.1.2', '10.0.2.2', '10.0.4.2']]));
    const snapshot = store.get('t')!.trace!.snapshot()!;
    assert.equal(snapshot.rounds, 3);
    assert.deepEqual(
      snapshot.hops.map((h) => [h.ttl, h.responders.map((r) => r.address)]),
      [
        [1, ['10.0.1.2']],
        [2, ['10.0.2.2']],
        [3, ['10.0.4.2']],
      ],
    );
    assert.equal(snapshot.changes.length, 1);
    assert.equal(snapshot.changes[0]!.time, 102);
    assert.deepEqual(
      snapshot.changes[0]!.before.map((p) => p.hops[1]),
      ['10.0.2.2', '10.0.3.2'],
    );
    assert.deepEqual(
      snapshot.changes[0]!.after.map((p) => p.hops[1]),
      ['10.0.2.2'],
    );
    assert.equal(snapshot.hops[1]!.responders[0]!.median, 0.002);
  });
});

describe('the state of a target (last 5 minutes)', () => {
  const stateAfter = (feed: (store: StatusStore, now: () => void) => void): string => {
    let now = 10_000;
    const store = new StatusStore({ now: () => now });
    store.configure([target('x')]);
    feed(store, () => (now += 1));
    return summarise(store.get('x')!, now).state;
  };

  it('is unknown before any result, up when all answered, degraded with some loss, down with none answered', () => {
    assert.equal(
      stateAfter(() => undefined),
      'unknown',
    );
    const x = target('x');
    assert.equal(
      stateAfter((s, tick) => {
        for (let i = 0; i < 10; i++, tick()) s.feed(x, '10.0.0.1').ping(ping(0.01));
      }),
      'up',
    );
    assert.equal(
      stateAfter((s, tick) => {
        for (let i = 0; i < 10; i++, tick()) s.feed(x, '10.0.0.1').ping(ping(i === 3 ? null : 0.01));
      }),
      'degraded',
    );
    assert.equal(
      stateAfter((s, tick) => {
        for (let i = 0; i < 10; i++, tick()) s.feed(x, '10.0.0.1').ping(ping(null));
      }),
      'down',
    );
    // Pings answer, the trace does not reach: degraded, not up.
    assert.equal(
      stateAfter((s, tick) => {
        s.feed(x, '10.0.0.1').ping(ping(0.01));
        tick();
        s.feed(x, '10.0.0.1').trace(trace([['10.0.1.2']], false));
      }),
      'degraded',
    );
    // A name that does not resolve: no probe runs, the target is down and says why.
    assert.equal(
      stateAfter((s) => s.resolveFailed(x, 'no such host')),
      'down',
    );
    assert.equal(
      stateAfter((s, tick) => {
        s.resolveFailed(x, 'no such host');
        for (let i = 0; i < 301; i++) tick();
      }),
      'unknown',
      'a resolve failure older than the window says nothing',
    );
    // Lost long ago, answered lately: up (only the last 5 minutes count).
    assert.equal(
      stateAfter((s, tick) => {
        s.feed(x, '10.0.0.1').ping(ping(null));
        for (let i = 0; i < 400; i++) tick();
        s.feed(x, '10.0.0.1').ping(ping(0.01));
      }),
      'up',
    );
  });
});

function defaults() {
  return {
    history: { fineSlotSeconds: 60, fineSlots: 60, coarseSlotSeconds: 1800, coarseSlots: 48, sampleSize: 64 },
    errors: 10,
    pathChanges: 10,
  };
}
