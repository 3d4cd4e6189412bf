import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startAgent } from '../../../exporter/agent';
import { parseConfig } from '../../../exporter/config';
import { createLogger } from '../../../exporter/logging';
import { createPrometheusPipeline } from '../../../exporter/metrics';
import { openRawTransport, SocketRegistry, type RawTransportFactory } from '../../../probes';
import { parseSamples, scrapeText, select } from '../../support/scrape';

// Runs as root (raw sockets) against loopback only.
const targets = 'targets:\n  - name: lo\n    host: 127.0.0.1\n    ping: { interval: 50ms, timeout: 50ms }\n';
const running = parseConfig(targets, 'running.yaml');
// Other buckets: the reload replaces the whole generation, the path whose rollback reopens.
const rebucketed = parseConfig(`histogram_buckets: [0.001, 0.01, 0.1]\n${targets}`, 'next.yaml');

/** Raw sockets that open while `broken` is false, as a bind interface that comes and goes. */
function flakySockets(): { sockets: SocketRegistry; state: { broken: boolean } } {
  const state = { broken: false };
  const open: RawTransportFactory = (options) => {
    if (state.broken) throw Object.assign(new Error('ENODEV, No such device'), { code: 'ENODEV' });
    return openRawTransport(options);
  };
  return { sockets: new SocketRegistry(open), state };
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
    const { sockets, state } = flakySockets();
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line), rateLimit: false });
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 1_000 });
    const agent = await startAgent({
      config: running,
      meterProvider: pipeline.meterProvider,
      store: pipeline.store,
      logger,
      sockets,
    });
    const sent = async () => {
      const samples = parseSamples(await scrapeText(pipeline));
      return select(samples, 'netdiag_ping_sent_total', { target: 'lo' })[0]?.value ?? 0;
    };
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
      await agent.close();
      await pipeline.shutdown();
    }
  });

  it('a reload while down opens the new config at once and stops the retries', async () => {
    const { sockets, state } = flakySockets();
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 1_000 });
    const agent = await startAgent({
      config: running,
      meterProvider: pipeline.meterProvider,
      store: pipeline.store,
      sockets,
    });
    try {
      state.broken = true;
      await assert.rejects(agent.reload(rebucketed), /ENODEV/);
      state.broken = false;
      const summary = await agent.reload(rebucketed);
      assert.equal(summary.restartedAll, true);
      assert.deepEqual(agent.config, rebucketed);
      const samples = () => scrapeText(pipeline).then(parseSamples);
      assert.ok(
        await until(
          async () =>
            (select(await samples(), 'netdiag_ping_sent_total', { target: 'lo' })[0]?.value ?? 0) > 0,
          5_000,
        ),
      );
      // Past the first retry's delay: a retry that still ran would open a second generation,
      // and every series would be exported twice.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal(select(await samples(), 'netdiag_ping_sent_total', { target: 'lo' }).length, 1);
    } finally {
      await agent.close();
      await pipeline.shutdown();
    }
  });
});
