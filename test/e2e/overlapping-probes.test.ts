import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireTools, useLab, type Link } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';
import { startTcpListener } from '../support/tcp-listener';

/** One way: an RTT of 300 ms, three times the interval. */
const DELAY_MS = 150;
const INTERVAL_MS = 100;
const OPEN_PORT = 8080;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const value = (samples: Sample[], name: string, labels: Record<string, string>): number =>
  select(samples, name, labels)[0]?.value ?? NaN;

describe('timeout longer than the interval: a 300 ms link probed every 100 ms (lab delay link)', () => {
  const lab = useLab();
  let link: Link;
  let exporter: ExporterProcess;

  before(async () => {
    requireTools('ip', 'python3');
    const client = await lab().namespace('client');
    const target = await lab().namespace('target');
    link = await lab().connect(client, target, { delayMs: DELAY_MS });
    await startTcpListener(target, OPEN_PORT);
    exporter = await startExporter(
      client,
      `targets:
  - name: satellite
    host: ${link.b.ipv4}
    ping: { interval: ${INTERVAL_MS}ms, timeout: 1s, window: 1m }
    knock: { port: ${OPEN_PORT}, interval: ${INTERVAL_MS}ms, timeout: 1s, window: 1m }
`,
    );
  });

  after(async () => {
    await exporter?.stop();
  });

  it('loses nothing, measures the 300 ms RTT, skips no tick: ping and knock', async () => {
    // Past the first timeouts: every request so far had its answer or its deadline.
    await sleep(4000);
    const samples = await exporter.scrape();
    const target = { target: 'satellite' };
    for (const probe of ['ping', 'knock'] as const) {
      const sent = value(samples, `netdiag_${probe}_sent_total`, target);
      const received = value(samples, `netdiag_${probe}_received_total`, target);
      // About 40 sent in 4 s: the old one-at-a-time runs sent one per RTT (13) and skipped the rest.
      assert.ok(sent >= 30, `${probe}: ${sent} sent in 4 s at ${INTERVAL_MS} ms`);
      // Those still in flight (at most ⌈1 s / 100 ms⌉ = 10) are not counted sent until they settle.
      assert.equal(received, sent, `${probe}: ${received} of ${sent} answered`);
      assert.equal(value(samples, `netdiag_${probe}_loss_ratio`, target), 0, `${probe} loss`);
      const count = value(samples, `netdiag_${probe}_rtt_seconds_count`, target);
      const mean = value(samples, `netdiag_${probe}_rtt_seconds_sum`, target) / count;
      assert.ok(mean >= 0.3 && mean < 0.33, `${probe}: mean RTT ${mean} s over a 300 ms link`);
      assert.equal(
        value(samples, 'netdiag_probe_ticks_skipped_total', { probe }) || 0,
        0,
        `${probe} ticks skipped`,
      );
      assert.equal(
        select(samples, 'netdiag_probe_errors_total', { ...target, probe }).reduce((t, s) => t + s.value, 0),
        0,
        `${probe} errors`,
      );
    }
    // Jitter over results in sequence: the link's delay is constant.
    const jitter = value(samples, 'netdiag_ping_jitter_seconds', target);
    assert.ok(jitter < 0.005, `ping jitter ${jitter} s`);
  });
});
