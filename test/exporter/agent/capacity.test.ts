import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SocketRegistry } from '../../../probes';
import { startAgent } from '../../../exporter/agent';
import { checkIdentifierCapacity, ICMP_IDENTIFIERS_PER_FAMILY } from '../../../exporter/agent/capacity';
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
    // One free identifier: the running targets' pings take it (one identifier serves them all).
    const sockets = registryWithFree(1);
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
      assert.equal(sockets.identifiers[4].size, ICMP_IDENTIFIERS_PER_FAMILY, 'one identifier for 3 targets');

      // 20 pinged targets still share one identifier; an ICMP trace of 2 flows needs 2 more, and
      // only the one the running pings hold is available.
      const traced = `${targets(1, 20)}  - name: traced\n    host: 127.0.0.99\n    trace: { protocol: icmp, flows: 2 }\n`;
      const error = await agent.reload(config(traced)).then(
        () => assert.fail('the reload was applied'),
        (error: unknown) => error,
      );
      assert.ok(error instanceof ExporterError);
      assert.equal(error.code, 'ERR_CAPACITY');
      assert.match(
        error.message,
        /^capacity\.yaml: targets\[20\] \("traced"\): the config needs 3 ICMP identifiers for IPv4 .*more than the 1 available/,
      );

      assert.equal(agent.config, running, 'the running config stays');
      assert.equal(sockets.identifiers[4].size, ICMP_IDENTIFIERS_PER_FAMILY, 'no identifier taken');
      await sleep(300);
      const after = parseSamples(await scrapeText(pipeline));
      const names = new Set(after.map((s) => s.labels.target).filter((t) => t !== undefined));
      assert.deepEqual([...names].sort(), ['t1', 't2', 't3'], 'only the running targets have series');
      for (const [i, n] of [1, 2, 3].entries()) {
        const sent = select(after, 'netdiag_ping_sent_total', { target: `t${n}` })[0]?.value ?? 0;
        assert.ok(sent > sentBefore[i]!, `t${n} kept probing: ${sentBefore[i]} -> ${sent}`);
      }
      assert.equal(select(after, 'netdiag_targets', { probe: 'ping' })[0]?.value, 3);

      // What fits is applied: 20 pinged targets on the identifier the running ones hold.
      const summary = await agent.reload(config(targets(1, 20)));
      assert.equal(summary.added.length, 17);
      await sleep(300);
      const applied = parseSamples(await scrapeText(pipeline));
      assert.ok((select(applied, 'netdiag_ping_sent_total', { target: 't20' })[0]?.value ?? 0) >= 3);
      assert.equal(sockets.identifiers[4].size, ICMP_IDENTIFIERS_PER_FAMILY);
    } finally {
      await agent.close();
      await pipeline.shutdown();
    }
  });

  it('a start needing more than free fails before any socket opens or target starts', async () => {
    const sockets = registryWithFree(0);
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
      assert.equal(sockets.identifiers[4].size, ICMP_IDENTIFIERS_PER_FAMILY);
    } finally {
      await pipeline.shutdown();
    }
  });

  describe('checkIdentifierCapacity: pings share identifiers, ICMP trace flows take theirs whole', () => {
    const many = (count: number, ping: string): Config =>
      config(
        Array.from(
          { length: count },
          (_, i) =>
            `  - name: p${i}\n    host: 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}\n    ping: ${ping}\n`,
        ).join(''),
      );
    const refusal = (run: () => void): string => {
      try {
        run();
      } catch (error) {
        assert.ok(error instanceof ExporterError && error.code === 'ERR_CAPACITY', String(error));
        return error.message;
      }
      return assert.fail('accepted');
    };

    it('10,000 targets pinged every second with a 1 s timeout need one identifier per family', () => {
      const targets10k = many(10_000, '{ interval: 1s, timeout: 1s }');
      checkIdentifierCapacity(targets10k, { 4: 1, 6: 1 });
      assert.match(
        refusal(() => checkIdentifierCapacity(targets10k, { 4: 0, 6: 1 })),
        /targets\[0\] \("p0"\): the config needs 1 ICMP identifiers for IPv4 .* more than the 0 available/,
      );
    });

    it('counts ⌈timeout / interval⌉ requests in flight per target: 32,768 fit one identifier, the next needs two', () => {
      // 100 in flight each: 327 targets are 32,700, the 328th passes 32,768.
      const overlapping = many(400, '{ interval: 10ms, timeout: 1s }');
      checkIdentifierCapacity(overlapping, { 4: 2, 6: 0 });
      assert.match(
        refusal(() => checkIdentifierCapacity(overlapping, { 4: 1, 6: 0 })),
        /targets\[327\] \("p327"\): the config needs 2 ICMP identifiers for IPv4/,
      );
    });

    it('what the running targets give back may be fractional: its ceiling is available', () => {
      // The running pings hold one identifier for a share of 3/32768; the new config needs that one.
      checkIdentifierCapacity(many(20, '{ interval: 1s, timeout: 1s }'), { 4: 3 / 32_768, 6: 0 });
    });
  });
});
