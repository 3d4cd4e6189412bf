import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { resolveOtlpSettings } from '../../exporter/cli/otlp-settings';
import { cliPath } from '../support/paths';
import {
  buildHelmRender,
  chartDir,
  renderChart,
  renderManifest,
  renderNotes,
  schemaErrors,
  type K8sObject,
} from './helm-render';

// The chart's values, one behaviour each: types checked by values.schema.json, numbers rendered as
// written, the pod's identity and labels, the optional objects, the monitors' options and NOTES.txt.

const workload = (objects: K8sObject[]): K8sObject => objects.find((o) => o.apiVersion === 'apps/v1')!;
const container = (objects: K8sObject[]): K8sObject => workload(objects).spec.template.spec.containers[0];
const ofKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
const envOf = (objects: K8sObject[]): Record<string, string> =>
  Object.fromEntries((container(objects).env ?? []).map((e: K8sObject) => [e.name, e.value]));

describe('Helm chart values', () => {
  let helmrender: string;
  before(() => {
    helmrender = buildHelmRender();
  });

  describe('values.schema.json', () => {
    it('covers exactly the keys of values.yaml', () => {
      const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8'));
      const values = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as object;
      assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(values).sort());
      assert.deepEqual(schemaErrors({}), [], 'the defaults conform');
    });

    for (const [values, error] of [
      [{ replicaCount: '3' }, /\.replicaCount: should be integer/],
      [{ kind: 'Job' }, /\.kind: should be equal to one of the allowed values/],
      [{ image: { tag: 1.1 } }, /\.image\.tag: should be string/],
      [{ otlp: { interval: '1m' } }, /\.otlp\.interval: should match pattern/],
      [{ otlp: { interval: 0 } }, /\.otlp\.interval: should be >= 1/],
      [{ serviceMonitor: { interval: 30 } }, /\.serviceMonitor\.interval: should be string/],
      [
        { serviceMonitor: { scrapeTimeout: '10 seconds' } },
        /\.serviceMonitor\.scrapeTimeout: should match pattern/,
      ],
      [
        { serviceMonitor: { labels: { release: 'kps' } } },
        /\.serviceMonitor: should NOT have additional properties \(\{"additionalProperty":"labels"\}\)/,
      ],
      [{ hostUsers: 'false' }, /\.hostUsers: should be boolean,null/],
      [{ commonLabels: { shard: 3 } }, /\.commonLabels\['shard'\]: should be string/],
      [
        { commonLabels: { 'app.kubernetes.io/name': 'x' } },
        /\.commonLabels: property name 'app\.kubernetes\.io\/name' is invalid/,
      ],
      [
        { podDisruptionBudget: { minAvailable: 'half' } },
        /\.podDisruptionBudget\.minAvailable: should match pattern/,
      ],
      [{ service: { port: 70000 } }, /\.service\.port: should be <= 65535/],
      [
        { serviceAcount: { create: false } },
        /should NOT have additional properties \(\{"additionalProperty":"serviceAcount"\}\)/,
      ],
    ] as [object, RegExp][]) {
      it(`refuses ${JSON.stringify(values)} before rendering, as helm does`, () => {
        assert.throws(() => renderChart(helmrender, values), error);
      });
    }
  });

  it('renders numbers as written: no 1e+06 anywhere, and the exporter accepts the OTLP interval', () => {
    const values = {
      kind: 'StatefulSet',
      replicaCount: 1000000,
      terminationGracePeriodSeconds: 1000000,
      podDisruptionBudget: { enabled: true, minAvailable: 2000000 },
      otlp: {
        enabled: true,
        endpoint: 'http://collector:4318',
        interval: 86400000,
        resourceAttributes: { rack: 1200000 },
      },
    };
    const text = renderManifest(helmrender, values);
    assert.doesNotMatch(text, /\d\.?\d*e\+\d/, 'no exponent form');
    assert.match(text, /^ {2}replicas: 1000000$/m);
    assert.match(text, /^ {6}terminationGracePeriodSeconds: 1000000$/m);
    assert.match(text, /^ {2}minAvailable: 2000000$/m);
    const objects = renderChart(helmrender, values);
    const env = envOf(objects);
    assert.equal(env.OTEL_METRIC_EXPORT_INTERVAL, '86400000');
    assert.equal(env.NETDIAG_SHARD_COUNT, '1000000');
    assert.match(env.OTEL_RESOURCE_ATTRIBUTES!, /,rack=1200000$/);
    assert.equal(resolveOtlpSettings(undefined, env)?.intervalMs, 86400000, 'the exporter takes it');
    const asString = envOf(renderChart(helmrender, { otlp: { ...values.otlp, interval: '1000000' } }));
    assert.equal(asString.OTEL_METRIC_EXPORT_INTERVAL, '1000000');
  });

  it('refuses hostUsers: false with hostNetwork: true, and renders either alone', () => {
    assert.throws(
      () => renderChart(helmrender, { kind: 'DaemonSet', hostNetwork: true, hostUsers: false }),
      /hostUsers: false cannot be combined with hostNetwork: true/,
    );
    const userNamespace = workload(renderChart(helmrender, { hostUsers: false })).spec.template.spec;
    assert.equal(userNamespace.hostUsers, false);
    assert.equal(userNamespace.hostNetwork, undefined);
    const hostNetwork = workload(renderChart(helmrender, { hostNetwork: true, hostUsers: true })).spec
      .template.spec;
    assert.deepEqual([hostNetwork.hostNetwork, hostNetwork.hostUsers], [true, true]);
  });

  it('serviceAccount: created without a token by default, or an existing one named', () => {
    const created = renderChart(helmrender, {
      serviceAccount: { annotations: { 'example.com/role': 'probe' } },
    });
    const [account] = ofKind(created, 'ServiceAccount');
    assert.equal(account?.automountServiceAccountToken, false);
    assert.deepEqual(account?.metadata.annotations, { 'example.com/role': 'probe' });
    const pod = workload(created).spec.template.spec;
    assert.equal(pod.serviceAccountName, account?.metadata.name);
    assert.equal(pod.automountServiceAccountToken, false);
    const named = renderChart(helmrender, { serviceAccount: { create: true, name: 'netdiag' } });
    assert.equal(ofKind(named, 'ServiceAccount')[0]?.metadata.name, 'netdiag');
    const existing = renderChart(helmrender, { serviceAccount: { create: false, name: 'shared' } });
    assert.equal(ofKind(existing, 'ServiceAccount').length, 0);
    assert.equal(workload(existing).spec.template.spec.serviceAccountName, 'shared');
    assert.equal(workload(existing).spec.template.spec.automountServiceAccountToken, false);
  });

  it('labels: the standard set and commonLabels on every object and pod, selectors unchanged', () => {
    const objects = renderChart(helmrender, {
      kind: 'StatefulSet',
      commonLabels: { team: 'network' },
      podLabels: { tier: 'monitoring' },
      serviceMonitor: { enabled: true },
      podDisruptionBudget: { enabled: true },
    });
    const standard = [
      'helm.sh/chart',
      'app.kubernetes.io/name',
      'app.kubernetes.io/instance',
      'app.kubernetes.io/version',
      'app.kubernetes.io/managed-by',
    ];
    const pod = workload(objects).spec.template.metadata.labels;
    for (const labels of [...objects.map((o) => o.metadata.labels), pod]) {
      for (const key of standard) assert.ok(labels[key], key);
      assert.equal(labels.team, 'network');
    }
    assert.equal(pod.tier, 'monitoring');
    const selector = { 'app.kubernetes.io/name': 'netdiag-exporter', 'app.kubernetes.io/instance': 'probe' };
    assert.deepEqual(
      workload(objects).spec.selector.matchLabels,
      selector,
      'selectors are immutable: unchanged',
    );
    assert.deepEqual(ofKind(objects, 'PodDisruptionBudget')[0]?.spec.selector.matchLabels, selector);
  });

  for (const [values, image] of [
    [{}, 'netdiag-exporter:0.1.0'],
    [{ image: { registry: 'ghcr.io', tag: 'v2' } }, 'ghcr.io/netdiag-exporter:v2'],
    [
      { image: { registry: 'ghcr.io/' }, global: { imageRegistry: 'mirror.example:5000' } },
      'mirror.example:5000/netdiag-exporter:0.1.0',
    ],
    [
      { image: { digest: `sha256:${'b'.repeat(64)}` }, global: { imageRegistry: 'mirror.example' } },
      `mirror.example/netdiag-exporter@sha256:${'b'.repeat(64)}`,
    ],
  ] as [object, string][]) {
    it(`image ${image} from ${JSON.stringify(values)}`, () => {
      assert.equal(container(renderChart(helmrender, values)).image, image);
    });
  }

  it('podDisruptionBudget: off by default; maxUnavailable 1 unless told; both bounds refused', () => {
    assert.equal(ofKind(renderChart(helmrender), 'PodDisruptionBudget').length, 0);
    const spec = (budget: object): K8sObject =>
      ofKind(
        renderChart(helmrender, { podDisruptionBudget: { enabled: true, ...budget } }),
        'PodDisruptionBudget',
      )[0]!.spec;
    assert.equal(spec({}).maxUnavailable, 1);
    assert.equal(spec({ minAvailable: '50%' }).minAvailable, '50%');
    assert.equal(spec({ minAvailable: 0 }).minAvailable, 0);
    assert.equal(spec({ maxUnavailable: 3 }).maxUnavailable, 3);
    assert.equal(spec({ minAvailable: 2 }).maxUnavailable, undefined);
    assert.throws(
      () => spec({ minAvailable: 1, maxUnavailable: 1 }),
      /set minAvailable or maxUnavailable, not both/,
    );
  });

  it('topologySpreadConstraints select the release’s pods unless given a labelSelector', () => {
    const own = { matchLabels: { app: 'other' } };
    const objects = renderChart(helmrender, {
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
        {
          maxSkew: 2,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: own,
        },
      ],
    });
    const [first, second] = workload(objects).spec.template.spec.topologySpreadConstraints;
    assert.deepEqual(first, {
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: workload(objects).spec.selector.matchLabels },
    });
    assert.deepEqual(second.labelSelector, own);
  });

  it('extraVolumes, extraVolumeMounts and extraEnv reach the pod, after the chart’s own', () => {
    const objects = renderChart(helmrender, {
      extraVolumes: [{ name: 'targets-ca', secret: { secretName: 'targets-ca' } }],
      extraVolumeMounts: [{ name: 'targets-ca', mountPath: '/etc/targets-ca', readOnly: true }],
      extraEnv: [{ name: 'TZ', value: 'UTC' }],
    });
    const pod = workload(objects).spec.template.spec;
    assert.deepEqual(pod.volumes.at(-1), { name: 'targets-ca', secret: { secretName: 'targets-ca' } });
    assert.deepEqual(pod.volumes.map((v: K8sObject) => v.name).slice(0, 2), ['config', 'tmp']);
    assert.deepEqual(container(objects).volumeMounts.at(-1), {
      name: 'targets-ca',
      mountPath: '/etc/targets-ca',
      readOnly: true,
    });
    assert.equal(envOf(objects).TZ, 'UTC');
  });

  for (const kind of ['ServiceMonitor', 'PodMonitor'] as const) {
    const key = kind === 'ServiceMonitor' ? 'serviceMonitor' : 'podMonitor';
    const endpointsKey = kind === 'ServiceMonitor' ? 'endpoints' : 'podMetricsEndpoints';
    it(`${kind}: jobLabel, honorLabels, additionalLabels; an empty interval is Prometheus' own`, () => {
      const bare = ofKind(renderChart(helmrender, { [key]: { enabled: true } }), kind)[0]!;
      const endpoint = bare.spec[endpointsKey][0];
      assert.deepEqual(
        Object.keys(endpoint).sort(),
        ['path', 'port'],
        'no interval, scrapeTimeout or honorLabels',
      );
      assert.equal(bare.spec.jobLabel, undefined);
      const full = ofKind(
        renderChart(helmrender, {
          [key]: {
            enabled: true,
            jobLabel: 'app.kubernetes.io/instance',
            honorLabels: true,
            additionalLabels: { release: 'kube-prometheus-stack' },
            interval: '1m30s',
            scrapeTimeout: '20s',
          },
        }),
        kind,
      )[0]!;
      assert.equal(full.spec.jobLabel, 'app.kubernetes.io/instance');
      assert.equal(full.metadata.labels.release, 'kube-prometheus-stack');
      assert.equal(full.metadata.labels['app.kubernetes.io/name'], 'netdiag-exporter');
      const set = full.spec[endpointsKey][0];
      assert.deepEqual([set.honorLabels, set.interval, set.scrapeTimeout], [true, '1m30s', '20s']);
    });
  }

  describe('NOTES.txt', () => {
    it('curls by HTTP without TLS, by HTTPS with a CA (or -k) with TLS, with credentials under basic auth', () => {
      const plain = renderNotes(helmrender);
      assert.match(plain, /curl -s http:\/\/127\.0\.0\.1:9469\/metrics/);
      assert.doesNotMatch(plain, /https:/);
      const tls = renderNotes(helmrender, {
        webConfig: { tls_server_config: { cert_file: '/c', key_file: '/k' } },
        webTlsSecret: 'exporter-tls',
      });
      assert.match(tls, /curl -s --cacert ca\.crt https:\/\/127\.0\.0\.1:9469\/metrics/);
      assert.match(tls, /-k instead of --cacert/);
      assert.match(tls, /ca\.crt key of Secret exporter-tls/);
      assert.doesNotMatch(tls, /http:\/\/127/);
      const both = renderNotes(helmrender, {
        webConfig: { tls_server_config: { cert_file: '/c', key_file: '/k' }, basic_auth_users: { u: 'x' } },
      });
      assert.match(both, /curl -s -u USER:PASSWORD --cacert ca\.crt https:/);
    });

    it('warns when both monitors would scrape every pod twice', () => {
      const twice = /scrapes every pod twice/;
      assert.match(
        renderNotes(helmrender, { serviceMonitor: { enabled: true }, podMonitor: { enabled: true } }),
        twice,
      );
      assert.doesNotMatch(renderNotes(helmrender, { serviceMonitor: { enabled: true } }), twice);
      assert.doesNotMatch(renderNotes(helmrender, { podMonitor: { enabled: true } }), twice);
    });

    for (const [kind, release, name] of [
      ['Deployment', 'probe', 'deployment/probe-netdiag-exporter'],
      // <release>-netdiag-exporter cut to 52 characters, the StatefulSet's name.
      ['StatefulSet', 'r'.repeat(50), `statefulset/${'r'.repeat(50)}-n`],
    ] as const) {
      it(`${kind}: the --config.check hint checks the config rendered from the new values, and works`, () => {
        const notes = renderNotes(helmrender, { kind }, release);
        assert.match(
          notes,
          /helm template \S+ CHART -n monitoring -f NEW-VALUES\.yaml --show-only templates\/configmap\.yaml/,
        );
        assert.match(notes, /kubectl create --dry-run=client -o jsonpath='\{\.data\.config\\\.yaml\}' -f -/);
        const exec = /kubectl -n monitoring exec -i (\S+) -- \\\n\s+sh -c '([^']+)'/.exec(notes);
        assert.ok(exec, notes);
        assert.equal(exec[1], name, 'the workload as rendered');

        // Run the pod's half of the hint here: the image's CLI path and /tmp become local ones.
        const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-notes-'));
        try {
          // /tmp/ first: the checkout itself may live under /tmp (CI's clone does).
          const script = exec[2]!
            .replaceAll('/tmp/', `${dir}/`)
            .replaceAll('/app/dist/exporter/cli/main.js', cliPath);
          const configOf = (values: object): string =>
            ofKind(renderChart(helmrender, values), 'ConfigMap')[0]!.data['config.yaml'];
          const good = spawnSync('sh', ['-c', script], { input: configOf({}), encoding: 'utf8' });
          assert.equal(good.status, 0, good.stderr);
          assert.match(good.stdout, /valid, 2 target\(s\)/);
          const bad = spawnSync('sh', ['-c', script], {
            input: configOf({ config: { targets: [{ name: 'gw', hots: '192.0.2.1', ping: {} }] } }),
            encoding: 'utf8',
          });
          assert.equal(bad.status, 1, 'a broken new config is reported');
          assert.match(bad.stdout + bad.stderr, /hots/);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
});
