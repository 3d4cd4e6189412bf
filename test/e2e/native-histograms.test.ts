import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { useLab, requireTools, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';

const EXPORTER_PORT = 9469;
/** Prometheus with native histograms on, and one without: both in the client namespace. */
const NATIVE_PORT = 9090;
const CLASSIC_PORT = 9091;
/** One way: the RTT the link adds is twice this. */
const ONE_WAY_DELAY_MS = 10;
/** Schema 3 (bucket factor 1.1): each bucket ends 2^(1/8) above where it starts. */
const BUCKET_FACTOR = 2 ** (1 / 8);

interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
  histogram?: [number, { count: string; sum: string; buckets?: Array<[number, string, string, string]> }];
}

describe('native histograms in a real Prometheus 2.42 (lab namespaces)', () => {
  const lab = useLab();
  let client: Netns;
  let exporter: ExporterProcess;
  let workdir: string;
  let targetAddress: string;

  async function query(port: number, promql: string): Promise<Sample[]> {
    const url = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`;
    const { stdout } = await client.exec(['curl', '-sf', url]);
    const body = JSON.parse(stdout) as { status: string; data: { result: Sample[] } };
    assert.equal(body.status, 'success');
    return body.data.result;
  }

  async function eventually(
    port: number,
    promql: string,
    ready: (r: Sample[]) => boolean,
  ): Promise<Sample[]> {
    let last: Sample[] = [];
    for (let attempt = 0; attempt < 120; attempt++) {
      try {
        last = await query(port, promql);
        if (ready(last)) return last;
      } catch {
        // Prometheus still starting
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.fail(`no satisfying answer to ${promql} on :${port}: ${JSON.stringify(last)}`);
  }

  function startPrometheus(port: number, flags: string[]): void {
    const dir = path.join(workdir, String(port));
    const config = path.join(workdir, `prometheus-${port}.yml`);
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: netdiag',
        '    scrape_timeout: 1s',
        `    static_configs: [{ targets: ['127.0.0.1:${EXPORTER_PORT}'] }]`,
        '',
      ].join('\n'),
    );
    client.spawn([
      'prometheus',
      `--config.file=${config}`,
      `--storage.tsdb.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...flags,
    ]);
  }

  before(async () => {
    requireTools('prometheus', 'curl');
    client = await lab().namespace('nh-client');
    const target = await lab().namespace('nh-target');
    const link = await lab().connect(client, target, { delayMs: ONE_WAY_DELAY_MS });
    targetAddress = link.b.ipv4;
    exporter = await startExporter(
      client,
      `
targets:
  - { name: delayed, host: ${targetAddress}, ping: { interval: 100ms, timeout: 1s } }
  - { name: loopback, host: 127.0.0.1, ping: { interval: 100ms, timeout: 1s } }
  - { name: traced, host: ${targetAddress}, trace: { protocol: icmp, interval: 1s, timeout: 500ms, max_hops: 4 } }
`,
      EXPORTER_PORT,
    );
    workdir = mkdtempSync(path.join(tmpdir(), 'nh-prometheus-'));
    startPrometheus(NATIVE_PORT, ['--enable-feature=native-histograms']);
    startPrometheus(CLASSIC_PORT, []);
  });

  after(async () => {
    await exporter?.stop();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it('stores the RTTs as native histograms: one series per target, histogram values', async () => {
    const result = await eventually(NATIVE_PORT, 'netdiag_ping_rtt_seconds', (r) => r.length === 2);
    for (const sample of result) {
      assert.equal(sample.value, undefined, 'a histogram sample, not a float');
      const [, histogram] = sample.histogram!;
      assert.ok(Number(histogram.count) > 0);
      // Schema 3: consecutive buckets 2^(1/8) apart.
      for (const [, lower, upper] of histogram.buckets ?? []) {
        if (Number(lower) > 0) assert.ok(Math.abs(Number(upper) / Number(lower) - BUCKET_FACTOR) < 1e-9);
      }
    }
    // No classic series for them: the protobuf answer carried native buckets, which 2.42 takes alone.
    assert.deepEqual(await query(NATIVE_PORT, 'netdiag_ping_rtt_seconds_bucket'), []);
    // Every other metric came through the protobuf answer too.
    const sent = await query(NATIVE_PORT, 'netdiag_ping_sent_total');
    assert.equal(sent.length, 2);
  });

  /**
   * Asserts that `promql`, a median over native histograms of RTTs through the delayed link, gives
   * the injected delay: the true median is that delay plus the lab link's forwarding (well under a
   * millisecond), and the quantile lies in the bucket holding it, at most a factor 2^(1/8) away.
   */
  async function assertInjectedMedian(promql: string, what: string, t: TestContext): Promise<void> {
    const [median] = await eventually(
      NATIVE_PORT,
      promql,
      (r) => r.length === 1 && Number(r[0]!.value![1]) > 0,
    );
    const rtt = Number(median!.value![1]);
    const injected = (2 * ONE_WAY_DELAY_MS) / 1000;
    assert.ok(
      rtt >= injected / BUCKET_FACTOR && rtt <= (injected + 0.002) * BUCKET_FACTOR,
      `${what}: median ${rtt} s for an injected ${injected} s`,
    );
    t.diagnostic(`${what}: native median ${rtt} s for an injected RTT of ${injected} s`);
  }

  it('gives the injected delay as the median RTT, within the bucket resolution', async (t) => {
    const promql = 'histogram_quantile(0.5, rate(netdiag_ping_rtt_seconds{target="delayed"}[1m]))';
    await assertInjectedMedian(promql, 'ping', t);
    const injected = (2 * ONE_WAY_DELAY_MS) / 1000;
    const [loopback] = await query(NATIVE_PORT, promql.replace('delayed', 'loopback'));
    assert.ok(Number(loopback!.value![1]) < injected / 4, `loopback median ${loopback!.value![1]} s`);
  });

  it("stores a trace's per-hop probe RTTs as native histograms: the injected delay at the destination's hop", async (t) => {
    // One hop: the destination, 2 × ONE_WAY_DELAY_MS away. ICMP echo replies are not rate-limited.
    await assertInjectedMedian(
      'histogram_quantile(0.5, rate(netdiag_trace_probe_rtt_seconds{target="traced", hop="1"}[1m]))',
      'trace hop 1',
      t,
    );
    const [stored] = await query(NATIVE_PORT, 'netdiag_trace_probe_rtt_seconds{target="traced", hop="1"}');
    assert.ok(stored?.histogram, 'a histogram sample');
    // Past the destination: no hop 2.
    assert.deepEqual(
      await query(NATIVE_PORT, 'netdiag_trace_probe_rtt_seconds{target="traced", hop="2"}'),
      [],
    );
    // Native buckets only: a Prometheus without the feature gets +Inf, _count and _sum.
    const classic = await eventually(
      CLASSIC_PORT,
      'netdiag_trace_probe_rtt_seconds_bucket{target="traced"}',
      (r) => r.length > 0 && Number(r[0]!.value![1]) > 0,
    );
    assert.deepEqual(
      classic.map((s) => [s.metric.hop, s.metric.le]),
      [['1', '+Inf']],
    );
  });

  it('is scraped as text, classic buckets, by a Prometheus without the feature', async () => {
    const buckets = await eventually(
      CLASSIC_PORT,
      'netdiag_ping_rtt_seconds_bucket{target="delayed", le="+Inf"}',
      (r) => r.length === 1 && Number(r[0]!.value![1]) > 0,
    );
    assert.ok(buckets[0]!.value);
    assert.deepEqual(await query(CLASSIC_PORT, 'netdiag_ping_rtt_seconds'), []);
    const [median] = await eventually(
      CLASSIC_PORT,
      'histogram_quantile(0.5, rate(netdiag_ping_rtt_seconds_bucket{target="delayed"}[1m]))',
      (r) => r.length === 1,
    );
    // The default classic buckets double (0.1 ms · 2^k): 20 ms is in (12.8, 25.6] ms, and so is the median.
    assert.ok(
      Number(median!.value![1]) > 0.0128 && Number(median!.value![1]) <= 0.0256,
      `${median!.value![1]}`,
    );
  });
});
