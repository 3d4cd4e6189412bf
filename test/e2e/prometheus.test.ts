import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { useLab, requireTools, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { repoRoot } from '../support/paths';

const EXPORTER_PORT = 9469;
const PROMETHEUS_PORT = 9090;
const DROPPED = '10.200.0.9';

/** The fenced blocks of `lang` in the README section that starts with `heading`. */
function readmeBlocks(heading: string, lang: string): string[] {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README section ${heading}`);
  // Up to the next heading (## or ###: the PromQL comments start with a single #).
  const section = readme.slice(start + 1).split(/\n(?=#{2,3} )/)[0]!;
  return [...section.matchAll(new RegExp(`^\`\`\`${lang}\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!);
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('a real Prometheus scraping the exporter (lab namespaces)', () => {
  const lab = useLab();
  let client: Netns;
  let exporter: ExporterProcess;
  let workdir: string;
  let hostsDir: string | undefined;

  /** Runs a PromQL instant query through Prometheus' HTTP API inside the client namespace. */
  async function query(promql: string): Promise<VectorSample[]> {
    const url = `http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(promql)}`;
    const { stdout } = await client.exec(['curl', '-sf', url]);
    const body = JSON.parse(stdout) as { status: string; data: { result: VectorSample[] } };
    assert.equal(body.status, 'success');
    return body.data.result;
  }

  async function eventually(
    promql: string,
    ready: (result: VectorSample[]) => boolean,
  ): Promise<VectorSample[]> {
    let last: VectorSample[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
      try {
        last = await query(promql);
        if (ready(last)) return last;
      } catch {
        // Prometheus still starting
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.fail(`no satisfying answer to ${promql}: ${JSON.stringify(last)}`);
  }

  before(async () => {
    requireTools('prometheus', 'curl', 'nft');
    client = await lab().namespace('client');
    const target = await lab().namespace('target');
    const link = await lab().connect(client, target);
    await lab().addAnyIp(target, '10.200.0.0/16');
    await lab().addAnyIp(target, 'fd00:200::/64');
    await lab().route(client, '10.200.0.0/16', link.b);
    await lab().route(client, 'fd00:200::/64', link.b);
    await lab().setLoss(target, 100, { match: `ip daddr ${DROPPED} icmp type echo-request` });
    // A name with an A and an AAAA record, for the dual target: `ip netns exec` mounts
    // /etc/netns/NAME/hosts over /etc/hosts.
    hostsDir = path.join('/etc/netns', client.name);
    mkdirSync(hostsDir, { recursive: true });
    writeFileSync(
      path.join(hostsDir, 'hosts'),
      '127.0.0.1 localhost\n10.200.0.3 dual.lab\nfd00:200::3 dual.lab\n',
    );

    exporter = await startExporter(
      client,
      `
defaults:
  ping: { interval: 200ms, timeout: 200ms, window: 10s }
targets:
  - { name: ams-v4, host: 10.200.0.1, labels: { site: ams }, ping: {}, trace: { protocol: icmp, interval: 1s, max_hops: 3 } }
  - { name: fra-v6, host: "fd00:200::1", labels: { site: fra }, ping: {} }
  - { name: both, host: dual.lab, family: dual, labels: { site: lon }, ping: {} }
  - { name: dropped, host: ${DROPPED}, labels: { site: ams }, ping: {} }
`,
      EXPORTER_PORT,
    );
    workdir = mkdtempSync(path.join(tmpdir(), 'netdiag-prom-'));
    const config = path.join(workdir, 'prometheus.yml');
    // The README's scrape_config, scraping every second here and pointed at the lab's exporter.
    const [scrapeConfig] = readmeBlocks('### Scraping with Prometheus', 'yaml');
    if (!scrapeConfig?.includes('job_name: netdiag')) assert.fail("the README's scrape_config");
    writeFileSync(
      config,
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\n${scrapeConfig
        .replace(/scrape_interval: \S+/, 'scrape_interval: 1s')
        .replace(/scrape_timeout: \S+/, 'scrape_timeout: 1s')
        .replace(/targets: \[[^\]]*\]/, `targets: ['127.0.0.1:${EXPORTER_PORT}']`)}`,
    );
    client.spawn([
      'prometheus',
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(workdir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
    ]);
  });

  after(async () => {
    await exporter?.stop();
    if (hostsDir) rmSync(hostsDir, { recursive: true, force: true });
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it('scrapes the exporter successfully', async () => {
    const up = await eventually('up{job="netdiag"}', (r) => r.length === 1 && r[0]?.value[1] === '1');
    assert.equal(up[0]?.metric.instance, `127.0.0.1:${EXPORTER_PORT}`);
  });

  it('returns the RTT series of every target with its family and static labels', async () => {
    const result = await eventually(
      'sum by (target, family, site, address) (rate(netdiag_ping_rtt_seconds_count[5s]))',
      (r) => r.length === 4 && r.every((s) => Number(s.value[1]) > 0),
    );
    const series = result
      .map((s) => `${s.metric.target}/${s.metric.family}/${s.metric.site}/${s.metric.address}`)
      .sort();
    assert.deepEqual(series, [
      'ams-v4/ipv4/ams/10.200.0.1',
      'both/ipv4/lon/10.200.0.3',
      'both/ipv6/lon/fd00:200::3',
      'fra-v6/ipv6/fra/fd00:200::1',
    ]);
    const quantile = await query(
      'histogram_quantile(0.5, sum by (le, target) (rate(netdiag_ping_rtt_seconds_bucket[10s])))',
    );
    for (const sample of quantile)
      assert.ok(Number(sample.value[1]) < 0.01, `median RTT of ${sample.metric.target}`);
  });

  it('computes the loss of each target from the counters and the gauge', async () => {
    const loss = await eventually(
      '1 - sum by (target) (increase(netdiag_ping_received_total[5s])) / sum by (target) (increase(netdiag_ping_sent_total[5s]))',
      (r) => r.length === 4,
    );
    const byTarget = Object.fromEntries(loss.map((s) => [s.metric.target, Number(s.value[1])]));
    assert.deepEqual(byTarget, { 'ams-v4': 0, 'fra-v6': 0, both: 0, dropped: 1 });
    const gauge = await query('netdiag_ping_loss_ratio{target="dropped"}');
    assert.equal(gauge[0]?.value[1], '1');
    const errors = await query('sum by (reason) (netdiag_probe_errors_total{target="dropped"}) > 0');
    assert.deepEqual(
      errors.map((e) => e.metric.reason),
      ['timeout'],
    );
  });

  it('answers every PromQL example of the README with data', async () => {
    const [block] = readmeBlocks('### PromQL examples', 'promql');
    const examples = (block ?? '').split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    assert.ok(examples.length >= 6, `${examples.length} examples`);
    // Prometheus has scraped for seconds here, not minutes: the ranges shrink to what it holds.
    for (const example of examples) {
      const promql = example.replace(/\[\d+[mh]\]/g, '[10s]');
      const result = await eventually(promql, (r) => r.length > 0);
      assert.ok(result.length > 0, example);
    }
    const down = await query('netdiag_target_up == 0');
    assert.deepEqual(
      down.map((s) => s.metric.target),
      ['dropped'],
    );
  });
});
