import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startAgent } from '../../../exporter/agent';
import { parseConfig } from '../../../exporter/config';
import { createLogger, silentLogger, type Logger } from '../../../exporter/logging';
import { createPrometheusPipeline } from '../../../exporter/metrics';
import { openRawTransport, SocketRegistry, type RawTransportFactory } from '../../../probes';
import { parseSamples, scrapeText, select } from '../../support/scrape';

// Runs as root (raw sockets) against loopback only.
const targets = 'targets:\n  - name: lo\n    host: 127.0.0.1\n    ping: { interval: 50ms, timeout: 50ms }\n';
const running = parseConfig(targets, 'running.yaml');
// Other buckets: the reload replaces the whole generation, the path whose rollback reopens.
const rebucketed = parseConfig(`histogram_buckets: [0.001, 0.01, 0.1]\n${targets}`, 'next.yaml');

/**
 * An agent running `running` on raw sockets that open while `state.broken` is false, as a bind
 * interface that comes and goes; `sent()` reads the target's ping counter from a scrape.
 */
async function startFlakyAgent(logger: Logger = silentLogger) {
  const state = { broken: false };
  const open: RawTransportFactory = (options) => {
    if (state.broken) throw Object.assign(new Error('ENODEV, No such device'), { code: 'ENODEV' });
    return openRawTransport(options);
  };
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 1_000 });
  const agent = await startAgent({
    config: running,
    meterProvider: pipeline.meterProvider,
    store: pipeline.store,
    logger,
    sockets: new SocketRegistry(open),
  });
  const sentSeries = async () =>
    select(parseSamples(await scrapeText(pipeline)), 'netdiag_ping_sent_total', { target: 'lo' });
  const sent = async () => (await sentSeries())[0]?.value ?? 0;
  const close = async () => {
    await agent.close();
    await pipeline.shutdown();
  };
  return { agent, state, sent, sentSeries, close };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('agent rollback when the running config cannot be reopened', () => {
  it('stays up without a generation, says so with ERR_ROLLBACK_FAILED, retries, and probes again once sockets open', async () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line), rateLimit: false });
    const { agent, state, sent, close } = await startFlakyAgent(logger);
    try {
      assert.ok(await until(async () => (await sent()) > 0, 5_000), 'pings before the reload');

      state.broken = true;
      await assert.rejects(agent.reload(rebucketed), /ENODEV/);
      assert.ok(
        lines.some((line) => line.includes('err_code=ERR_ROLLBACK_FAILED') && line.includes('ENODEV')),
        lines.join('\n'),
      );
      assert.equal(await sent(), 0, 'no generation: no probe series while nothing is probed');

      // A reload while down is applied for real (today: "the agent is closed"), and fails for the
      // same reason while the sockets still cannot open.
      await assert.rejects(agent.reload(rebucketed), /ENODEV/);

      state.broken = false;
      assert.ok(await until(async () => (await sent()) > 0, 8_000), 'the retry reopened the running config');
      assert.ok(
        lines.some((line) => line.includes('the running config was reopened')),
        lines.join('\n'),
      );
      assert.deepEqual(agent.config, running);

      const summary = await agent.reload(rebucketed);
      assert.equal(summary.restartedAll, true);
      assert.deepEqual(agent.config, rebucketed);
    } finally {
      await close();
    }
  });

  it('a reload while down opens the new config at once and stops the retries', async () => {
    const { agent, state, sent, sentSeries, close } = await startFlakyAgent();
    try {
      state.broken = true;
      await assert.rejects(agent.reload(rebucketed), /ENODEV/);
      state.broken = false;
      const summary = await agent.reload(rebucketed);
      assert.equal(summary.restartedAll, true);
      assert.deepEqual(agent.config, rebucketed);
      assert.ok(await until(async () => (await sent()) > 0, 5_000));
      // Past the first retry's delay: a retry that still ran would open a second generation,
      // and every series would be exported twice.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal((await sentSeries()).length, 1);
    } finally {
      await close();
    }
  });
});
