// The Grafana dashboard against real data: a real Prometheus scrapes a real exporter that pings,
// knocks and traces through a lab, and every panel's PromQL (and every variable's query) runs
// through Prometheus' HTTP API. A query that errors or returns nothing fails the test. Two
// Prometheus servers scrape the exporter: one stores classic histograms, the other (native
// histograms on) native ones; the panels must answer on both.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { useLab, requireTools, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { repoRoot } from '../support/paths';
import { startTcpListener } from '../support/tcp-listener';

const EXPORTER_PORT = 9469;
const PROMETHEUS_PORT = 9090;
/** The Prometheus with native histograms on. */
const NATIVE_PORT = 9091;
const OPEN_PORT = 8080;

interface Panel {
  title?: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: { query: string } | string }> };
}

const dashboard = JSON.parse(
  readFileSync(path.join(repoRoot, 'dashboards', 'netdiag-exporter.json'), 'utf8'),
) as Dashboard;

/** What Grafana sends for an "All" selection and its interval variables. */
function concrete(expr: string): string {
  return expr.replace(/\$__rate_interval/g, '10s').replace(/\$\{?(job|site|target|family|address)\}?/g, '.*');
}

/** Grafana's label_values(METRIC{…}, LABEL) as a PromQL query with the same answer. */
function labelValuesQuery(query: string): string {
  const match = /^label_values\((.*),\s*(\w+)\)$/.exec(query.trim());
  assert.ok(match, `a label_values() query: ${query}`);
  return `group by (${match[2]}) (${concrete(match[1]!)})`;
}

describe('the Grafana dashboard: every query answers with data from a real Prometheus', () => {
  const lab = useLab();
  let client: Netns;
  let exporter: ExporterProcess;
  let workdir: string;

  async function query(
    promql: string,
    port = PROMETHEUS_PORT,
  ): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
    const url = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`;
    const { stdout } = await client.exec(['curl', '-s', url], { check: false });
    try {
      return JSON.parse(stdout) as { status: string; error?: string; data?: { result: unknown[] } };
    } catch {
      return { status: 'unreachable' };
    }
  }

  before(async () => {
    requireTools('prometheus', 'curl', 'python3');
    client = await lab().namespace('dbclient');
    const router = await lab().namespace('dbrouter', { router: true });
    const target = await lab().namespace('dbtarget');
    const first = await lab().connect(client, router);
    const second = await lab().connect(router, target);
    await lab().defaultRoute(client, first.b);
    await lab().defaultRoute(target, second.a);
    await lab().addAnyIp(target, '10.205.0.0/24');
    await lab().route(router, '10.205.0.0/24', second.b);
    await lab().setLoss(target, 30, { match: 'ip daddr 10.205.0.1 icmp type echo-request' });
    await startTcpListener(target, OPEN_PORT);
    exporter = await startExporter(
      client,
      `
# The mesh matrix (the dashboard's last row) reads series with a source node.
labels:
  source_node: dbclient
defaults:
  ping: { interval: 200ms, timeout: 200ms, window: 10s }
  knock: { interval: 500ms, timeout: 300ms, window: 10s }
  trace: { protocol: udp, interval: 2s, timeout: 300ms, max_hops: 4, flows: 2, probes: 1 }
targets:
  - name: lossy
    host: 10.205.0.1
    labels: { site: ams }
    ping: {}
    knock: [{ port: ${OPEN_PORT} }, { port: ${OPEN_PORT + 1} }]
    trace: {}
  - name: v6
    host: "${second.b.ipv6}"
    labels: { site: fra }
    ping: {}
`,
      EXPORTER_PORT,
    );
    workdir = mkdtempSync(path.join(tmpdir(), 'netdiag-dashboard-'));
    const config = path.join(workdir, 'prometheus.yml');
    writeFileSync(
      config,
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: netdiag
    static_configs: [{ targets: ["127.0.0.1:${EXPORTER_PORT}"] }]
`,
    );
    client.spawn([
      'prometheus',
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(workdir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
    ]);
    client.spawn([
      'prometheus',
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(workdir, 'native-data')}`,
      `--web.listen-address=127.0.0.1:${NATIVE_PORT}`,
      '--enable-feature=native-histograms',
    ]);
    // Enough scrapes for rate() over 10 s windows, and a few trace rounds.
    for (let attempt = 0; attempt < 120; attempt++) {
      const rounds = await query('sum(netdiag_trace_rounds_total)');
      const result = rounds.data?.result as Array<{ value: [number, string] }> | undefined;
      if (result?.[0] && Number(result[0].value[1]) >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 12_000));
  });

  after(async () => {
    await exporter?.stop();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  const panels: Panel[] = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

  for (const [kind, port] of [
    ['classic', PROMETHEUS_PORT],
    ['native', NATIVE_PORT],
  ] as const) {
    it(`answers every panel query with data (${kind} histograms)`, async () => {
      if (kind === 'native') {
        // The RTTs are native histograms there: no _bucket series (what the panels fall back from).
        const buckets = await query('netdiag_ping_rtt_seconds_bucket', port);
        assert.deepEqual(buckets.data?.result, []);
      }
      const failures: string[] = [];
      let queries = 0;
      for (const panel of panels) {
        for (const target of panel.targets ?? []) {
          queries++;
          const answer = await query(concrete(target.expr), port);
          if (answer.status !== 'success') failures.push(`${panel.title}: ${answer.error ?? answer.status}`);
          else if ((answer.data?.result.length ?? 0) === 0)
            failures.push(`${panel.title}: no data for ${target.expr}`);
        }
      }
      assert.ok(queries >= 20, `${queries} queries`);
      assert.deepEqual(failures, []);
    });
  }

  it('answers every variable query with values', async () => {
    for (const variable of dashboard.templating.list) {
      if (variable.type !== 'query') continue;
      const text = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
      const answer = await query(labelValuesQuery(text));
      assert.equal(answer.status, 'success', `${variable.name}: ${answer.error}`);
      assert.ok((answer.data?.result.length ?? 0) > 0, `${variable.name} has values`);
    }
  });
});
