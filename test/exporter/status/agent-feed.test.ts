import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startAgent } from '../../../exporter/agent';
import { parseConfig, type Config } from '../../../exporter/config';
import { createPrometheusPipeline } from '../../../exporter/metrics';
import { StatusStore } from '../../../exporter/status';
import { summarise } from '../../../exporter/status/target-summary';

// Runs as root (raw sockets) against loopback only; the one name is resolved by an injected lookup.
const config = (targets: string): Config => parseConfig(`targets:\n${targets}`, 'status.yaml');
const ping = (name: string, host: string) =>
  `  - name: ${name}\n    host: "${host}"\n    labels: { site: here }\n    ping: { interval: 50ms, timeout: 50ms }\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the agent feeding the status store', () => {
  it('hands it every ping result, the names that do not resolve, and the targets of each reload', async () => {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
    const store = new StatusStore();
    const agent = await startAgent({
      config: config(ping('kept', '127.0.0.1') + ping('gone', '::1') + ping('unnamed', 'nosuch.example')),
      meterProvider: pipeline.meterProvider,
      store: pipeline.store,
      status: store,
      lookup: async (host) => {
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      },
    });
    try {
      await sleep(500);
      const kept = store.get('kept')!;
      assert.deepEqual(kept.labels, { site: 'here' });
      const sent = summarise(kept, store.now()).ping!.sent;
      assert.ok(sent >= 5, `kept: ${sent} results`);
      assert.equal(summarise(kept, store.now()).state, 'up');
      assert.deepEqual([...kept.addresses], ['127.0.0.1']);
      const unnamed = summarise(store.get('unnamed')!, store.now());
      assert.equal(unnamed.state, 'down');
      assert.equal(unnamed.lastError?.reason, 'resolve');
      assert.match(unnamed.lastError!.message, /ENOTFOUND nosuch\.example/);

      await agent.reload(config(ping('kept', '127.0.0.1') + ping('added', '127.0.0.2')));
      assert.equal(store.get('gone'), undefined, 'a removed target is forgotten');
      assert.equal(store.get('unnamed'), undefined);
      await sleep(300);
      const after = summarise(store.get('kept')!, store.now()).ping!.sent;
      assert.ok(after > sent, `kept keeps its history across the reload: ${sent} then ${after}`);
      assert.ok(summarise(store.get('added')!, store.now()).ping!.sent >= 2);
    } finally {
      await agent.close();
      await pipeline.shutdown();
    }
  });
});
