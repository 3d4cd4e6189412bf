// The one lifecycle of a probe in flight (ping, knock and trace alike), on a fake clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DeadlineList, InflightProbe, InflightSet } from '../../../probes/inflight';
import { FakeDeadlineClock } from './fake-deadline-clock';

const TIMEOUT_MS = 100;
const SENT_AT = 5_000_000_000n;
const MS = 1_000_000n;

/** A probe whose results are strings, counting what the lifecycle asks of it. */
class RecordingProbe extends InflightProbe<string, string> {
  forgotten = 0;
  protected answerResult(answer: string, rtt: number): string {
    return `answer ${answer} ${rtt}`;
  }
  protected lateResult(rtt: number): string {
    return `late ${rtt}`;
  }
  protected timeoutResult(): string {
    return 'timeout';
  }
  protected sendErrorResult(error: Error): string {
    return `send ${error.message}`;
  }
  protected forget(): void {
    this.forgotten++;
  }
  /** The socket hands over an answer read at `receivedAt`. */
  read(receivedAt: bigint, answer: string): void {
    this.answered(receivedAt, answer);
  }
}

interface Rig {
  clock: FakeDeadlineClock;
  deadlines: DeadlineList;
  set: InflightSet;
  results: string[];
  reads: { count: number; onRead: () => void };
  probe(): RecordingProbe;
}

function rig(): Rig {
  const clock = new FakeDeadlineClock();
  const deadlines = new DeadlineList(TIMEOUT_MS, clock);
  const reads = { count: 0, onRead: () => {} };
  const set = new InflightSet(deadlines, () => {
    reads.count++;
    reads.onRead();
  });
  const results: string[] = [];
  return {
    clock,
    deadlines,
    set,
    results,
    reads,
    probe: () => new RecordingProbe(set, (result) => results.push(result)),
  };
}

type Event = 'answer' | 'timeout' | 'send error' | 'cancel';
const EVENTS: Event[] = ['answer', 'timeout', 'send error', 'cancel'];
const RESULT_OF: Record<Event, string> = {
  answer: 'answer reply 0.01',
  timeout: 'timeout',
  'send error': 'send ENOBUFS',
  cancel: 'timeout',
};

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('InflightProbe: settles once', () => {
  for (const order of permutations(EVENTS)) {
    it(`${order.join(', ')}: the first decides, forget runs once, nothing is left in flight`, () => {
      const { clock, deadlines, set, results, probe: newProbe } = rig();
      const probe = newProbe();
      probe.start();
      probe.onSent(SENT_AT);
      assert.deepEqual([set.size, deadlines.size], [1, 1]);
      for (const event of order) {
        if (event === 'answer') probe.read(SENT_AT + 10n * MS, 'reply');
        else if (event === 'timeout') clock.advance(TIMEOUT_MS);
        else if (event === 'send error') probe.onSendError(new Error('ENOBUFS'));
        else set.cancelAll();
      }
      assert.deepEqual(results, [RESULT_OF[order[0]!]]);
      assert.equal(probe.forgotten, 1);
      assert.deepEqual([set.size, deadlines.size, probe.inflight], [0, 0, false]);
    });
  }

  it('gives nothing and forgets nothing before start() (its expectation was never registered)', () => {
    const { results, probe: newProbe, deadlines } = rig();
    const probe = newProbe();
    probe.onSent(SENT_AT);
    probe.read(SENT_AT + MS, 'reply');
    probe.onSendError(new Error('ENOBUFS'));
    probe.cancel();
    assert.deepEqual([results, probe.forgotten, deadlines.size], [[], 0, 0]);
  });
});

describe('InflightProbe: answers and the send callback', () => {
  it('takes an answer read before the send callback when it runs, with the RTT from the send', () => {
    const { results, probe: newProbe, deadlines } = rig();
    const probe = newProbe();
    probe.start();
    probe.read(SENT_AT + 3n * MS, 'early');
    assert.deepEqual(results, [], 'no RTT before the send time is known');
    probe.onSent(SENT_AT);
    assert.deepEqual(results, ['answer early 0.003']);
    assert.equal(probe.forgotten, 1);
    assert.equal(deadlines.size, 0, 'no timeout left waiting');
  });

  it('keeps the first of two answers read before the send callback', () => {
    const { results, probe: newProbe } = rig();
    const probe = newProbe();
    probe.start();
    probe.read(SENT_AT + MS, 'first');
    probe.read(SENT_AT + 2n * MS, 'second');
    probe.onSent(SENT_AT);
    assert.deepEqual(results, ['answer first 0.001']);
  });

  it('settles an early answer as late when the send was more than the timeout before it', () => {
    const { results, probe: newProbe } = rig();
    const probe = newProbe();
    probe.start();
    probe.read(SENT_AT + 250n * MS, 'early');
    probe.onSent(SENT_AT);
    assert.deepEqual(results, ['late 0.25']);
  });

  it('drops an early answer when the send fails or the probe is cancelled first', () => {
    for (const end of ['send error', 'cancel'] as const) {
      const { results, probe: newProbe } = rig();
      const probe = newProbe();
      probe.start();
      probe.read(SENT_AT + MS, 'early');
      if (end === 'send error') probe.onSendError(new Error('EHOSTUNREACH'));
      else probe.cancel();
      probe.onSent(SENT_AT);
      assert.deepEqual(results, [end === 'send error' ? 'send EHOSTUNREACH' : 'timeout']);
      assert.equal(probe.forgotten, 1);
    }
  });

  it('takes an answer read after the timeout, before the deadline fired, for a late answer; the boundary is in time', () => {
    const { clock, results, probe: newProbe } = rig();
    const late = newProbe();
    late.start();
    late.onSent(SENT_AT);
    clock.stall(10_170); // a stopped process: the deadline has not fired
    late.read(SENT_AT + 10_170n * MS, 'reply');
    const boundary = newProbe();
    boundary.start();
    boundary.onSent(SENT_AT);
    boundary.read(SENT_AT + 100n * MS, 'reply');
    assert.deepEqual(results, ['late 10.17', 'answer reply 0.1']);
  });
});

describe('InflightProbe: a send time that comes twice', () => {
  it('a later second send time (a late kernel stamp) moves the RTT start; the timeout keeps the first', () => {
    const { clock, results, probe: newProbe } = rig();
    const waited = newProbe();
    waited.start();
    waited.onSent(SENT_AT);
    waited.onSent(SENT_AT + 30n * MS); // the packet left after 30 ms of address resolution
    waited.read(SENT_AT + 31n * MS, 'a');
    assert.deepEqual(results, [`answer a ${0.001}`]);

    const earlier = newProbe();
    earlier.start();
    earlier.onSent(SENT_AT);
    earlier.onSent(SENT_AT - MS); // never earlier than the first
    earlier.read(SENT_AT + 2n * MS, 'b');
    assert.deepEqual(results.slice(1), [`answer b ${0.002}`]);

    const timedOut = newProbe();
    timedOut.start();
    timedOut.onSent(SENT_AT);
    clock.advance(TIMEOUT_MS - 10);
    timedOut.onSent(SENT_AT + 50n * MS);
    clock.advance(10);
    assert.deepEqual(results.slice(2), ['timeout'], 'the deadline runs from the first call');
  });
});

describe('InflightProbe: the deadline', () => {
  it('counts the timeout from the send callback, not from start()', () => {
    const { clock, results, probe: newProbe } = rig();
    const probe = newProbe();
    probe.start();
    clock.advance(40); // queued behind a full socket buffer
    probe.onSent(SENT_AT);
    clock.advance(TIMEOUT_MS - 1);
    assert.deepEqual(results, []);
    clock.advance(1);
    assert.deepEqual(results, ['timeout']);
  });

  it('reads the sockets before declaring a timeout: an answer waiting there wins', () => {
    const { clock, results, reads, probe: newProbe } = rig();
    const probe = newProbe();
    probe.start();
    probe.onSent(SENT_AT);
    reads.onRead = () => probe.read(SENT_AT + 60n * MS, 'waiting');
    clock.advance(TIMEOUT_MS);
    assert.equal(reads.count, 1);
    assert.deepEqual(results, ['answer waiting 0.06']);
  });

  it('does not start the timeout of a probe settled before its send callback (cancelled while queued)', () => {
    const { clock, deadlines, results, probe: newProbe } = rig();
    const probe = newProbe();
    probe.start();
    probe.cancel();
    probe.onSent(SENT_AT);
    assert.deepEqual([deadlines.size, clock.pending], [0, 0]);
    assert.deepEqual(results, ['timeout']);
  });

  it('serves every probe of the duration with one timer, which stops keeping the process alive once idle', () => {
    const { clock, deadlines, results, probe: newProbe } = rig();
    const probes = [0, 1, 2].map(() => newProbe());
    for (const [i, probe] of probes.entries()) {
      probe.start();
      probe.onSent(SENT_AT + BigInt(i) * 10n * MS);
      clock.advance(10);
    }
    assert.deepEqual([deadlines.size, clock.pending, clock.referenced], [3, 1, 1]);
    probes[1]!.read(SENT_AT + 15n * MS, 'middle');
    clock.advance(TIMEOUT_MS - 30); // t = 100: the first one's deadline
    assert.deepEqual(results, ['answer middle 0.005', 'timeout']);
    clock.advance(20); // t = 120: the third one's
    assert.deepEqual(results, ['answer middle 0.005', 'timeout', 'timeout']);
    assert.equal(clock.referenced, 0, 'an idle list does not hold the process');
  });
});

describe('InflightSet', () => {
  it('cancels every member once, whatever settled before, and keeps the indices of the rest right', () => {
    const { set, results, probe: newProbe } = rig();
    const probes = [0, 1, 2, 3, 4].map(() => newProbe());
    for (const probe of probes) {
      probe.start();
      probe.onSent(SENT_AT);
    }
    probes[1]!.read(SENT_AT + MS, 'one');
    probes[3]!.onSendError(new Error('ENOBUFS'));
    set.cancelAll();
    set.cancelAll();
    assert.deepEqual(results.slice(0, 2), ['answer one 0.001', 'send ENOBUFS']);
    assert.deepEqual(results.slice(2), ['timeout', 'timeout', 'timeout']);
    assert.deepEqual(
      probes.map((probe) => probe.forgotten),
      [1, 1, 1, 1, 1],
    );
    assert.equal(set.size, 0);
  });
});
