import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { isMap, isPair, isScalar, isSeq, parse, parseDocument, stringify, type YAMLMap } from 'yaml';
import { METRIC } from '../../exporter/metrics/names';
import { which } from '../lab';
import { repoRoot } from '../support/paths';
import {
  alertsOf,
  chartRulesFile,
  loadRules,
  rulesFile,
  rulesTestsDir,
  THRESHOLD_LINE,
  thresholdsOf,
  type Rule,
} from './prometheus-rules';

const run = promisify(execFile);
const runbook = path.join(repoRoot, 'docs', 'alerts.md');
const SEVERITIES = new Set(['critical', 'warning', 'info']);
/** Alerts about the exporter itself, not one target: their description names the instance. */
const EXPORTER_ALERTS = new Set([
  'NetdiagConfigReloadFailed',
  'NetdiagExporterDown',
  'NetdiagExporterOverloaded',
]);

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: unknown[] | null;
}
interface TestGroup {
  input_series?: { series: string; values: string }[];
  alert_rule_test?: AlertRuleTest[];
}
interface UnitTestFile {
  rule_files: string[];
  tests: TestGroup[];
}

const testFiles = (): string[] =>
  readdirSync(rulesTestsDir)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => path.join(rulesTestsDir, f));

/** Metric names of a PromQL expression: the identifiers that are not functions, keywords, labels or grouping labels. */
function metricNamesOf(expr: string): Set<string> {
  const code = expr
    .replace(/#.*$/gm, '')
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '');
  const names = new Set<string>();
  const KEYWORDS =
    /^(by|without|on|ignoring|group_left|group_right|and|or|unless|offset|bool|sum|min|max|avg|count|group|stddev|stdvar|topk|bottomk|quantile|count_values)$/;
  for (const m of code.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)) {
    const name = m[1]!;
    const inGrouping = /\b(by|without|on|ignoring)\s*\([^)]*$/.test(code.slice(0, m.index));
    if (!KEYWORDS.test(name) && !inGrouping && !/^\d/.test(name)) names.add(name);
  }
  return names;
}

function requirePromtool(): void {
  if (which('promtool') === undefined)
    throw new Error('promtool is missing: apt-get install -y prometheus (scripts/install-test-deps.sh)');
}

describe('Prometheus rules deploy/prometheus/netdiag-rules.yml', () => {
  const groups = loadRules();
  const alerts = alertsOf(groups);
  const records = new Set(groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));

  before(requirePromtool);

  it('passes promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', rulesFile]);
    assert.match(stdout, new RegExp(`SUCCESS: ${alerts.length + records.size} rules found`));
  });

  it('passes every promtool unit test of deploy/prometheus/tests', async () => {
    const files = testFiles();
    assert.ok(files.length >= alerts.length, `${files.length} test files`);
    // promtool test rules exits non-zero when any test fails: execFile rejects with its output.
    const { stdout } = await run('promtool', ['test', 'rules', ...files], { cwd: rulesTestsDir });
    assert.equal(stdout.match(/SUCCESS/g)?.length, files.length, stdout);
  });

  it('has, for every alert, a test where it fires and a near miss where it does not', () => {
    const fires = new Set<string>();
    const nearMisses = new Set<string>();
    const exprOf = new Map(
      groups.flatMap((g) => g.rules.map((r) => [r.record ?? r.alert!, r.expr] as const)),
    );
    /** The raw metrics an expression reads, through the recording rules it uses. */
    const inputsOf = (expr: string): Set<string> =>
      new Set(
        [...metricNamesOf(expr)].flatMap((name) =>
          records.has(name) ? [...inputsOf(exprOf.get(name)!)] : [name.replace(/_bucket$/, '')],
        ),
      );
    for (const file of testFiles()) {
      const unit = parse(readFileSync(file, 'utf8')) as UnitTestFile;
      assert.deepEqual(unit.rule_files, ['../netdiag-rules.yml'], `${file} tests the shipped file`);
      for (const group of unit.tests) {
        const inputs = new Set(
          (group.input_series ?? []).map((s) => s.series.split('{')[0]!.replace(/_bucket$/, '')),
        );
        for (const test of group.alert_rule_test ?? []) {
          const alert = alerts.find((a) => a.alert === test.alertname);
          assert.ok(alert, `${path.basename(file)}: ${test.alertname} is an alert of the file`);
          if ((test.exp_alerts ?? []).length > 0) fires.add(test.alertname);
          else if ([...inputsOf(alert.expr)].some((metric) => inputs.has(metric)))
            // A near miss feeds the alert's own metrics: an empty input would prove nothing.
            nearMisses.add(test.alertname);
        }
      }
    }
    const names = alerts.map((a) => a.alert!);
    assert.deepEqual(
      names.filter((n) => !fires.has(n)),
      [],
      'alerts without a firing test',
    );
    assert.deepEqual(
      names.filter((n) => !nearMisses.has(n)),
      [],
      'alerts without a near-miss test',
    );
  });

  it('fails a promtool unit test whose expectation is wrong (the runner above can fail)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-rules-'));
    try {
      mkdirSync(path.join(dir, 'tests'));
      copyFileSync(rulesFile, path.join(dir, 'netdiag-rules.yml'));
      const unit = parse(
        readFileSync(path.join(rulesTestsDir, 'target-unreachable.yml'), 'utf8'),
      ) as UnitTestFile;
      const firing = unit.tests
        .flatMap((g) => g.alert_rule_test ?? [])
        .find((t) => (t.exp_alerts ?? []).length > 0);
      firing!.exp_alerts = [];
      const file = path.join(dir, 'tests', 'wrong.yml');
      writeFileSync(file, stringify(unit));
      await assert.rejects(
        run('promtool', ['test', 'rules', file], { cwd: path.dirname(file) }),
        (error: Error) => {
          const { stdout, stderr } = error as Error & { stdout: string; stderr: string };
          assert.match(`${stdout}${stderr}`, /FAILED/);
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads only metrics the exporter exports, the recording rules of the file, and up', () => {
    const known = new Set<string>([...Object.values(METRIC), ...records, 'up']);
    const histograms = [METRIC.pingRtt, METRIC.knockRtt, METRIC.traceProbeRtt];
    for (const h of histograms)
      for (const suffix of ['_bucket', '_sum', '_count']) known.add(`${h}${suffix}`);
    for (const rule of groups.flatMap((g) => g.rules))
      for (const name of metricNamesOf(rule.expr))
        assert.ok(known.has(name), `${rule.record ?? rule.alert}: ${name} is exported or recorded`);
  });

  it('gives every alert a severity, a summary, a description naming the target and a runbook section', () => {
    const headings = new Set(
      [...readFileSync(runbook, 'utf8').matchAll(/^## (\S+)$/gm)].map((m) => m[1]!.toLowerCase()),
    );
    for (const alert of alerts) {
      const name = alert.alert!;
      assert.ok(SEVERITIES.has(alert.labels?.severity ?? ''), `${name}: severity`);
      const { summary, description, runbook_url: url } = alert.annotations ?? {};
      assert.ok(summary && description, `${name}: summary and description`);
      const subject = EXPORTER_ALERTS.has(name) ? '$labels.instance' : '$labels.target';
      assert.ok(description.includes(subject), `${name}: the description names ${subject}`);
      assert.equal(url, `docs/alerts.md#${name.toLowerCase()}`, `${name}: runbook_url`);
      assert.ok(headings.has(name.toLowerCase()), `${name}: docs/alerts.md has a "## ${name}" section`);
    }
    assert.equal(headings.size, alerts.length, 'docs/alerts.md has a section per alert and no other');
  });

  it("states every alert's severity, `for` and thresholds in its docs/alerts.md section, as the file has them", () => {
    const sections = new Map(
      readFileSync(runbook, 'utf8')
        .split(/^## /m)
        .slice(1)
        .map((text) => [text.slice(0, text.indexOf('\n')), text] as const),
    );
    for (const alert of alerts) {
      const settings = /^\*\*Settings\.\*\* .*$/m.exec(sections.get(alert.alert!) ?? '')?.[0] ?? '';
      assert.ok(settings.includes(`severity \`${alert.labels!.severity}\``), `${alert.alert}: ${settings}`);
      assert.ok(
        settings.includes(alert.for ? `\`for: ${alert.for}\`` : 'no `for`'),
        `${alert.alert}: ${settings}`,
      );
      const thresholds = thresholdsOf(alert.expr);
      for (const [name, value] of thresholds)
        assert.ok(
          settings.includes(`\`${name}\` (${value}`),
          `${alert.alert}: ${name} (${value}) in ${settings}`,
        );
      if (thresholds.size === 0) assert.ok(settings.includes('no threshold'), `${alert.alert}: ${settings}`);
    }
  });

  it('explains every alert: a comment before its expression gives the reason for the threshold and `for`', () => {
    const doc = parseDocument(readFileSync(rulesFile, 'utf8'));
    const groupSeq = doc.get('groups');
    assert.ok(isSeq(groupSeq));
    for (const group of groupSeq.items as YAMLMap[]) {
      const rules = group.get('rules');
      assert.ok(isSeq(rules));
      for (const rule of rules.items) {
        assert.ok(isMap(rule));
        if (!rule.has('alert')) continue;
        const expr = rule.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === 'expr');
        const comment = isScalar(expr?.key) ? (expr.key.commentBefore ?? '') : '';
        assert.ok(comment.trim().length > 40, `${String(rule.get('alert'))}: a comment before expr`);
      }
    }
  });

  it('marks every threshold at the end of its line, where the chart can override it', () => {
    for (const alert of alerts) {
      const marked = [...alert.expr.matchAll(/# threshold: ([a-z_]+)$/gm)].length;
      assert.equal(
        [...alert.expr.matchAll(THRESHOLD_LINE)].length,
        marked,
        `${alert.alert}: markers follow numbers`,
      );
      // Each comparison with a number carries a marker: no threshold the chart could not reach
      // (`== 0` tests a state, such as a closed port, and is no threshold).
      const comparisons = alert.expr.replace(/#.*$/gm, '').match(/[<>]=?\s*-?[0-9]/g) ?? [];
      assert.equal(comparisons.length, marked, `${alert.alert}: every compared number is a marked threshold`);
    }
    assert.deepEqual(
      Object.fromEntries(thresholdsOf(ruleNamed(alerts, 'NetdiagLatencyAboveBaseline').expr)),
      {
        ratio: 1.5,
        increase_seconds: 0.005,
      },
    );
  });

  it('is the same file as the chart copy that the PrometheusRule renders', () => {
    assert.equal(readFileSync(chartRulesFile, 'utf8'), readFileSync(rulesFile, 'utf8'));
  });
});

function ruleNamed(alerts: readonly Rule[], name: string): Rule {
  const rule = alerts.find((a) => a.alert === name);
  assert.ok(rule, name);
  return rule;
}
