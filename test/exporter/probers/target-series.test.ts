import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { startAgent, type Agent } from '../../../exporter/agent';
import { parseConfig, type Config } from '../../../exporter/config';
import { createPrometheusPipeline } from '../../../exporter/metrics';
import type { LookupAll } from '../../../exporter/resolver';
import { SocketRegistry } from '../../../probes';
import { fakeFactory, type FakeTransport } from '../../support/fake-transport';
import { echoReplyV4 } from '../../support/packets';
import { parseSamples, scrapeText, select, type Sample } from '../../support/scrape';

// In-memory raw sockets: the ICMP socket answers every echo request to ANSWERING and nothing else;
// TCP never answers. `nameless` is a name the injected resolver refuses.
const ANSWERING = '192.0.2.1';

function config(withDown = true): Config {
  const lines = [
    'defaults:',
    '  ping: { interval: 200ms, timeout: 150ms, window: 10s }',
    '  knock: { interval: 200ms, timeout: 150ms, window: 10s }',
    'targets:',
    `  - { name: answering, host: ${ANSWERING}, ping: {}, labels: { site: ams } }`,
    ...(withDown ? ['  - { name: silent, host: 192.0.2.2, ping: {}, knock: [{ port: 22 }] }'] : []),
    '  - { name: nameless, host: nameless.invalid, ping: {}, knock: [{ port: 22 }] }',
  ];
  return parseConfig(`${lines.join('\n')}\n`, 'target-series.yaml');
}

/** Echo replies for the requests to ANSWERING, read from the ICMP message the pinger sent. */
function answerPings(transport: FakeTransport): void {
  transport.onSend = ({ packet, destination }) => {
    if (destination !== ANSWERING) return;
    // Type, code, checksum, identifier, sequence, payload (RFC 792), after the IP header if sent with one.
    const at = transport.headerIncluded ? 20 : 0;
    const identifier = packet.readUInt16BE(at + 4);
    const sequence = packet.readUInt16BE(at + 6);
    const reply = echoReplyV4(ANSWERING, '10.0.0.1', identifier, sequence, packet.subarray(at + 8));
    setImmediate(() => transport.receive(reply, ANSWERING));
  };
}

const refuse: LookupAll = () =>
  Promise.reject(Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' }));

async function withAgent(
  body: (agent: Agent, scrape: () => Promise<Sample[]>) => Promise<void>,
  lookup: LookupAll = refuse,
) {
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
  const factory = fakeFactory();
  const sockets = new SocketRegistry((options) => {
    const transport = factory(options) as FakeTransport;
    if (options.protocol === 1) answerPings(transport); // ICMP
    return transport;
  });
  const agent = await startAgent({
    config: config(),
    meterProvider: pipeline.meterProvider,
    store: pipeline.store,
    sockets,
    lookup,
  });
  try {
    await body(agent, async () => parseSamples(await scrapeText(pipeline)));
  } finally {
    await agent.close();
    await pipeline.shutdown();
  }
}

async function until(condition: (samples: Sample[]) => boolean, scrape: () => Promise<Sample[]>) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const samples = await scrape();
    if (condition(samples)) return samples;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

const errors = (samples: Sample[], target: string, probe: string): Record<string, number> =>
  Object.fromEntries(
    select(samples, 'netdiag_probe_errors_total', { target, probe }).map((s) => [s.labels.reason, s.value]),
  );
const up = (samples: Sample[], target: string): number | undefined =>
  select(samples, 'netdiag_target_up', { target })[0]?.value;

describe('per-target series from the first collection', () => {
  it('exports every error reason of each enabled probe at 0 before the first probe ends', async () => {
    await withAgent(async (_agent, scrape) => {
      const first = await scrape();
      const zeros = { timeout: 0, unreachable: 0, send: 0, resolve: 0, start: 0 };
      assert.deepEqual(errors(first, 'answering', 'ping'), zeros);
      assert.deepEqual(errors(first, 'silent', 'ping'), zeros);
      assert.deepEqual(errors(first, 'silent', 'knock'), zeros);
      assert.deepEqual(
        errors(first, 'answering', 'knock'),
        {},
        'no series of a probe the target does not run',
      );
      assert.deepEqual(errors(first, 'answering', 'trace'), {});
    });
  });

  it('exports them while a name is still resolving (a resolver that never answers)', async () => {
    await withAgent(
      async (_agent, scrape) => {
        const zeros = { timeout: 0, unreachable: 0, send: 0, resolve: 0, start: 0 };
        const first = await scrape();
        assert.deepEqual(errors(first, 'nameless', 'ping'), zeros);
        assert.deepEqual(errors(first, 'nameless', 'knock'), zeros);
      },
      () => new Promise(() => undefined),
    );
  });

  it('says which targets answered: 1 for an answered window, 0 for a lost one and for a name that does not resolve', async () => {
    await withAgent(async (_agent, scrape) => {
      const samples = await until(
        (s) =>
          (select(s, 'netdiag_ping_received_total', { target: 'answering' })[0]?.value ?? 0) >= 1 &&
          (errors(s, 'silent', 'knock').timeout ?? 0) >= 1 &&
          (errors(s, 'silent', 'ping').timeout ?? 0) >= 1 &&
          (errors(s, 'nameless', 'ping').resolve ?? 0) >= 1,
        scrape,
      );
      assert.deepEqual(select(samples, 'netdiag_target_up', { target: 'answering' })[0]?.labels, {
        site: 'ams',
        target: 'answering',
      });
      assert.equal(up(samples, 'answering'), 1);
      assert.equal(up(samples, 'silent'), 0);
      assert.equal(up(samples, 'nameless'), 0);
      assert.equal(select(samples, 'netdiag_target_addresses', { target: 'nameless' })[0]?.value, 0);
      // The name never resolved: no probe opened, yet every reason of both its probes is there.
      assert.deepEqual(Object.keys(errors(samples, 'nameless', 'ping')).sort(), [
        'resolve',
        'send',
        'start',
        'timeout',
        'unreachable',
      ]);
      assert.equal(errors(samples, 'nameless', 'knock').timeout, 0);
      assert.equal(errors(samples, 'answering', 'ping').timeout, 0);
    });
  });

  it('drops every series of a removed target, its zeros and up included', async () => {
    await withAgent(async (agent, scrape) => {
      await until((s) => up(s, 'silent') === 0, scrape);
      await agent.reload(config(false));
      const after = await scrape();
      assert.deepEqual(
        after.filter((s) => s.labels.target === 'silent'),
        [],
      );
      assert.equal(errors(after, 'answering', 'ping').timeout, 0);
    });
  });
});
