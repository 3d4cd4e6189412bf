import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildHelmRender, renderChart, type K8sObject } from './helm-render';
import { loadKubernetesSchemas } from './k8s-schema';
import { scrapesByWorkload, selects, workloadsOf } from './scrapes';

// Every mode of the chart, validated as the API server would (Kubernetes 1.30 and the Prometheus
// operator's CRDs, unknown fields rejected), then the checks a schema cannot make: name and label
// lengths for every release name length, and which pods the monitors really scrape (each once).

const TLS = { cert_file: '/etc/netdiag-exporter-tls/tls.crt', key_file: '/etc/netdiag-exporter-tls/tls.key' };
const SCRAPE_AUTH = {
  username: { name: 'scrape-auth', key: 'username' },
  password: { name: 'scrape-auth', key: 'password' },
};
const MONITOR_OPTIONS = {
  enabled: true,
  additionalLabels: { release: 'kube-prometheus-stack' },
  jobLabel: 'app.kubernetes.io/name',
  honorLabels: true,
  interval: '15s',
  scrapeTimeout: '10s',
  relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }],
  metricRelabelings: [{ sourceLabels: ['__name__'], regex: 'go_.*', action: 'drop' }],
};
/** Every optional object and option at once. */
const EVERYTHING = {
  serviceMonitor: MONITOR_OPTIONS,
  podMonitor: MONITOR_OPTIONS,
  dashboard: { enabled: true, annotations: { grafana_folder: 'Network' } },
  podDisruptionBudget: { enabled: true, minAvailable: '50%' },
  serviceAccount: { create: true, annotations: { 'example.com/role': 'probe' } },
  commonLabels: { team: 'network' },
  podLabels: { tier: 'monitoring' },
  podAnnotations: { 'example.com/note': 'probes' },
  image: { registry: 'registry.example', digest: `sha256:${'a'.repeat(64)}` },
  otlp: {
    enabled: true,
    endpoint: 'http://collector:4318',
    interval: 1000000,
    headersSecret: { name: 'otlp-auth', key: 'headers' },
    resourceAttributes: { site: 'ams', rack: 12 },
  },
  extraEnv: [{ name: 'TZ', value: 'UTC' }],
  extraVolumes: [{ name: 'targets-ca', secret: { secretName: 'targets-ca' } }],
  extraVolumeMounts: [{ name: 'targets-ca', mountPath: '/etc/targets-ca', readOnly: true }],
  extraArgs: ['--config.watch-interval=30s'],
  topologySpreadConstraints: [
    { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' },
  ],
  tolerations: [{ operator: 'Exists' }],
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  priorityClassName: 'system-node-critical',
  podSecurityContext: { fsGroup: 65534 },
  terminationGracePeriodSeconds: 45,
};
/** TLS and basic auth on every endpoint, and monitors that scrape by HTTPS with credentials. */
const SECURED = {
  webConfig: {
    tls_server_config: TLS,
    basic_auth_users: { prometheus: '$2y$10$abcdefghijklmnopqrstuv' },
  },
  webTlsSecret: 'exporter-tls',
};
const MESH = {
  enabled: true,
  maxPeers: 3,
  knock: true,
  nodeSelector: { 'kubernetes.io/os': 'linux' },
};
const MODES: [string, object][] = [
  ['Deployment (defaults)', {}],
  ['Deployment with everything', EVERYTHING],
  ['Deployment, no ServiceAccount created', { serviceAccount: { create: false, name: 'existing' } }],
  ['DaemonSet on the host network', { kind: 'DaemonSet', hostNetwork: true, ...EVERYTHING }],
  ['DaemonSet in a user namespace', { kind: 'DaemonSet', hostUsers: false }],
  ['StatefulSet of 3 shards', { kind: 'StatefulSet', replicaCount: 3 }],
  [
    'StatefulSet with everything',
    {
      kind: 'StatefulSet',
      replicaCount: 3,
      updateStrategy: { rollingUpdate: { partition: 1 } },
      ...EVERYTHING,
    },
  ],
  [
    'TLS and basic auth, monitors by HTTPS',
    {
      ...SECURED,
      serviceMonitor: {
        enabled: true,
        scheme: 'https',
        tlsConfig: { ca: { secret: { name: 'exporter-tls', key: 'ca.crt' } }, serverName: 'netdiag' },
        basicAuth: SCRAPE_AUTH,
      },
      podMonitor: {
        enabled: true,
        scheme: 'https',
        tlsConfig: { insecureSkipVerify: true },
        basicAuth: SCRAPE_AUTH,
      },
    },
  ],
  ['TLS alone', { kind: 'StatefulSet', webConfig: { tls_server_config: TLS }, webTlsSecret: 'exporter-tls' }],
  ['PodDisruptionBudget by default', { podDisruptionBudget: { enabled: true } }],
  ['PodDisruptionBudget of a number', { podDisruptionBudget: { enabled: true, maxUnavailable: 2 } }],
  [
    'long names',
    {
      kind: 'StatefulSet',
      fullnameOverride: 'x'.repeat(70),
      ...EVERYTHING,
      webConfig: { tls_server_config: TLS },
    },
  ],
  ['mesh (defaults)', { mesh: { enabled: true } }],
  [
    'mesh with everything, TLS, basic auth, and monitors by HTTPS',
    {
      ...EVERYTHING,
      ...SECURED,
      hostUsers: false,
      mesh: MESH,
      serviceMonitor: {
        ...MONITOR_OPTIONS,
        scheme: 'https',
        tlsConfig: { ca: { secret: { name: 'exporter-tls', key: 'ca.crt' } }, serverName: 'netdiag' },
        basicAuth: SCRAPE_AUTH,
      },
      podMonitor: {
        ...MONITOR_OPTIONS,
        scheme: 'https',
        tlsConfig: { insecureSkipVerify: true },
        basicAuth: SCRAPE_AUTH,
      },
    },
  ],
  [
    'mesh on the host network, beside a StatefulSet',
    { kind: 'StatefulSet', mesh: { enabled: true, hostNetwork: true }, serviceMonitor: { enabled: true } },
  ],
  [
    'mesh with long names',
    {
      nameOverride: 'y'.repeat(70),
      fullnameOverride: 'x'.repeat(70),
      ...EVERYTHING,
      mesh: MESH,
    },
  ],
];
const withMonitors = (values: object): boolean => 'serviceMonitor' in values || 'podMonitor' in values;

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A release name of `length` characters, with hyphens where truncation could leave one at the end. */
const releaseName = (length: number): string => {
  const name = 'rel-'.repeat(20).slice(0, length);
  return name.endsWith('-') ? `${name.slice(0, -1)}x` : name;
};

/** Every label map of an object: its own, its pod template's, and the selectors that must match them. */
function labelMaps(o: K8sObject): [string, Record<string, string>][] {
  const maps: [string, Record<string, string> | undefined][] = [
    ['metadata.labels', o.metadata.labels],
    ['spec.template.metadata.labels', o.spec?.template?.metadata?.labels],
    ['spec.selector.matchLabels', o.spec?.selector?.matchLabels],
    ['spec.selector', o.kind === 'Service' ? o.spec.selector : undefined],
  ];
  return maps.filter((entry): entry is [string, Record<string, string>] => entry[1] !== undefined);
}

describe('Helm chart: every mode against the Kubernetes 1.30 and Prometheus operator schemas', () => {
  let helmrender: string;
  let schemas: ReturnType<typeof loadKubernetesSchemas>;
  before(() => {
    helmrender = buildHelmRender();
    schemas = loadKubernetesSchemas();
  });

  for (const [mode, values] of MODES) {
    it(`${mode}: every object is valid`, () => {
      const objects = renderChart(helmrender, values);
      assert.ok(
        objects.some((o) => o.apiVersion === 'apps/v1'),
        'a workload',
      );
      for (const o of objects) {
        const schema = schemas.get(`${o.apiVersion}/${o.kind}`);
        assert.ok(schema, `a vendored schema for ${o.apiVersion} ${o.kind} (scripts/vendor-k8s-schemas.mjs)`);
        assert.deepEqual(schema.validate(o), [], `${o.kind} ${o.metadata.name}`);
      }
    });
  }

  for (const [mode, values] of MODES.filter(([, v]) => withMonitors(v))) {
    it(`${mode}: every pod is scraped exactly once by each kind of monitor rendered`, () => {
      const objects = renderChart(helmrender, values);
      const kinds = new Set(
        objects.map((o) => o.kind).filter((k) => k === 'ServiceMonitor' || k === 'PodMonitor'),
      );
      assert.ok(kinds.size > 0, 'a monitor');
      // Both kinds at once scrape every pod twice, under two jobs: NOTES.txt warns of it. Each kind
      // alone must take every pod of the release (the mesh's too) once.
      for (const [workload, scrapes] of scrapesByWorkload(objects))
        for (const kind of kinds)
          assert.deepEqual(
            scrapes.filter((s) => s.kind === kind).length,
            1,
            `${workload} by ${kind}: ${JSON.stringify(scrapes)}`,
          );
      const used = new Set(
        [...scrapesByWorkload(objects).values()].flat().map((s) => `${s.kind}/${s.monitor}`),
      );
      for (const monitor of objects.filter((o) => kinds.has(o.kind)))
        assert.ok(
          used.has(`${monitor.kind}/${monitor.metadata.name}`),
          `${monitor.kind} ${monitor.metadata.name} scrapes some pods`,
        );
    });
  }

  it('the scrape count sees a pod left out and a pod scraped twice', () => {
    const objects = renderChart(helmrender, {
      kind: 'StatefulSet',
      mesh: { enabled: true },
      serviceMonitor: { enabled: true },
      podMonitor: { enabled: true },
    });
    const count = (o: typeof objects): Record<string, string[]> =>
      Object.fromEntries(
        [...scrapesByWorkload(o)].map(([w, s]) => [w, s.map((x) => `${x.kind} ${x.via ?? '-'}`)]),
      );
    assert.deepEqual(count(objects), {
      'StatefulSet/probe-netdiag-exporter': ['ServiceMonitor probe-netdiag-exporter', 'PodMonitor -'],
      'DaemonSet/probe-netdiag-exporter-mesh': ['ServiceMonitor probe-netdiag-exporter-mesh', 'PodMonitor -'],
    });
    // The chart before the mesh monitors: the mesh pods never scraped.
    const withoutMesh = objects.filter(
      (o) => !(o.kind.endsWith('Monitor') && o.metadata.name === 'probe-netdiag-exporter-mesh'),
    );
    assert.deepEqual(count(withoutMesh)['DaemonSet/probe-netdiag-exporter-mesh'], []);
    // The chart before the metrics label: the headless Service scraped as well.
    const spoiled = structuredClone(objects);
    const headless = spoiled.find((o) => o.kind === 'Service' && o.metadata.name.endsWith('-headless'))!;
    headless.metadata.labels['app.kubernetes.io/component'] = 'metrics';
    assert.deepEqual(count(spoiled)['StatefulSet/probe-netdiag-exporter'], [
      'ServiceMonitor probe-netdiag-exporter',
      'ServiceMonitor probe-netdiag-exporter-headless',
      'PodMonitor -',
    ]);
  });

  it('the validation rejects what the API server rejects: an unknown field, a misplaced one, a wrong type', () => {
    const objects = renderChart(helmrender, { kind: 'StatefulSet', serviceMonitor: { enabled: true } });
    const check = (kind: string, spoil: (o: K8sObject) => void): string[] => {
      const o = structuredClone(objects.find((x) => x.kind === kind)!);
      spoil(o);
      return schemas.get(`${o.apiVersion}/${o.kind}`)!.validate(o);
    };
    assert.match(
      check('StatefulSet', (o) => (o.spec.template.spec.containers[0].hostUsers = false)).join(),
      /containers\[0\].*hostUsers/,
    );
    assert.match(check('StatefulSet', (o) => (o.spec.replicas = '3')).join(), /replicas should be integer/);
    assert.match(check('Service', (o) => (o.spec.ports[0].port = '9469')).join(), /port should be integer/);
    assert.deepEqual(
      check('Service', (o) => (o.spec.ports[0].targetPort = 9469)),
      [],
      'int-or-string',
    );
    assert.match(check('ServiceMonitor', (o) => (o.spec.endpoints[0].intervall = '30s')).join(), /intervall/);
    assert.match(check('ServiceMonitor', (o) => (o.spec.endpoints[0].interval = '30 s')).join(), /pattern/);
    assert.match(check('ConfigMap', (o) => (o.metadata.labels.shard = 3)).join(), /should be string/);
    assert.deepEqual(
      check('StatefulSet', (o) => (o.spec.template.spec.containers[0].resources.limits.cpu = 1)),
      [],
      'a Quantity may be a number',
    );
  });

  it('StatefulSet with a ServiceMonitor: exactly one Service is scraped, the metrics one', () => {
    for (const extra of [{}, EVERYTHING]) {
      const objects = renderChart(helmrender, {
        kind: 'StatefulSet',
        replicaCount: 3,
        ...extra,
        serviceMonitor: { enabled: true },
      });
      const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
      const selector = monitor.spec.selector;
      assert.equal(selector.matchExpressions, undefined, 'matchLabels alone, as counted here');
      const namespaces: string[] = monitor.spec.namespaceSelector.matchNames;
      const ports = new Set(monitor.spec.endpoints.map((e: K8sObject) => e.port));
      const services = objects.filter((o) => o.kind === 'Service');
      assert.equal(services.length, 2, 'the metrics Service and the headless one');
      const scraped = services.filter(
        (s) =>
          namespaces.includes(s.metadata.namespace) &&
          selects(s.metadata.labels, selector.matchLabels) &&
          s.spec.ports.some((p: K8sObject) => ports.has(p.name)),
      );
      assert.deepEqual(
        scraped.map((s) => s.metadata.name),
        ['probe-netdiag-exporter'],
        'one Service, one job',
      );
      assert.notEqual(scraped[0]!.spec.clusterIP, 'None');
      const statefulSet = objects.find((o) => o.kind === 'StatefulSet')!;
      const headless = services.find((s) => s.spec.clusterIP === 'None')!;
      assert.equal(statefulSet.spec.serviceName, headless.metadata.name);
      assert.ok(
        selects(statefulSet.spec.template.metadata.labels, headless.spec.selector),
        'it still names the pods',
      );
    }
  });

  for (const kind of ['StatefulSet', 'Deployment', 'DaemonSet']) {
    it(`${kind}: every name and label value fits its limit, for release names of 1 to 80 characters`, () => {
      for (let length = 1; length <= 80; length++) {
        const release = releaseName(length);
        const objects = renderChart(
          helmrender,
          {
            kind,
            ...EVERYTHING,
            webConfig: { tls_server_config: TLS },
            webTlsSecret: 'exporter-tls',
            mesh: MESH,
          },
          release,
        );
        const names = new Set<string>();
        for (const o of objects) {
          const name: string = o.metadata.name;
          const what = `release of ${length}: ${o.kind} ${name}`;
          assert.match(name, DNS_LABEL, what);
          assert.ok(name.length <= 63, `${what}: ${name.length} characters`);
          assert.ok(!names.has(`${o.kind}/${name}`), `${what}: rendered twice`);
          names.add(`${o.kind}/${name}`);
          for (const [where, labels] of labelMaps(o))
            for (const [key, value] of Object.entries(labels)) {
              assert.match(value, LABEL_VALUE, `${what}: ${where} ${key}=${value}`);
              assert.ok(value.length <= 63, `${what}: ${where} ${key} is ${value.length} characters`);
            }
        }
        const named = (k: string, n: string): boolean => names.has(`${k}/${n}`);
        const workloads = workloadsOf(objects);
        assert.deepEqual(
          workloads.map((w) => w.kind).sort(),
          [kind, 'DaemonSet'].sort(),
          'the workload and the mesh DaemonSet',
        );
        for (const workload of workloads) {
          const pod = workload.spec.template;
          const what = `release of ${length}: ${workload.kind} ${workload.metadata.name}`;
          if (workload.kind === 'StatefulSet') {
            // Its pods are labelled controller-revision-hash=<name>-<hash of 10>, and named <name>-<ordinal>.
            assert.ok(workload.metadata.name.length <= 52, what);
            const governing = objects.find(
              (o) => o.kind === 'Service' && o.metadata.name === workload.spec.serviceName,
            );
            assert.equal(governing?.spec.clusterIP, 'None', `${what}: its headless Service`);
          }
          assert.ok(
            named('ServiceAccount', pod.spec.serviceAccountName),
            `${what} runs as the rendered ServiceAccount`,
          );
          for (const volume of pod.spec.volumes) {
            if (volume.configMap)
              assert.ok(named('ConfigMap', volume.configMap.name), `${what}: ${volume.name}`);
            if (volume.secret && volume.name === 'web-config')
              assert.ok(named('Secret', volume.secret.secretName), `${what}: ${volume.name}`);
          }
        }
        for (const service of objects.filter((o) => o.kind === 'Service'))
          assert.equal(
            workloads.filter((w) => selects(w.spec.template.metadata.labels, service.spec.selector)).length,
            1,
            `release of ${length}: ${service.metadata.name} selects the pods of one workload`,
          );
        for (const [workload, scrapes] of scrapesByWorkload(objects))
          assert.deepEqual(
            scrapes.map((x) => x.kind).sort(),
            ['PodMonitor', 'ServiceMonitor'],
            `release of ${length}: ${workload} scraped once by each monitor kind`,
          );
      }
    });
  }
});
