import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../exporter/logging';
import { OVERRUN_REPORT_MS, OverrunReport } from '../../../exporter/scheduler/overrun-report';
import { FakeClock } from '../../support/fake-clock';

describe('OverrunReport', () => {
  it('sums the skipped ticks of a stall of 10,000 jobs into one line per probe and period', async () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const logger = createLogger({
      write: (line) => lines.push(line),
      now: () => new Date(0),
      rateLimit: false,
    });
    const report = new OverrunReport(logger, clock);
    for (let i = 0; i < 10_000; i++) report.add('ping', `t${i} 10.0.0.1`, 1);
    report.add('ping', 't0 10.0.0.1', 2);
    report.add('trace', 'x 10.0.0.2', 1);
    assert.deepEqual(lines, [], 'nothing before the period ends');
    await clock.advance(OVERRUN_REPORT_MS);
    assert.deepEqual(lines, [
      'ts=1970-01-01T00:00:00.000Z level=warn msg="ticks skipped: a probe run outlasted its interval or the process stalled" probe=ping jobs=10000 skipped=10002 example="t0 10.0.0.1"',
      'ts=1970-01-01T00:00:00.000Z level=warn msg="ticks skipped: a probe run outlasted its interval or the process stalled" probe=trace jobs=1 skipped=1 example="x 10.0.0.2"',
    ]);
    await clock.advance(5 * OVERRUN_REPORT_MS);
    assert.equal(lines.length, 2, 'quiet periods log nothing');
    assert.equal(clock.pending, 0, 'and hold no timer');
    report.add('ping', 't1 10.0.0.1', 1);
    report.flush();
    assert.equal(lines.length, 3, 'flush (on stop) logs what was tallied at once');
    assert.equal(clock.pending, 0);
  });
});
