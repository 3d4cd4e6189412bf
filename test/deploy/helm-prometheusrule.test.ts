import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { which } from '../lab';
import { repoRoot } from '../support/paths';
import { buildHelmRender, chartDir, renderChart, type K8sObject } from './helm-render';
import { schemaErrors, type OpenApiSchema } from './openapi-schema';
import { alertsOf, loadRules, rulesTestsDir, type Rule, type RuleGroup } from './prometheus-rules';

const run = promisify(execFile);
/** The test runs from dist/: the vendored schema is read from the sources. */
const crd = parse(
  readFileSync(path.join(repoRoot, 'test', 'deploy', 'schemas', 'prometheusrules.yaml'), 'utf8'),
) as {
  openAPIV3Schema: OpenApiSchema;
};
const FULLNAME = 'probe-netdiag-exporter';

const prometheusRules = (objects: K8sObject[]): K8sObject[] =>
  objects.filter((o) => o.kind === 'PrometheusRule');
const only = (objects: K8sObject[]): K8sObject => {
  const found = prometheusRules(objects);
  assert.equal(found.length, 1, 'exactly one PrometheusRule');
  return found[0]!;
};
const alertNamed = (groups: readonly RuleGroup[], name: string): Rule => {
  const rule = alertsOf(groups).find((r) => r.alert === name);
  assert.ok(rule, name);
  return rule;
};

/** The shipped groups as the chart renders them by default: the exporter's job is the chart's. */
function shippedFor(job: string): RuleGroup[] {
  return loadRules().map((g) => ({
    ...g,
    rules: g.rules.map((r) => ({ ...r, expr: r.expr.replace('up{job="netdiag"}', `up{job="${job}"}`) })),
  }));
}

/** Runs `promtool check rules` on groups written as a rules file. */
async function promtoolCheck(groups: unknown): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-promrule-'));
  try {
    const file = path.join(dir, 'rules.yml');
    writeFileSync(file, stringify({ groups }));
    return (await run('promtool', ['check', 'rules', file])).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the chart renders the rules as a PrometheusRule (prometheusRule.*)', () => {
  let helmrender: string;
  before(() => {
    helmrender = buildHelmRender();
    assert.ok(crd.openAPIV3Schema.properties?.spec, 'the vendored CRD schema');
    if (which('promtool') === undefined)
      throw new Error('promtool is missing: apt-get install -y prometheus');
  });

  it('renders none by default', () => {
    assert.deepEqual(prometheusRules(renderChart(helmrender)), []);
  });

  it('renders the rules file unchanged, valid against the operator CRD, with the common and extra labels', async () => {
    const rule = only(
      renderChart(helmrender, { prometheusRule: { enabled: true, additionalLabels: { release: 'kps' } } }),
    );
    assert.deepEqual(schemaErrors(rule, crd.openAPIV3Schema), []);
    assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(rule.metadata.name, FULLNAME);
    assert.equal(rule.metadata.namespace, 'monitoring');
    assert.equal(rule.metadata.labels['app.kubernetes.io/instance'], 'probe');
    assert.equal(rule.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
    assert.equal(rule.metadata.labels.release, 'kps');
    assert.deepEqual(rule.spec.groups, shippedFor(FULLNAME));
    assert.match(await promtoolCheck(rule.spec.groups), /SUCCESS/);
  });

  it('checks against the CRD strictly: unknown fields, bad durations and missing expressions fail', () => {
    const rule = only(renderChart(helmrender, { prometheusRule: { enabled: true } }));
    const broken = structuredClone(rule);
    const [first, second] = broken.spec.groups[1].rules;
    first.fore = '5m';
    second.for = '5 minutes';
    delete broken.spec.groups[0].rules[0].expr;
    broken.spec.groups.push({ name: broken.spec.groups[0].name, rules: [] });
    assert.deepEqual(schemaErrors(broken, crd.openAPIV3Schema), [
      '$.spec.groups[0].rules[0]: missing required field expr',
      '$.spec.groups[1].rules[0]: unknown field fore',
      '$.spec.groups[1].rules[1].for: "5 minutes" does not match ^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
      '$.spec.groups: duplicate entry ["netdiag-exporter.records"]',
    ]);
  });

  it("selects the jobs of the chart's ServiceMonitor (the Service name) and PodMonitor (NAMESPACE/NAME), or prometheusRule.job", () => {
    const objects = renderChart(helmrender, {
      prometheusRule: { enabled: true },
      serviceMonitor: { enabled: true },
    });
    const service = objects.find((o) => o.kind === 'Service')!;
    const down = alertNamed(only(objects).spec.groups, 'NetdiagExporterDown');
    assert.equal(down.expr, `up{job="${service.metadata.name}"} == 0`);
    const podMonitor = { prometheusRule: { enabled: true }, podMonitor: { enabled: true, namespace: 'obs' } };
    assert.equal(
      alertNamed(only(renderChart(helmrender, podMonitor)).spec.groups, 'NetdiagExporterDown').expr,
      `up{job="obs/${FULLNAME}"} == 0`,
      "a PodMonitor's job: NAMESPACE/NAME",
    );
    const both = renderChart(helmrender, { ...podMonitor, serviceMonitor: { enabled: true } });
    assert.equal(
      alertNamed(only(both).spec.groups, 'NetdiagExporterDown').expr,
      `up{job=~"${FULLNAME}|obs/${FULLNAME}"} == 0`,
    );
    const own = only(renderChart(helmrender, { prometheusRule: { enabled: true, job: 'netdiag' } }));
    assert.deepEqual(own.spec.groups, loadRules(), 'with the README job, the file as it is');
  });

  it("with mesh.enabled, selects the mesh monitors' jobs as well: their Service's name, NAMESPACE/NAME", () => {
    const mesh = { prometheusRule: { enabled: true }, mesh: { enabled: true } };
    const downOf = (values: object): string =>
      alertNamed(only(renderChart(helmrender, values)).spec.groups, 'NetdiagExporterDown').expr;
    const objects = renderChart(helmrender, { ...mesh, serviceMonitor: { enabled: true } });
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.metadata.name);
    assert.deepEqual(monitors, [FULLNAME, `${FULLNAME}-mesh`]);
    const meshService = objects.find((o) => o.kind === 'Service' && o.metadata.name === `${FULLNAME}-mesh`);
    assert.ok(meshService, "the mesh ServiceMonitor's job is this Service's name");
    assert.equal(
      alertNamed(only(objects).spec.groups, 'NetdiagExporterDown').expr,
      `up{job=~"${FULLNAME}|${FULLNAME}-mesh"} == 0`,
    );
    const podMonitor = { ...mesh, podMonitor: { enabled: true, namespace: 'obs' } };
    assert.equal(downOf(podMonitor), `up{job=~"obs/${FULLNAME}|obs/${FULLNAME}-mesh"} == 0`);
    assert.equal(
      downOf({ ...podMonitor, serviceMonitor: { enabled: true } }),
      `up{job=~"${FULLNAME}|${FULLNAME}-mesh|obs/${FULLNAME}|obs/${FULLNAME}-mesh"} == 0`,
    );
    assert.equal(downOf(mesh), `up{job=~"${FULLNAME}|${FULLNAME}-mesh"} == 0`, 'no monitor: the Services');
    assert.equal(
      downOf({ ...mesh, prometheusRule: { enabled: true, job: 'netdiag' } }),
      'up{job="netdiag"} == 0',
    );
  });

  it('fires NetdiagExporterDown in promtool for a mesh pod down, not for another job (the shipped unit test, mesh job)', async () => {
    const meshJob = `monitoring/${FULLNAME}-mesh`;
    const rule = only(
      renderChart(helmrender, {
        prometheusRule: { enabled: true },
        mesh: { enabled: true },
        podMonitor: { enabled: true },
      }),
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-promrule-'));
    try {
      writeFileSync(path.join(dir, 'netdiag-rules.yml'), stringify({ groups: rule.spec.groups }));
      // The shipped test of the alert, its job "netdiag" made the mesh PodMonitor's: the firing case must
      // still fire, the near miss (a restart, another job down) stay silent.
      const shipped = readFileSync(path.join(rulesTestsDir, 'exporter-down.yml'), 'utf8');
      assert.match(shipped, /job="netdiag"/);
      const unit = parse(
        shipped
          .replaceAll('job="netdiag"', `job="${meshJob}"`)
          .replaceAll('job: netdiag', `job: ${meshJob}`)
          .replaceAll('(job netdiag)', `(job ${meshJob})`),
      ) as Record<string, unknown>;
      const file = path.join(dir, 'tests.yml');
      writeFileSync(file, stringify({ ...unit, rule_files: ['netdiag-rules.yml'] }));
      const { stdout } = await run('promtool', ['test', 'rules', file], { cwd: dir });
      assert.match(stdout, /SUCCESS/);
      // And the main workload's rule alone (no mesh) does not see the mesh job: the same test fails.
      const alone = only(
        renderChart(helmrender, { prometheusRule: { enabled: true }, podMonitor: { enabled: true } }),
      );
      writeFileSync(path.join(dir, 'netdiag-rules.yml'), stringify({ groups: alone.spec.groups }));
      const failed = await run('promtool', ['test', 'rules', file], { cwd: dir }).then(
        () => assert.fail('the mesh job must not be selected without mesh.enabled'),
        (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
      );
      assert.match(failed, /NetdiagExporterDown/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts the PrometheusRule in prometheusRule.namespace and prefixes runbook URLs', () => {
    const base = 'https://git.example.com/netdiag-exporter/blob/main/';
    const rule = only(
      renderChart(helmrender, {
        prometheusRule: { enabled: true, namespace: 'observability', runbookBaseUrl: base },
      }),
    );
    assert.equal(rule.metadata.namespace, 'observability');
    for (const alert of alertsOf(rule.spec.groups))
      assert.equal(alert.annotations!.runbook_url, `${base}docs/alerts.md#${alert.alert!.toLowerCase()}`);
  });

  it('overrides a threshold, `for` and severity per alert, and leaves out a disabled alert', async () => {
    const rule = only(
      renderChart(helmrender, {
        prometheusRule: {
          enabled: true,
          alerts: {
            NetdiagPacketLoss: { for: '30m', severity: 'critical', thresholds: { loss_ratio: 0.1 } },
            NetdiagLatencyAboveBaseline: { thresholds: { increase_seconds: 0.02 } },
            NetdiagTraceHopLoss: { thresholds: { loss_ratio: 0.95 } },
            NetdiagTracePathChanged: { enabled: false },
          },
        },
      }),
    );
    assert.deepEqual(schemaErrors(rule, crd.openAPIV3Schema), []);
    const shipped = shippedFor(FULLNAME);
    const groups = rule.spec.groups as RuleGroup[];
    const loss = alertNamed(groups, 'NetdiagPacketLoss');
    const shippedLoss = alertNamed(shipped, 'NetdiagPacketLoss');
    assert.equal(
      loss.expr,
      shippedLoss.expr.replace('> 0.05  # threshold: loss_ratio', '> 0.1  # threshold: loss_ratio'),
    );
    assert.notEqual(loss.expr, shippedLoss.expr);
    assert.equal(loss.for, '30m');
    assert.deepEqual(loss.labels, { severity: 'critical' });
    assert.deepEqual(loss.annotations, shippedLoss.annotations);
    const latency = alertNamed(groups, 'NetdiagLatencyAboveBaseline').expr;
    assert.ok(
      latency.includes('> 0.02  # threshold: increase_seconds') &&
        latency.includes('> 1.5  # threshold: ratio'),
    );
    const hop = alertNamed(groups, 'NetdiagTraceHopLoss').expr;
    assert.equal(hop.match(/ 0\.95 {2}# threshold: loss_ratio/g)?.length, 2, 'both places of one threshold');
    assert.equal(
      alertsOf(groups).find((a) => a.alert === 'NetdiagTracePathChanged'),
      undefined,
      'the disabled alert is left out',
    );
    // Everything not overridden is as shipped.
    const untouched = new Set(['NetdiagPacketLoss', 'NetdiagLatencyAboveBaseline', 'NetdiagTraceHopLoss']);
    assert.deepEqual(
      alertsOf(groups).filter((a) => !untouched.has(a.alert!)),
      alertsOf(shipped).filter((a) => !untouched.has(a.alert!) && a.alert !== 'NetdiagTracePathChanged'),
    );
    assert.match(await promtoolCheck(groups), /SUCCESS/);
  });

  it('applies an overridden threshold: promtool sees the shipped firing input of NetdiagPacketLoss no longer fire at 10 %', async () => {
    const rule = only(
      renderChart(helmrender, {
        prometheusRule: {
          enabled: true,
          job: 'netdiag',
          alerts: { NetdiagPacketLoss: { thresholds: { loss_ratio: 0.1 } } },
        },
      }),
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-promrule-'));
    try {
      writeFileSync(path.join(dir, 'netdiag-rules.yml'), stringify({ groups: rule.spec.groups }));
      const unit = parse(readFileSync(path.join(rulesTestsDir, 'packet-loss.yml'), 'utf8')) as {
        tests: { alert_rule_test: { exp_alerts: unknown[] }[] }[];
      };
      const firing = unit.tests[0]!.alert_rule_test[0]!;
      assert.ok(firing.exp_alerts.length > 0, 'the shipped test fires at 5.5 %');
      firing.exp_alerts = [];
      const file = path.join(dir, 'tests.yml');
      writeFileSync(file, stringify({ ...unit, rule_files: ['netdiag-rules.yml'] }));
      const { stdout } = await run('promtool', ['test', 'rules', file], { cwd: dir });
      assert.match(stdout, /SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("renders the README's example (section Alerts) into a valid PrometheusRule with its overrides", async () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n### Alerts\n')).split(/\n(?=#{2,3} )/)[1] ?? '';
    const example = [...section.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)]
      .map((m) => parse(m[1]!) as Record<string, unknown>)
      .find((values) => 'prometheusRule' in values);
    assert.ok(example, "the README's prometheusRule example");
    const rule = only(renderChart(helmrender, example));
    assert.deepEqual(schemaErrors(rule, crd.openAPIV3Schema), []);
    assert.equal(alertNamed(rule.spec.groups, 'NetdiagPacketLoss').for, '30m');
    assert.match(await promtoolCheck(rule.spec.groups), /SUCCESS/);
  });

  for (const [what, alerts, message] of [
    [
      'an unknown alert',
      { NetdiagPacketLos: { for: '1m' } },
      /prometheusRule\.alerts\.NetdiagPacketLos: no such alert/,
    ],
    [
      'an unknown threshold',
      { NetdiagPacketLoss: { thresholds: { loss: 0.1 } } },
      /prometheusRule\.alerts\.NetdiagPacketLoss\.thresholds\.loss: NetdiagPacketLoss has no threshold/,
    ],
    [
      'a threshold that is not a number',
      { NetdiagPacketLoss: { thresholds: { loss_ratio: '10%' } } },
      // values.schema.json refuses it first, as helm does; the template's own check stays for `--skip-schema-validation`.
      /\.prometheusRule\.alerts\['NetdiagPacketLoss'\]\.thresholds\['loss_ratio'\]: should be number/,
    ],
    [
      'an unknown key',
      { NetdiagPacketLoss: { threshold: 0.1 } },
      /\.prometheusRule\.alerts\['NetdiagPacketLoss'\]: should NOT have additional properties \(\{"additionalProperty":"threshold"\}\)/,
    ],
  ] as const) {
    it(`refuses ${what} with a message naming it`, () => {
      assert.throws(() => renderChart(helmrender, { prometheusRule: { enabled: true, alerts } }), message);
    });
  }

  it('documents every prometheusRule key in values.yaml', () => {
    const values = readFileSync(path.join(chartDir, 'values.yaml'), 'utf8');
    const block = values.slice(values.indexOf('\nprometheusRule:'));
    assert.ok(block.length > 1, 'a prometheusRule block');
    for (const key of ['enabled', 'namespace', 'additionalLabels', 'job', 'runbookBaseUrl', 'alerts'])
      assert.match(block, new RegExp(`# -- [^\\n]*\\n(?:  #[^\\n]*\\n)*  ${key}:`), `${key} is documented`);
  });
});
