import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { startAgent, type Agent } from '../../../exporter/agent';
import { parseConfig, type Config } from '../../../exporter/config';
import { createPrometheusPipeline } from '../../../exporter/metrics';
import { SocketRegistry } from '../../../probes';
import { fakeFactory } from '../../support/fake-transport';
import { parseSamples, scrapeText, select, type Sample } from '../../support/scrape';

// No network: the raw sockets are in-memory fakes that never answer, so every ping stays in flight
// for its whole 1 s timeout (a reload always meets probes in flight).

/** Targets t0..t(count-1) on 192.0.2.x; `moved` names a target given another host. */
function config(count: number, { skip = new Set<number>(), moved = -1 } = {}): Config {
  const lines = ['defaults:', '  ping: { interval: 100ms, timeout: 100ms }', 'targets:'];
  for (let i = 0; i < count; i++) {
    if (skip.has(i)) continue;
    const host = i === moved ? '198.51.100.1' : `192.0.2.${i % 250}`;
    lines.push(`  - { name: t${i}, host: ${host}, ping: {}, labels: { rack: r${i % 9} } }`);
  }
  return parseConfig(`${lines.join('\n')}\n`, 'batched.yaml');
}

async function withAgent(
  first: Config,
  body: (agent: Agent, scrape: () => Promise<Sample[]>) => Promise<void>,
) {
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 100_000 });
  const agent = await startAgent({
    config: first,
    meterProvider: pipeline.meterProvider,
    store: pipeline.store,
    sockets: new SocketRegistry(fakeFactory()),
    lookup: () => Promise.reject(new Error('no name lookups here')),
  });
  try {
    await body(agent, async () => parseSamples(await scrapeText(pipeline)));
  } finally {
    await agent.close();
    await pipeline.shutdown();
  }
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

const sent = (samples: Sample[], target: string): number | undefined =>
  select(samples, 'netdiag_ping_sent_total', { target })[0]?.value;

describe('agent reload in batches (3,000 targets, fake sockets)', () => {
  it('reports what diffConfig reports, keeps unchanged targets counting, and yields while it applies', async () => {
    const removed = new Set(Array.from({ length: 400 }, (_, i) => 1000 + i));
    await withAgent(config(3000), async (agent, scrape) => {
      const before = await until(async () => {
        const samples = await scrape();
        return (sent(samples, 't5') ?? 0) >= 3 ? samples : undefined;
      });

      let turns = 0;
      let applying = true;
      const count = (): void => {
        turns++;
        if (applying) setImmediate(count);
      };
      setImmediate(count);
      const summary = await agent.reload(config(3000, { skip: removed, moved: 7 }));
      applying = false;
      assert.equal(summary.removed.length, 400);
      assert.deepEqual(summary.changed, ['t7']);
      assert.deepEqual(summary.added, []);
      assert.equal(summary.unchanged, 2599);
      assert.equal(summary.restartedAll, false);
      // A turn before each of 3 diff batches, and between 3 batches of stops.
      assert.ok(turns >= 5, `the event loop turned ${turns} times during the reload`);

      await sleep(250);
      const after = await scrape();
      assert.ok(sent(after, 't5')! > sent(before, 't5')!, 'an unchanged target kept its counter');
      assert.deepEqual(
        select(after, 'netdiag_ping_sent_total', { target: 't7' }).map((s) => s.labels.address),
        ['198.51.100.1'],
        'the changed target probes its new host only',
      );
      for (const name of ['t1000', 't1200', 't1399'])
        assert.equal(after.filter((s) => s.labels.target === name).length, 0, `no series of ${name}`);
      assert.equal(new Set(select(after, 'netdiag_ping_sent_total').map((s) => s.labels.target)).size, 2600);
    });
  });

  it('leaves no series of a removed target whose probe was in flight when it stopped', async () => {
    await withAgent(config(2), async (agent, scrape) => {
      await until(async () =>
        // Past the zeros every target starts with: a probe of t1 has failed, so its probes are in flight.
        select(await scrape(), 'netdiag_probe_errors_total', { target: 't1' }).some((s) => s.value > 0)
          ? true
          : undefined,
      );
      await agent.reload(config(2, { skip: new Set([1]) }));
      assert.deepEqual(
        (await scrape()).filter((s) => s.labels.target === 't1'),
        [],
        'not even the error of the probe the stop settled',
      );
    });
  });
});
