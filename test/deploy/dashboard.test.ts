import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { METRIC } from '../../exporter/metrics/names';
import { requireTools } from '../lab';
import { repoRoot } from '../support/paths';
import { chartDir } from './helm-render';

const run = promisify(execFile);

/** Knock and trace metrics every dashboard must show. */
const PROBE_METRICS = [
  METRIC.knockRtt,
  METRIC.knockLoss,
  METRIC.knockPortOpen,
  METRIC.knockSent,
  METRIC.traceHopRtt,
  METRIC.traceHopLoss,
  METRIC.traceHops,
  METRIC.traceReached,
  METRIC.tracePaths,
  METRIC.tracePathChanges,
];
/** The histograms (the trace's per-responder hop RTT is a gauge: one value per responder and round). */
const HISTOGRAMS: string[] = [METRIC.pingRtt, METRIC.knockRtt, METRIC.traceProbeRtt];
const KNOWN = new Set<string>([
  ...Object.values(METRIC),
  ...HISTOGRAMS.flatMap((h) => ['_bucket', '_sum', '_count'].map((suffix) => `${h}${suffix}`)),
]);

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

const file = path.join(chartDir, 'dashboards', 'netdiag-exporter.json');
const text = readFileSync(file, 'utf8');
const dashboard = JSON.parse(text) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, expr: t.expr })));
const variableQueries = dashboard.templating.list.flatMap((v) =>
  v.type === 'query' ? [String((v.query as { query: string }).query)] : [],
);

/** A panel's PromQL with Grafana's variables replaced by what an "All" selection sends. */
function concrete(expr: string): string {
  return expr.replace(/\$__rate_interval/g, '1m').replace(/\$(job|site|target|family|address)\b/g, '.*');
}

describe('Grafana dashboard', () => {
  it('is the same file in dashboards/ and in the chart', () => {
    assert.equal(readFileSync(path.join(repoRoot, 'dashboards', 'netdiag-exporter.json'), 'utf8'), text);
  });

  it('has unique panel ids, a uid, and the datasource, job, site, target, family and address variables', () => {
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `duplicate ids in ${ids.join(',')}`);
    assert.ok(ids.every((id) => Number.isInteger(id) && id > 0));
    assert.equal(dashboard.uid, 'netdiag-exporter');
    const variables = dashboard.templating.list.map((v) => v.name);
    assert.deepEqual(variables, ['datasource', 'job', 'site', 'target', 'family', 'address']);
    assert.equal(dashboard.templating.list[0]!.type, 'datasource');
    assert.equal(dashboard.templating.list[0]!.query, 'prometheus');
  });

  it('queries the datasource variable in every panel and target (import-ready, no fixed uid)', () => {
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      assert.equal(panel.datasource?.uid, '${datasource}', panel.title);
      for (const target of panel.targets ?? [])
        assert.equal(target.datasource?.uid, '${datasource}', panel.title);
    }
  });

  it('shows every probe: ping RTT/loss/jitter, knock RTT/loss/port state, trace hops/paths, exporter health', () => {
    const used = new Set(queries.flatMap((q) => q.expr.match(/netdiag_[a-z0-9_]+/g) ?? []));
    for (const name of [
      `${METRIC.pingRtt}_bucket`,
      METRIC.pingLoss,
      METRIC.pingJitter,
      METRIC.probeErrors,
      METRIC.reloadSuccessful,
      METRIC.eventLoopDelay,
      ...PROBE_METRICS.map((n) => (HISTOGRAMS.includes(n) ? `${n}_bucket` : n)),
    ])
      assert.ok(used.has(name), `${name} is on the dashboard`);
    assert.ok(panels.some((p) => p.type === 'heatmap' && p.targets?.[0]?.expr.includes(METRIC.pingRtt)));
    assert.ok(
      panels.some((p) => p.type === 'table' && p.targets?.some((t) => t.expr.includes('hop_address'))),
    );
  });

  it('references only metrics the exporter exports (names.ts) or the knock and trace names of issue 6', () => {
    for (const { panel, expr } of [
      ...queries,
      ...variableQueries.map((expr) => ({ panel: { title: 'variable' }, expr })),
    ])
      for (const name of expr.match(/netdiag_[a-z0-9_]+/g) ?? [])
        assert.ok(KNOWN.has(name), `${panel.title}: unknown metric ${name}`);
  });

  it('has PromQL that Prometheus parses (promtool check rules)', async () => {
    requireTools('promtool');
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-dashboard-'));
    try {
      const rules = queries.map(
        (q, i) =>
          `      - record: dashboard:panel_${q.panel.id}_${i}\n        expr: ${JSON.stringify(concrete(q.expr))}`,
      );
      const rulesFile = path.join(dir, 'rules.yml');
      writeFileSync(rulesFile, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const { stdout } = await run('promtool', ['check', 'rules', rulesFile]);
      assert.match(stdout, new RegExp(`SUCCESS: ${queries.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
