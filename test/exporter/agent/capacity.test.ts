import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SocketRegistry } from '../../../probes';
import { startAgent } from '../../../exporter/agent';
import { ICMP_IDENTIFIERS_PER_FAMILY } from '../../../exporter/agent/capacity';
import { parseConfig, type Config } from '../../../exporter/config';
import { ExporterError } from '../../../exporter/errors';
import { createPrometheusPipeline } from '../../../exporter/metrics';
import { parseSamples, scrapeText, select } from '../../support/scrape';

// Runs as root (raw sockets) against loopback only.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const targets = (from: number, count: number): string =>
  Array.from(
    { length: count },
    (_, i) =>
      `  - name: t${from + i}\n    host: 127.0.0.${from + i}\n    ping: { interval: 50ms, timeout: 50ms }\n`,
  ).join('');
const config = (text: string): Config => parseConfig(`targets:\n${text}`, 'capacity.yaml');

/** A registry whose IPv4 identifier pool has only `free` identifiers left (the others held here). */
function registryWithFree(free: number): SocketRegistry {
  const registry = new SocketRegistry();
  for (let i = 0; i < ICMP_IDENTIFIERS_PER_FAMILY - free; i++) registry.identifiers[4].allocate();
  return registry;
}

describe('agent capacity: a generation applies whole or not at all', () => {
  it('a reload needing more ICMP identifiers than free is refused; every running target keeps probing, metrics unchanged', async () => {
    const sockets = registryWithFree(8);
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
    const running = config(targets(1, 3));
    const agent = await startAgent({
      config: running,
      meterProvider: pipeline.meterProvider,
      store: pipeline.store,
      sockets,
    });
    try {
      await sleep(300);
      const before = parseSamples(await scrapeText(pipeline));
      const sentBefore = [1, 2, 3].map(
        (n) => select(before, 'netdiag_ping_sent_total', { target: `t${n}` })[0]?.value ?? 0,
      );
      assert.ok(
        sentBefore.every((sent) => sent >= 3),
        `sent ${sentBefore.join()}`,
      );
      assert.equal(sockets.identifiers[4].size, ICMP_IDENTIFIERS_PER_FAMILY - 5);

      // 3 kept + 17 added: 20 identifiers, 8 available (5 free + the 3 the running targets hold).
      const error = await agent.reload(config(targets(1, 20))).then(
        () => assert.fail('the reload was applied'),
        (error: unknown) => error,
      );
      assert.ok(error instanceof ExporterError);
      assert.equal(error.code, 'ERR_CAPACITY');
      assert.match(
        error.message,
        /^capacity\.yaml: targets\[8\] \("t9"\): the config needs 20 ICMP identifiers for IPv4 .*more than the 8 available/,
      );

      assert.equal(agent.config, running, 'the running config stays');
      assert.equal(sockets.identifiers[4].size, ICMP_IDENTIFIERS_PER_FAMILY - 5, 'no identifier taken');
      await sleep(300);
      const after = parseSamples(await scrapeText(pipeline));
      const names = new Set(after.map((s) => s.labels.target).filter((t) => t !== undefined));
      assert.deepEqual([...names].sort(), ['t1', 't2', 't3'], 'only the running targets have series');
      for (const [i, n] of [1, 2, 3].entries()) {
        const sent = select(after, 'netdiag_ping_sent_total', { target: `t${n}` })[0]?.value ?? 0;
        assert.ok(sent > sentBefore[i]!, `t${n} kept probing: ${sentBefore[i]} -> ${sent}`);
      }
      assert.equal(select(after, 'netdiag_targets', { probe: 'ping' })[0]?.value, 3);

      // What fits is applied: 8 targets need the 8 available.
      const summary = await agent.reload(config(targets(1, 8)));
      assert.equal(summary.added.length, 5);
      assert.equal(sockets.identifiers[4].size, ICMP_IDENTIFIERS_PER_FAMILY);
    } finally {
      await agent.close();
      await pipeline.shutdown();
    }
  });

  it('a start needing more than free fails before any socket opens or target starts', async () => {
    const sockets = registryWithFree(2);
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
    try {
      await assert.rejects(
        startAgent({
          config: config(targets(1, 3)),
          meterProvider: pipeline.meterProvider,
          store: pipeline.store,
          sockets,
        }),
        (error: unknown) => error instanceof ExporterError && error.code === 'ERR_CAPACITY',
      );
      assert.equal(sockets.icmpSockets().length, 0, 'no raw socket left open');
      assert.equal(sockets.identifiers[4].size, ICMP_IDENTIFIERS_PER_FAMILY - 2);
    } finally {
      await pipeline.shutdown();
    }
  });
});
