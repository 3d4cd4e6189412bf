import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hopLine } from '../../../exporter/cli/trace-command';
import type { TraceHop } from '../../../probes';

const hop = (over: Partial<TraceHop>): TraceHop => ({
  ttl: 3,
  responders: [],
  sent: 6,
  received: 0,
  sendFailures: 0,
  late: 0,
  loss: 1,
  ...over,
});

describe('trace CLI hop line', () => {
  it('lists responders with their mean RTT and answers, then the loss', () => {
    const line = hopLine(
      hop({
        responders: [
          { address: '10.0.3.2', kind: 'hop', rtts: [0.0004, 0.0006], flows: [0] },
          { address: '10.0.4.2', kind: 'unreachable', rtts: [0.001], flows: [1], icmp: { type: 3, code: 1 } },
        ],
        received: 3,
        loss: 0.5,
      }),
    );
    assert.equal(line, ' 3  10.0.3.2  0.500 ms (2)  10.0.4.2  1.000 ms (1) !H  loss 50%');
  });

  it('says how many probes the kernel refused, and how many were answered too late', () => {
    assert.equal(hopLine(hop({ sendFailures: 4 })), ' 3  *  loss 100% (4 not sent)');
    assert.equal(hopLine(hop({ late: 2 })), ' 3  *  loss 100% (2 answered after the timeout)');
  });
});
