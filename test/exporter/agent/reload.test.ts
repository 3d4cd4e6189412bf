import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigReloader, startAgent, type Agent } from '../../../exporter/agent';
import { parseConfig, type Config } from '../../../exporter/config';
import { silentLogger } from '../../../exporter/logging';
import { createPrometheusPipeline, type PrometheusPipeline } from '../../../exporter/metrics';
import { parseSamples, scrapeText, select, type Sample } from '../../support/scrape';

// Runs as root (raw sockets) against loopback only.
const config = (targets: string, extra = ''): Config =>
  parseConfig(`${extra}targets:\n${targets}`, 'reload.yaml');
const target = (name: string, host: string, interval = '50ms') =>
  `  - name: ${name}\n    host: "${host}"\n    ping: { interval: ${interval}, timeout: 50ms }\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withAgent(
  first: Config,
  body: (agent: Agent, scrape: () => Promise<Sample[]>) => Promise<void>,
) {
  const pipeline: PrometheusPipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
  const agent = await startAgent({
    config: first,
    meterProvider: pipeline.meterProvider,
    store: pipeline.store,
  });
  try {
    await body(agent, async () => parseSamples(await scrapeText(pipeline)));
  } finally {
    await agent.close();
    await pipeline.shutdown();
  }
}

const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
  select(samples, name, labels)[0]?.value;

describe('agent reload', () => {
  it('keeps unchanged targets counting, drops every series of removed ones, starts added ones', async () => {
    await withAgent(config(target('kept', '127.0.0.1') + target('gone', '::1')), async (agent, scrape) => {
      await sleep(400);
      const before = await scrape();
      const keptSent = value(before, 'netdiag_ping_sent_total', { target: 'kept' })!;
      assert.ok(keptSent >= 5, `kept sent ${keptSent}`);
      assert.ok(value(before, 'netdiag_ping_rtt_seconds_count', { target: 'gone' })! >= 5);

      const summary = await agent.reload(config(target('kept', '127.0.0.1') + target('added', '127.0.0.2')));
      assert.deepEqual(summary, {
        added: ['added'],
        removed: ['gone'],
        changed: [],
        unchanged: 1,
        restartedAll: false,
      });
      await sleep(300);
      const after = await scrape();
      assert.ok(
        value(after, 'netdiag_ping_sent_total', { target: 'kept' })! > keptSent,
        'kept target kept counting',
      );
      assert.equal(
        after.filter((s) => s.labels.target === 'gone').length,
        0,
        'no series of the removed target',
      );
      assert.ok(value(after, 'netdiag_ping_received_total', { target: 'added' })! >= 3);
      assert.equal(value(after, 'netdiag_targets', { probe: 'ping' }), 2);
      assert.equal(value(after, 'netdiag_config_last_reload_successful', {}), 1);
      assert.equal(agent.config.targets.map((t) => t.name).join(), 'kept,added');
    });
  });

  it('keeps every target running when only the cardinality limit changes (its default follows the target count)', async () => {
    await withAgent(config(target('t', '127.0.0.1'), 'cardinality_limit: 3000\n'), async (agent, scrape) => {
      await sleep(300);
      const sent = value(await scrape(), 'netdiag_ping_sent_total', { target: 't' })!;
      const summary = await agent.reload(config(target('t', '127.0.0.1'), 'cardinality_limit: 4000\n'));
      assert.equal(summary.restartedAll, false);
      assert.ok(value(await scrape(), 'netdiag_ping_sent_total', { target: 't' })! >= sent, 'not restarted');
    });
  });

  it('restarts a changed target: its series start over under the new settings', async () => {
    await withAgent(config(target('t', '127.0.0.1')), async (agent, scrape) => {
      await sleep(300);
      const sent = value(await scrape(), 'netdiag_ping_sent_total', { target: 't' })!;
      const summary = await agent.reload(config(target('t', '127.0.0.1', '1s')));
      assert.deepEqual(summary.changed, ['t']);
      await sleep(100);
      assert.ok(value(await scrape(), 'netdiag_ping_sent_total', { target: 't' })! < sent);
    });
  });

  it('rebuilds everything when the histogram buckets change, without ever exporting a metric twice', async () => {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 100 });
    const agent = await startAgent({
      config: config(target('t', '127.0.0.1')),
      meterProvider: pipeline.meterProvider,
      store: pipeline.store,
    });
    await sleep(200);
    const summary = await agent.reload(config(target('t', '127.0.0.1'), 'histogram_buckets: [0.5, 1]\n'));
    assert.equal(summary.restartedAll, true);
    await sleep(200);
    const text = await scrapeText(pipeline);
    assert.equal(text.match(/^# TYPE netdiag_ping_rtt_seconds histogram$/gm)?.length, 1);
    const les = select(parseSamples(text), 'netdiag_ping_rtt_seconds_bucket', { target: 't' }).map(
      (s) => s.labels.le,
    );
    assert.deepEqual(les, ['0.5', '1', '+Inf']);
    await agent.close();
    await pipeline.shutdown();
  });
});

describe('ConfigReloader', () => {
  function setup() {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-reload-'));
    const file = path.join(dir, 'config.yaml');
    return { dir, file };
  }

  it('rejects a bad file with every error located, keeps the running config and reports it in metrics', async () => {
    const { dir, file } = setup();
    const good = `targets:\n${target('a', '127.0.0.1', '1s')}`;
    writeFileSync(file, good);
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 100 });
    const agent = await startAgent({
      config: parseConfig(good, file),
      meterProvider: pipeline.meterProvider,
      store: pipeline.store,
    });
    const reloader = new ConfigReloader({ file, agent, logger: silentLogger });
    try {
      const loadedAt = value(
        parseSamples(await scrapeText(pipeline)),
        'netdiag_config_last_reload_success_timestamp_seconds',
        {},
      )!;
      writeFileSync(
        file,
        'targets:\n  - name: a\n    host: 127.0.0.1\n    ping: { interval: -1s }\n    colour: red\n',
      );
      const outcome = await reloader.reload('signal');
      assert.equal(outcome.ok, false);
      const lines = outcome.message.split('\n');
      assert.equal(lines.length, 2, outcome.message);
      for (const line of lines)
        assert.match(line, new RegExp(`^${file.replace(/[/.]/g, '\\$&')}:\\d+:\\d+: targets\\[0\\]\\.`));
      assert.equal(agent.config.targets[0]?.ping?.interval, 1, 'running config kept');
      const samples = parseSamples(await scrapeText(pipeline));
      assert.equal(value(samples, 'netdiag_config_last_reload_successful', {}), 0);
      assert.equal(value(samples, 'netdiag_config_last_reload_success_timestamp_seconds', {}), loadedAt);

      writeFileSync(file, `targets:\n${target('b', '127.0.0.1', '1s')}`);
      assert.equal((await reloader.reload('http')).ok, true);
      assert.equal(agent.config.targets[0]?.name, 'b');
      assert.equal(
        value(parseSamples(await scrapeText(pipeline)), 'netdiag_config_last_reload_successful', {}),
        1,
      );
    } finally {
      reloader.close();
      await agent.close();
      await pipeline.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('folds a storm of requests into at most two loads, all answered', async () => {
    const { dir, file } = setup();
    let loads = 0;
    const running = parseConfig(`targets:\n${target('a', '127.0.0.1', '1s')}`, file);
    const fakeAgent: Agent = {
      config: running,
      reload: async () => ({ added: [], removed: [], changed: [], unchanged: 1, restartedAll: false }),
      reloadFailed: () => undefined,
      close: async () => undefined,
    };
    const reloader = new ConfigReloader({
      file,
      agent: fakeAgent,
      logger: silentLogger,
      load: async () => {
        loads++;
        await sleep(50);
        return running;
      },
    });
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => reloader.reload('signal')));
    assert.ok(outcomes.every((o) => o.ok));
    assert.equal(loads, 2);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads when the watched file changes content, not when it is only touched', async () => {
    const { dir, file } = setup();
    writeFileSync(file, `targets:\n${target('a', '127.0.0.1', '1s')}`);
    const seen: string[] = [];
    const fakeAgent: Agent = {
      config: parseConfig(`targets:\n${target('a', '127.0.0.1', '1s')}`, file),
      reload: async (next) => {
        seen.push(next.targets.map((t) => t.name).join());
        return { added: [], removed: [], changed: [], unchanged: 1, restartedAll: false };
      },
      reloadFailed: () => undefined,
      close: async () => undefined,
    };
    const reloader = new ConfigReloader({ file, agent: fakeAgent, logger: silentLogger });
    reloader.watch(50);
    await sleep(200);
    writeFileSync(file, `targets:\n${target('a', '127.0.0.1', '1s')}`);
    await sleep(300);
    assert.deepEqual(seen, [], 'same bytes: no reload');
    writeFileSync(file, `targets:\n${target('z', '127.0.0.1', '1s')}`);
    for (let i = 0; i < 40 && seen.length === 0; i++) await sleep(50);
    assert.deepEqual(seen, ['z']);
    reloader.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
