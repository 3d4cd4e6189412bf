import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../exporter/logging';
import { runShutdown } from '../../../exporter/cli/shutdown';

describe('runShutdown', () => {
  const setup = () => {
    const logs: string[] = [];
    let fire = (): void => {};
    let cancelled = false;
    const options = {
      deadlineMs: 5000,
      logger: createLogger({ level: 'debug', write: (line) => logs.push(line), rateLimit: false }),
      schedule: (callback: () => void) => {
        fire = callback;
        return () => (cancelled = true);
      },
    };
    return { logs, options, fire: () => fire(), cancelled: () => cancelled };
  };

  it('runs every step in order and cancels the deadline', async () => {
    const { options, cancelled } = setup();
    const ran: string[] = [];
    const step = (name: string) => ({ name, run: async () => void ran.push(name) });
    assert.equal(await runShutdown([step('a'), step('b')], options), 'done');
    assert.deepEqual(ran, ['a', 'b']);
    assert.ok(cancelled());
  });

  it('gives up at the deadline on a step that never ends, naming it', async () => {
    const { logs, options, fire } = setup();
    const ran: string[] = [];
    const outcome = runShutdown(
      [
        { name: 'HTTP server', run: () => new Promise(() => {}) },
        { name: 'agent', run: async () => void ran.push('agent') },
      ],
      options,
    );
    await new Promise((resolve) => setImmediate(resolve));
    fire();
    assert.equal(await outcome, 'timeout');
    assert.deepEqual(ran, []);
    assert.match(logs.join('\n'), /code=ERR_SHUTDOWN_TIMEOUT step="HTTP server" deadline_ms=5000/);
  });

  it('logs a step that fails and still runs the next ones', async () => {
    const { logs, options } = setup();
    const ran: string[] = [];
    const outcome = await runShutdown(
      [
        { name: 'config loader', run: async () => Promise.reject(new Error('worker gone')) },
        { name: 'agent', run: async () => void ran.push('agent') },
      ],
      options,
    );
    assert.equal(outcome, 'failed');
    assert.deepEqual(ran, ['agent']);
    assert.match(logs.join('\n'), /code=ERR_SHUTDOWN_STEP step="config loader".*worker gone/);
  });
});
