import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { useLab, requireTools, type Netns } from '../lab';
import { alertsOf, loadRules, parseRules, rulesFile, withForDurations } from '../deploy/prometheus-rules';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select } from '../support/scrape';
import { startTcpListener } from '../support/tcp-listener';

const EXPORTER_PORT = 9469;
const PROMETHEUS_PORT = 9090;
const HEALTHY = '10.201.0.1';
const LOST = '10.201.0.2';
const WEB = '10.201.0.3';
const HEALTHY_PORT = 8080;
const WEB_PORT = 8443;
/**
 * Every `for` of the shipped file, shortened so the test waits seconds (the windows below are 5s):
 * long enough that a condition must hold over several evaluations, short enough that an alert the
 * healthy targets should not raise would show within the test.
 */
const FOR = '3s';

interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

interface RuleState {
  name: string;
  health: string;
  lastError?: string;
}

/** An alert as the assertions compare it: name, state and the labels that say what it is about. */
const describeAlert = (a: PromAlert): string =>
  [a.labels.alertname, a.state, a.labels.target, a.labels.port ?? '-', a.labels.severity].join(' ');

describe('the shipped alerting rules in a real Prometheus scraping the exporter (lab namespaces)', () => {
  const lab = useLab();
  let client: Netns;
  let target: Netns;
  let exporter: ExporterProcess;
  let webListener: ChildProcess;
  let workdir: string;

  async function alerts(): Promise<PromAlert[]> {
    const { stdout } = await client.exec([
      'curl',
      '-sf',
      `http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/alerts`,
    ]);
    const body = JSON.parse(stdout) as { status: string; data: { alerts: PromAlert[] } };
    assert.equal(body.status, 'success');
    return body.data.alerts;
  }

  async function query(promql: string): Promise<unknown[]> {
    const url = `http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(promql)}`;
    const { stdout } = await client.exec(['curl', '-sf', url]);
    return (JSON.parse(stdout) as { data: { result: unknown[] } }).data.result;
  }

  /**
   * The alerts as the tests judge them, described and sorted. NetdiagExporterOverloaded is left out
   * when the exporter's own counters say it was (a skipped tick, a late reply, a kernel drop since it
   * started: a stall of the CI machine is enough), as the rule then should fire; it stays in, and
   * fails the tests, when they are all 0.
   */
  async function judgedAlerts(): Promise<string[]> {
    const current = (await alerts()).map(describeAlert).sort();
    const samples = await exporter.scrape();
    const overloaded = [
      'netdiag_probe_ticks_skipped_total',
      'netdiag_probe_late_replies_total',
      'netdiag_socket_kernel_drops_total',
    ].some((name) => select(samples, name, {}).some((sample) => sample.value > 0));
    return overloaded ? current.filter((a) => !a.startsWith('NetdiagExporterOverloaded ')) : current;
  }

  /** Polls until `ready` holds of the judged alerts (every 500 ms, up to `seconds`); fails with the last ones. */
  async function alertsWhen(ready: (alerts: string[]) => boolean, seconds: number): Promise<string[]> {
    let last: string[] = [];
    for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline;) {
      try {
        last = await judgedAlerts();
        if (ready(last)) return last;
      } catch {
        // Prometheus still starting
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.fail(`alerts never as expected; last: ${JSON.stringify(last)}\n${exporter.logs().slice(-2000)}`);
  }

  before(async () => {
    requireTools('prometheus', 'curl', 'nft', 'python3');
    client = await lab().namespace('client');
    target = await lab().namespace('target');
    const link = await lab().connect(client, target);
    await lab().addAnyIp(target, '10.201.0.0/16');
    await lab().route(client, '10.201.0.0/16', link.b);
    await startTcpListener(target, HEALTHY_PORT);
    webListener = await startTcpListener(target, WEB_PORT);

    exporter = await startExporter(
      client,
      `
defaults:
  ping: { interval: 200ms, timeout: 200ms, window: 5s }
  knock: { interval: 500ms, timeout: 200ms, window: 5s }
targets:
  - name: healthy
    host: ${HEALTHY}
    labels: { site: ams }
    ping: {}
    knock: { port: ${HEALTHY_PORT} }
    trace: { protocol: icmp, interval: 1s, max_hops: 3 }
  - { name: lost, host: ${LOST}, labels: { site: ams }, ping: {} }
  - { name: web, host: ${WEB}, labels: { site: fra }, ping: {}, knock: { port: ${WEB_PORT} } }
`,
      EXPORTER_PORT,
    );

    workdir = mkdtempSync(path.join(tmpdir(), 'netdiag-alerts-'));
    const shipped = readFileSync(rulesFile, 'utf8');
    const durations = Object.fromEntries(alertsOf(loadRules()).map((a) => [a.alert!, FOR]));
    const rules = withForDurations(shipped, durations);
    // Only the durations differ: the expressions, labels and annotations are the shipped ones.
    const strip = (text: string) =>
      parseRules(text).map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r, for: undefined })) }));
    assert.deepEqual(strip(rules), strip(shipped));
    assert.ok(alertsOf(parseRules(rules)).every((a) => a.for === undefined || a.for === FOR));
    writeFileSync(path.join(workdir, 'netdiag-rules.yml'), rules);
    // The README's job name (`netdiag`), which NetdiagExporterDown selects; every second here.
    writeFileSync(
      path.join(workdir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }
rule_files: [${path.join(workdir, 'netdiag-rules.yml')}]
scrape_configs:
  - job_name: netdiag
    static_configs: [{ targets: ['127.0.0.1:${EXPORTER_PORT}'] }]
`,
    );
    client.spawn([
      'prometheus',
      `--config.file=${path.join(workdir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(workdir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
    ]);
  });

  after(async () => {
    await exporter?.stop();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it('raises no alert while every target answers and both ports are open', async () => {
    // Wait until the rules have data to judge: a loss ratio for each address and both ports' state.
    for (let attempt = 0; ; attempt++) {
      const losses = await query('target_address:netdiag_ping_lost_per_sent:ratio_rate5m').catch(() => []);
      const ports = await query('netdiag_knock_port_open == 1').catch(() => []);
      if (losses.length === 3 && ports.length === 2) break;
      assert.ok(attempt < 60, `no data after 30 s: ${losses.length} loss ratios, ${ports.length} open ports`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Longer than every shortened `for` plus an evaluation: anything pending would be firing by now.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    assert.deepEqual(await judgedAlerts(), []);
    // Every rule evaluated, on the exporter's real series, without an error (a many-to-many match,
    // a wrong type); the trace rules had a traced target's series to read.
    const { stdout } = await client.exec(['curl', '-sf', `http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/rules`]);
    const groups = (JSON.parse(stdout) as { data: { groups: { rules: RuleState[] }[] } }).data.groups;
    const rules = groups.flatMap((g) => g.rules);
    assert.equal(rules.length, loadRules().flatMap((g) => g.rules).length);
    assert.deepEqual(
      rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
      [],
    );
    assert.ok((await query('netdiag_trace_hop_loss_ratio{target="healthy"}')).length > 0, 'trace series');
  });

  it('fires NetdiagTargetUnreachable for a target that loses everything and NetdiagKnockPortClosed for a stopped listener, and nothing else', async () => {
    await lab().setLoss(target, 100, { match: `ip daddr ${LOST}` });
    webListener.kill('SIGKILL');
    const expected = [
      `NetdiagKnockPortClosed firing web ${WEB_PORT} warning`,
      'NetdiagTargetUnreachable firing lost - critical',
    ];
    // Pending alerts of other rules on the way (the loss ratio of `lost` rises before its window is
    // all lost) must be gone too: the set of alerts, pending included, is exactly these two.
    await alertsWhen((current) => JSON.stringify(current) === JSON.stringify(expected), 45);
    // And it stays so: the healthy target and the other rules stay quiet over several evaluations.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    assert.deepEqual(await judgedAlerts(), expected);
    const firing = await alerts();
    const unreachable = firing.find((a) => a.labels.alertname === 'NetdiagTargetUnreachable')!;
    assert.equal(unreachable.labels.site, 'ams', 'the static labels of the target');
    assert.equal(unreachable.labels.job, 'netdiag');
    assert.match(
      unreachable.annotations.description!,
      /^Every probe of target lost \(probed from 127\.0\.0\.1:9469\)/,
    );
    const closed = firing.find((a) => a.labels.alertname === 'NetdiagKnockPortClosed')!;
    assert.equal(closed.annotations.summary, `Port ${WEB_PORT} of web is closed`);
    assert.equal(closed.annotations.runbook_url, 'docs/alerts.md#netdiagknockportclosed');
  });
});
