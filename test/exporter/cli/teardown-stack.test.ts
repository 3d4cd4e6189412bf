import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { TeardownStack } from '../../../exporter/cli/teardown-stack';
import { createLogger } from '../../../exporter/logging';

describe('TeardownStack', () => {
  const options = (logs: string[] = []) => ({
    deadlineMs: 5000,
    logger: createLogger({
      level: 'debug',
      format: 'json',
      write: (line) => logs.push(line),
      rateLimit: false,
    }),
  });

  it('undoes in reverse order of opening, each step once, however often it is unwound', async () => {
    const ran: string[] = [];
    const stack = new TeardownStack();
    for (const name of ['loader', 'pipeline', 'server', 'agent']) stack.defer(name, () => ran.push(name));
    const first = stack.unwind(options());
    const second = stack.unwind(options());
    assert.equal(await first, 'done');
    assert.equal(await second, 'done');
    assert.equal(await stack.unwind(options()), 'done');
    assert.deepEqual(ran, ['agent', 'server', 'pipeline', 'loader']);
  });

  it('runs the steps below a failing one, logs it, and reports failed', async () => {
    const ran: string[] = [];
    const logs: string[] = [];
    const stack = new TeardownStack();
    stack.defer('loader', () => ran.push('loader'));
    stack.defer('server', async () => {
      await Promise.resolve();
      throw new Error('close failed');
    });
    stack.defer('agent', () => ran.push('agent'));
    assert.equal(await stack.unwind(options(logs)), 'failed');
    assert.deepEqual(ran, ['agent', 'loader']);
    const records = logs.map((line) => JSON.parse(line) as { msg: string; step: string; code?: string });
    assert.deepEqual(
      records.map((r) => [r.msg, r.step, r.code]),
      [
        ['stopped', 'agent', undefined],
        ['shutdown step failed', 'server', 'ERR_SHUTDOWN_STEP'],
        ['stopped', 'loader', undefined],
      ],
    );
  });

  it('waits for each step before the next (an async close finishes before what it depends on closes)', async () => {
    const events: string[] = [];
    const stack = new TeardownStack();
    stack.defer('pipeline', () => events.push('pipeline'));
    stack.defer('agent', async () => {
      events.push('agent: begin');
      await new Promise((resolve) => setTimeout(resolve, 20));
      events.push('agent: end');
    });
    await stack.unwind(options());
    assert.deepEqual(events, ['agent: begin', 'agent: end', 'pipeline']);
  });
});
