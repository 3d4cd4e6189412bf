import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DeadlineList, InflightSet } from '../../../probes/inflight';
import { buildHop } from '../../../probes/trace/hop-builder';
import { TraceProbe } from '../../../probes/trace/trace-probe';
import { FakeDeadlineClock } from '../inflight/fake-deadline-clock';

const SENT_AT = 1_000_000_000n;

/** A trace probe of no protocol in particular: counts how often it forgets its expectation. */
class CountingProbe extends TraceProbe {
  forgotten = 0;
  protected forget(): void {
    this.forgotten++;
  }
}

function sentProbe(timeoutMs: number): CountingProbe {
  const inflight = new InflightSet(new DeadlineList(timeoutMs, new FakeDeadlineClock()), () => {});
  const probe = new CountingProbe(inflight, { family: 4, destination: '10.0.9.2' });
  probe.start();
  probe.onSent(SENT_AT);
  return probe;
}

describe('trace probes: answers read after the timeout', () => {
  it('settles an answer read 10.17 s after the send (timeout 200 ms, timer not fired yet) as late, not as an RTT', async () => {
    const probe = sentProbe(200);
    probe.answerIcmpError(SENT_AT + 10_170_000_000n, { type: 11, code: 0, from: '10.0.1.2' });
    assert.deepEqual(await probe.settled, { kind: 'late', rtt: 10.17 });
    assert.equal(probe.forgotten, 1);
  });

  it('keeps an answer within the timeout, the boundary included', async () => {
    const probe = sentProbe(200);
    probe.answerFromDestination(SENT_AT + 200_000_000n);
    assert.deepEqual(await probe.settled, { kind: 'destination', from: '10.0.9.2', rtt: 0.2 });
  });

  it('counts a late answer as a loss of its hop, and says how many came late', () => {
    const hop = buildHop(3, [
      { flow: 0, outcome: { kind: 'hop', from: '10.0.3.2', rtt: 0.001 } },
      { flow: 1, outcome: { kind: 'late', rtt: 10.17 } },
      { flow: 2, outcome: null },
    ]);
    assert.equal(hop.sent, 3);
    assert.equal(hop.received, 1);
    assert.equal(hop.late, 1);
    assert.equal(hop.loss, 2 / 3);
    assert.deepEqual(
      hop.responders.map((r) => [r.address, r.rtts]),
      [['10.0.3.2', [0.001]]],
    );
  });
});
