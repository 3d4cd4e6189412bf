import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { RUN_USAGE } from '../../exporter/cli/run-command';
import { parseConfig } from '../../exporter/config';
import { cliPath } from '../support/paths';
import { buildHelmRender, renderChart, renderNotes, type K8sObject } from './helm-render';

const run = promisify(execFile);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KNOWN_FLAGS = new Set(RUN_USAGE.match(/--[a-z][a-z.-]*/g));
const includes = (labels: Record<string, string>, subset: Record<string, string>): boolean =>
  Object.entries(subset).every(([k, v]) => labels[k] === v);
const mesh = (objects: K8sObject[]): K8sObject[] =>
  objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'mesh');
const one = (objects: K8sObject[], kind: string): K8sObject => {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0]!;
};

describe('Helm chart mesh mode (mesh.enabled)', () => {
  let helmrender: string;
  before(() => {
    helmrender = buildHelmRender();
  });

  it('renders nothing of the mesh unless enabled', () => {
    assert.deepEqual(mesh(renderChart(helmrender, {})), []);
  });

  it('renders a DaemonSet, a headless Service over its pods only, and their config, well-formed', () => {
    const objects = renderChart(helmrender, { mesh: { enabled: true, maxPeers: 3, knock: true } });
    const parts = mesh(objects);
    assert.deepEqual(parts.map((o) => o.kind).sort(), ['ConfigMap', 'DaemonSet', 'Service']);
    for (const o of parts) {
      assert.equal(o.metadata.name, 'probe-netdiag-exporter-mesh');
      assert.match(o.metadata.name, DNS_LABEL);
      assert.equal(o.metadata.namespace, 'monitoring');
      assert.equal(o.metadata.labels['app.kubernetes.io/instance'], 'probe');
      assert.equal(o.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
    }
    const daemonSet = one(parts, 'DaemonSet');
    const service = one(parts, 'Service');
    const pod = daemonSet.spec.template;
    assert.equal(daemonSet.apiVersion, 'apps/v1');
    assert.ok(includes(pod.metadata.labels, daemonSet.spec.selector.matchLabels));
    assert.equal(service.spec.clusterIP, 'None');
    assert.equal(service.spec.publishNotReadyAddresses, true);
    assert.ok(includes(pod.metadata.labels, service.spec.selector), 'the mesh Service selects the mesh pods');
    // The main workload and its Service never take mesh pods, nor the mesh Service theirs.
    const main = objects.find((o) => o.kind === 'Deployment')!;
    const mainService = objects.find((o) => o.kind === 'Service' && o !== service)!;
    assert.ok(!includes(pod.metadata.labels, main.spec.selector.matchLabels));
    assert.ok(!includes(pod.metadata.labels, mainService.spec.selector));
    assert.ok(!includes(main.spec.template.metadata.labels, service.spec.selector));

    const container = pod.spec.containers[0];
    for (const arg of container.args) assert.ok(KNOWN_FLAGS.has(String(arg).split('=')[0]!), String(arg));
    const env = Object.fromEntries(
      container.env.map((e: K8sObject) => [e.name, e.valueFrom.fieldRef.fieldPath]),
    );
    assert.deepEqual(env, { NODE_NAME: 'spec.nodeName', POD_IP: 'status.podIP' });
    assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'], add: ['NET_RAW'] });
    const volume = pod.spec.volumes.find((v: K8sObject) => v.configMap);
    assert.equal(volume.configMap.name, one(parts, 'ConfigMap').metadata.name);
    assert.equal(
      container.volumeMounts.find((m: K8sObject) => m.name === volume.name).mountPath,
      '/etc/netdiag-exporter',
    );
    assert.deepEqual(pod.spec.tolerations, [{ operator: 'Exists' }]);
    assert.match(pod.metadata.annotations['checksum/config'], /^[0-9a-f]{64}$/);
  });

  it("configures each pod to probe the Service's every address but its own, keyed by it, labelled with its node", () => {
    const objects = renderChart(helmrender, { mesh: { enabled: true, maxPeers: 3, knock: true } });
    const text = one(mesh(objects), 'ConfigMap').data['config.yaml'];
    const config = parseConfig(text, 'mesh.yaml', { env: { NODE_NAME: 'node-a', POD_IP: '10.244.1.7' } });
    assert.equal(config.targets.length, 1);
    const [target] = config.targets;
    assert.equal(target!.host, 'probe-netdiag-exporter-mesh.monitoring.svc.cluster.local');
    assert.deepEqual(target!.allAddresses, { max: 3, exclude: ['10.244.1.7'], selectionKey: '10.244.1.7' });
    assert.deepEqual(target!.labels, { source_node: 'node-a' });
    assert.equal(target!.knock?.[0]?.port, 9469);
    assert.equal(config.dns.refresh, 15);
    const every = renderChart(helmrender, { mesh: { enabled: true } });
    const all = parseConfig(one(mesh(every), 'ConfigMap').data['config.yaml'], 'mesh.yaml', {
      env: { NODE_NAME: 'n', POD_IP: '10.0.0.1' },
    });
    assert.equal(all.targets[0]!.allAddresses?.max, 1024, 'maxPeers 0: every peer up to the cap');
    assert.equal(all.targets[0]!.knock, undefined);
  });

  it("has the main pods' web config, labels, account, extras and resources, through the same helpers", () => {
    const TLS = {
      cert_file: '/etc/netdiag-exporter-tls/tls.crt',
      key_file: '/etc/netdiag-exporter-tls/tls.key',
    };
    const shared = {
      kind: 'DaemonSet',
      mesh: { enabled: true },
      commonLabels: { team: 'network' },
      podLabels: { tier: 'monitoring' },
      podAnnotations: { 'example.com/note': 'probes' },
      extraEnv: [{ name: 'TZ', value: 'UTC' }],
      extraVolumes: [{ name: 'targets-ca', secret: { secretName: 'targets-ca' } }],
      extraVolumeMounts: [{ name: 'targets-ca', mountPath: '/etc/targets-ca', readOnly: true }],
      extraArgs: ['--config.watch-interval=30s'],
      priorityClassName: 'system-node-critical',
      serviceAccount: { create: true, name: 'prober' },
      imagePullSecrets: [{ name: 'regcred' }],
      hostUsers: false,
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      otlp: { enabled: true, endpoint: 'http://collector:4318' },
      webTlsSecret: 'exporter-tls',
    };
    for (const [web, probe] of [
      [{ tls_server_config: TLS }, { httpGet: { path: '/-/ready', port: 'http', scheme: 'HTTPS' } }],
      [
        { tls_server_config: TLS, basic_auth_users: { prometheus: '$2y$10$abcdefghijklmnopqrstuv' } },
        { tcpSocket: { port: 'http' } },
      ],
    ] as const) {
      const objects = renderChart(helmrender, { ...shared, webConfig: web });
      const [main, meshPods] = ['netdiag-exporter', 'netdiag-exporter-mesh'].map(
        (name) =>
          objects.find(
            (o) =>
              o.kind === 'DaemonSet' && o.spec.template.metadata.labels['app.kubernetes.io/name'] === name,
          )!.spec.template,
      );
      const { 'app.kubernetes.io/name': _main, ...mainLabels } = main.metadata.labels;
      const {
        'app.kubernetes.io/name': _mesh,
        'app.kubernetes.io/component': component,
        ...meshLabels
      } = meshPods.metadata.labels;
      assert.deepEqual(meshLabels, mainLabels, 'standard labels, commonLabels and podLabels');
      assert.equal(component, 'mesh');
      assert.equal(meshLabels.team, 'network');
      assert.equal(meshLabels.tier, 'monitoring');
      const { 'checksum/config': _a, ...mainAnnotations } = main.metadata.annotations;
      const { 'checksum/config': _b, ...meshAnnotations } = meshPods.metadata.annotations;
      assert.deepEqual(meshAnnotations, mainAnnotations, 'podAnnotations and the web config checksum');
      assert.match(meshAnnotations['checksum/web-config'], /^[0-9a-f]{64}$/);
      for (const key of [
        'serviceAccountName',
        'automountServiceAccountToken',
        'imagePullSecrets',
        'hostUsers',
        'priorityClassName',
        'terminationGracePeriodSeconds',
      ])
        assert.deepEqual(meshPods.spec[key], main.spec[key], key);
      assert.equal(meshPods.spec.serviceAccountName, 'prober');
      const [mainContainer, meshContainer] = [main, meshPods].map((p) => p.spec.containers[0]);
      for (const key of [
        'image',
        'args',
        'ports',
        'livenessProbe',
        'readinessProbe',
        'resources',
        'securityContext',
        'volumeMounts',
      ])
        assert.deepEqual(meshContainer[key], mainContainer[key], `container ${key}`);
      assert.ok(meshContainer.args.includes('--web.config.file=/etc/netdiag-exporter-web/web-config.yml'));
      const {
        periodSeconds: _p,
        timeoutSeconds: _t,
        failureThreshold: _f,
        ...check
      } = meshContainer.readinessProbe;
      assert.deepEqual(check, probe, 'HTTPS with TLS; the port alone with basic auth');
      for (const env of mainContainer.env)
        assert.ok(
          meshContainer.env.some((e: K8sObject) => e.name === env.name),
          env.name,
        );
      const volumes = (p: K8sObject): K8sObject[] =>
        p.spec.volumes.filter((v: K8sObject) => v.name !== 'config');
      assert.deepEqual(volumes(meshPods), volumes(main), 'web config, certificates, /tmp, extraVolumes');
      const secret = objects.find((o) => o.kind === 'Secret')!.metadata.name;
      assert.equal(
        meshPods.spec.volumes.find((v: K8sObject) => v.name === 'web-config').secret.secretName,
        secret,
      );
    }
  });

  it('refuses hostUsers: false with mesh.hostNetwork: true, naming mesh.hostNetwork', () => {
    assert.throws(
      () => renderChart(helmrender, { hostUsers: false, mesh: { enabled: true, hostNetwork: true } }),
      /hostUsers: false cannot be combined with mesh\.hostNetwork: true/,
    );
  });

  for (const kind of ['ServiceMonitor', 'PodMonitor'] as const) {
    it(`scrapes the mesh pods by a ${kind} of their own, with every option of the main one`, () => {
      const key = kind === 'ServiceMonitor' ? 'serviceMonitor' : 'podMonitor';
      const endpoints = kind === 'ServiceMonitor' ? 'endpoints' : 'podMetricsEndpoints';
      const objects = renderChart(helmrender, {
        mesh: { enabled: true },
        [key]: {
          enabled: true,
          namespace: 'obs',
          additionalLabels: { release: 'kube-prometheus-stack' },
          jobLabel: 'app.kubernetes.io/name',
          honorLabels: true,
          interval: '15s',
          scrapeTimeout: '10s',
          relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }],
          metricRelabelings: [{ sourceLabels: ['__name__'], regex: 'go_.*', action: 'drop' }],
          scheme: 'https',
          tlsConfig: { insecureSkipVerify: true },
          basicAuth: {
            username: { name: 'scrape-auth', key: 'username' },
            password: { name: 'scrape-auth', key: 'password' },
          },
        },
      });
      const monitors = objects.filter((o) => o.kind === kind);
      assert.deepEqual(monitors.map((m) => m.metadata.name).sort(), [
        'probe-netdiag-exporter',
        'probe-netdiag-exporter-mesh',
      ]);
      const [main, meshMonitor] = monitors.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      assert.deepEqual(meshMonitor!.spec[endpoints], main!.spec[endpoints], 'the same scrape options');
      assert.equal(meshMonitor!.spec[endpoints][0].scheme, 'https');
      assert.equal(meshMonitor!.metadata.namespace, 'obs');
      assert.equal(meshMonitor!.metadata.labels.release, 'kube-prometheus-stack');
      assert.equal(meshMonitor!.spec.jobLabel, 'app.kubernetes.io/name');
      assert.deepEqual(meshMonitor!.spec.namespaceSelector, main!.spec.namespaceSelector);
      const daemonSet = one(mesh(objects), 'DaemonSet');
      // What the mesh monitor selects: the mesh Service (whose selector takes the mesh pods), or the pods.
      const selected =
        kind === 'ServiceMonitor'
          ? one(mesh(objects), 'Service').metadata.labels
          : daemonSet.spec.template.metadata.labels;
      assert.ok(includes(selected, meshMonitor!.spec.selector.matchLabels));
      const mainSelected =
        kind === 'ServiceMonitor'
          ? objects.find((o) => o.kind === 'Service' && o.metadata.name === 'probe-netdiag-exporter')!
              .metadata.labels
          : objects.find((o) => o.kind === 'Deployment')!.spec.template.metadata.labels;
      assert.ok(!includes(mainSelected, meshMonitor!.spec.selector.matchLabels), 'not the main pods');
      assert.ok(
        !includes(selected, main!.spec.selector.matchLabels),
        'the main monitor does not take mesh pods',
      );
    });
  }

  it('NOTES.txt says which monitor scrapes the mesh pods, or that nothing does yet', () => {
    const name = 'probe-netdiag-exporter-mesh';
    assert.doesNotMatch(renderNotes(helmrender, {}), /Mesh:/);
    const none = renderNotes(helmrender, { mesh: { enabled: true } });
    assert.match(none, new RegExp(`Mesh: DaemonSet ${name} `));
    assert.match(none, new RegExp(`Scrape its pods as well \\(the metrics Service does not reach them\\)`));
    assert.match(
      renderNotes(helmrender, { mesh: { enabled: true }, serviceMonitor: { enabled: true } }),
      new RegExp(`scraped by ServiceMonitor ${name}, with the main monitor's options`),
    );
    assert.match(
      renderNotes(helmrender, { mesh: { enabled: true }, podMonitor: { enabled: true } }),
      new RegExp(`scraped by PodMonitor ${name},`),
    );
  });

  it('passes --config.check with the downward API variables set, and names them when they are not', async () => {
    const objects = renderChart(helmrender, { mesh: { enabled: true } });
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-mesh-'));
    try {
      const file = path.join(dir, 'config.yaml');
      writeFileSync(file, one(mesh(objects), 'ConfigMap').data['config.yaml']);
      const env = { ...process.env, NODE_NAME: 'node-a', POD_IP: '10.244.1.7' };
      const { stdout } = await run('node', [cliPath, '--config.check', `--config.file=${file}`], { env });
      assert.match(stdout, /valid, 1 target\(s\)/);
      const { NODE_NAME: _n, POD_IP: _p, ...without } = env;
      const failed = await run('node', [cliPath, '--config.check', `--config.file=${file}`], {
        env: without,
      }).then(
        () => assert.fail('expected a failure'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(failed.code, 1);
      assert.match(
        failed.stderr,
        /config\.yaml:2:16: labels\.source_node: environment variable NODE_NAME is not set/,
      );
      assert.match(failed.stderr, /exclude_addresses\[0\]: environment variable POD_IP is not set/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps names within 63 characters for a long release name, and refuses a maxPeers out of range', () => {
    const long = 'a-release-name-that-is-long-enough-to-fill-the-whole-limit-x';
    for (const o of mesh(renderChart(helmrender, { mesh: { enabled: true } }, long))) {
      assert.ok(o.metadata.name.length <= 63, o.metadata.name);
      assert.match(o.metadata.name, DNS_LABEL);
    }
    assert.throws(
      () => renderChart(helmrender, { mesh: { enabled: true, maxPeers: 2000 } }),
      // values.schema.json first, as helm does; the template's own check stays for --skip-schema-validation.
      /\.mesh\.maxPeers: should be <= 1024/,
    );
    assert.throws(
      () => renderChart(helmrender, { mesh: { enabled: true, family: 'dual' } }),
      /\.mesh\.family: should be equal to one of the allowed values/,
    );
  });
});
