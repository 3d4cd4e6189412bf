import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { RUN_USAGE } from '../../exporter/cli/run-command';
import { cliPath, repoRoot } from '../support/paths';
import { instructionsOf, parseDockerfile } from './dockerfile';
import { buildHelmRender, chartDir, renderChart, type K8sObject } from './helm-render';

const run = promisify(execFile);
const KINDS = ['Deployment', 'DaemonSet', 'StatefulSet'] as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Flags the exporter binary knows today: the chart must pass no other (an unknown flag stops it at start). */
const KNOWN_FLAGS = new Set(RUN_USAGE.match(/--[a-z][a-z.-]*/g));
const ALL_EXTRAS = {
  serviceMonitor: { enabled: true },
  podMonitor: { enabled: true },
  dashboard: { enabled: true },
};

const imageUser = (() => {
  const dockerfile = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
  const runtime = dockerfile.stages.at(-1)!;
  const [uid, gid] = instructionsOf(runtime, 'USER').at(-1)!.args.split(':');
  return { uid: Number(uid), gid: Number(gid ?? uid) };
})();

const find = (objects: K8sObject[], kind: string, suffix = ''): K8sObject | undefined =>
  objects.find((o) => o.kind === kind && (suffix === '' || String(o.metadata.name).endsWith(suffix)));
const only = (objects: K8sObject[], kind: string): K8sObject => {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0]!;
};
const includes = (labels: Record<string, string>, subset: Record<string, string>): boolean =>
  Object.entries(subset).every(([k, v]) => labels[k] === v);

/** Checks every object has the shape Kubernetes requires and the chart's common labels. */
function assertWellFormed(objects: K8sObject[]): void {
  const names = new Set<string>();
  for (const o of objects) {
    assert.equal(typeof o.apiVersion, 'string', `apiVersion of ${JSON.stringify(o).slice(0, 80)}`);
    assert.equal(typeof o.kind, 'string');
    assert.match(o.metadata?.name, DNS_LABEL, `${o.kind} name`);
    assert.ok(o.metadata.name.length <= 63);
    assert.equal(o.metadata.namespace, 'monitoring');
    assert.equal(o.metadata.labels['app.kubernetes.io/name'], 'netdiag-exporter');
    assert.equal(o.metadata.labels['app.kubernetes.io/instance'], 'probe');
    assert.equal(o.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
    const key = `${o.kind}/${o.metadata.name}`;
    assert.ok(!names.has(key), `${key} rendered twice`);
    names.add(key);
  }
}

function workloadOf(
  objects: K8sObject[],
  kind: string,
): { workload: K8sObject; pod: K8sObject; container: K8sObject } {
  const workload = only(objects, kind);
  assert.equal(workload.apiVersion, 'apps/v1');
  const pod = workload.spec.template;
  assert.equal(pod.spec.containers.length, 1);
  return { workload, pod, container: pod.spec.containers[0] };
}

describe('Helm chart helm/netdiag-exporter (rendered by test/tools/helmrender)', () => {
  let helmrender: string;
  before(() => {
    helmrender = buildHelmRender();
  });

  for (const kind of KINDS) {
    for (const extras of [false, true]) {
      it(`kind ${kind}${extras ? ' with ServiceMonitor, PodMonitor and dashboard' : ''}: valid objects`, () => {
        const objects = renderChart(helmrender, { kind, replicaCount: 3, ...(extras ? ALL_EXTRAS : {}) });
        assertWellFormed(objects);
        for (const other of KINDS.filter((k) => k !== kind)) assert.equal(find(objects, other), undefined);
        const { workload, pod, container } = workloadOf(objects, kind);
        const podLabels = pod.metadata.labels;

        assert.ok(includes(podLabels, workload.spec.selector.matchLabels), 'selector matches the pod labels');
        assert.equal(workload.spec.replicas, kind === 'DaemonSet' ? undefined : 3);
        const services = objects.filter((o) => o.kind === 'Service');
        for (const service of services) {
          assert.ok(includes(podLabels, service.spec.selector), `${service.metadata.name} selects the pods`);
          assert.equal(service.spec.ports[0].targetPort, 'http');
        }
        assert.deepEqual(
          container.ports.map((p: K8sObject) => [p.name, p.containerPort]),
          [['http', 9469]],
        );

        const env = Object.fromEntries((container.env ?? []).map((e: K8sObject) => [e.name, e]));
        if (kind === 'StatefulSet') {
          const headless = services.find((s) => s.spec.clusterIP === 'None');
          assert.equal(
            workload.spec.serviceName,
            headless?.metadata.name,
            'serviceName is the headless service',
          );
          assert.ok(container.args.includes('--shard.from-hostname'));
          assert.equal(env.POD_NAME?.valueFrom.fieldRef.fieldPath, 'metadata.name');
          assert.equal(env.NETDIAG_SHARD_COUNT?.value, '3');
        } else {
          assert.ok(!container.args.includes('--shard.from-hostname'));
          assert.equal(env.NETDIAG_SHARD_COUNT, undefined);
          assert.equal(services.length, 1);
        }

        for (const arg of container.args) {
          const flag = String(arg).split('=')[0]!;
          assert.ok(KNOWN_FLAGS.has(flag), `${flag} is a flag the exporter knows`);
        }
        assert.ok(container.args.includes('--config.file=/etc/netdiag-exporter/config.yaml'));
        const configMap = only(
          objects.filter((o) => !o.metadata.name.endsWith('-dashboard')),
          'ConfigMap',
        );
        const volume = pod.spec.volumes.find((v: K8sObject) => v.configMap?.name === configMap.metadata.name);
        const mount = container.volumeMounts.find((m: K8sObject) => m.name === volume?.name);
        assert.equal(mount?.mountPath, '/etc/netdiag-exporter');
        assert.equal(container.livenessProbe.httpGet.path, '/-/healthy');
        assert.equal(container.readinessProbe.httpGet.path, '/-/ready');
        assert.equal(container.readinessProbe.httpGet.port, 'http');
        assert.match(pod.metadata.annotations['checksum/config'], /^[0-9a-f]{64}$/);

        const monitor = find(objects, 'ServiceMonitor');
        const podMonitor = find(objects, 'PodMonitor');
        const dashboard = find(objects, 'ConfigMap', '-dashboard');
        assert.equal(monitor !== undefined, extras);
        assert.equal(podMonitor !== undefined, extras);
        assert.equal(dashboard !== undefined, extras);
        if (extras) {
          assert.equal(monitor!.apiVersion, 'monitoring.coreos.com/v1');
          assert.ok(includes(services[0]!.metadata.labels, monitor!.spec.selector.matchLabels));
          assert.equal(monitor!.spec.endpoints[0].port, 'http');
          assert.ok(includes(podLabels, podMonitor!.spec.selector.matchLabels));
          assert.equal(podMonitor!.spec.podMetricsEndpoints[0].port, 'http');
          assert.equal(dashboard!.metadata.labels.grafana_dashboard, '1');
          const json = dashboard!.data['netdiag-exporter.json'];
          const file = readFileSync(path.join(chartDir, 'dashboards', 'netdiag-exporter.json'), 'utf8');
          assert.deepEqual(JSON.parse(json), JSON.parse(file), 'the ConfigMap carries the dashboard file');
        }
      });
    }
  }

  it('runs the container as the image user with NET_RAW alone, no escalation, read-only root and requests', () => {
    for (const kind of KINDS) {
      const { container, pod } = workloadOf(renderChart(helmrender, { kind }), kind);
      const security = container.securityContext;
      assert.deepEqual(security.capabilities, { add: ['NET_RAW'], drop: ['ALL'] });
      assert.equal(security.readOnlyRootFilesystem, true);
      assert.equal(security.allowPrivilegeEscalation, false);
      assert.equal(security.runAsNonRoot, true);
      assert.equal(security.privileged, undefined);
      assert.deepEqual(
        [security.runAsUser, security.runAsGroup],
        [imageUser.uid, imageUser.gid],
        'the Dockerfile USER',
      );
      assert.ok(container.resources.requests.cpu && container.resources.requests.memory, 'requests');
      assert.equal(pod.spec.hostNetwork, undefined);
      assert.equal(pod.spec.automountServiceAccountToken, false);
    }
  });

  it('changes checksum/config when, and only when, the config changes', () => {
    const checksum = (values: object): string => {
      const { pod } = workloadOf(renderChart(helmrender, values), 'Deployment');
      return pod.metadata.annotations['checksum/config'];
    };
    const config = { targets: [{ name: 'gw', host: '192.0.2.1', ping: {} }] };
    assert.equal(checksum({ config }), checksum({ config }));
    assert.notEqual(checksum({ config }), checksum({}));
    const moved = { targets: [{ name: 'gw', host: '192.0.2.2', ping: {} }] };
    assert.notEqual(checksum({ config }), checksum({ config: moved }));
    assert.equal(checksum({ config, replicaCount: 2 }), checksum({ config }), 'other values leave it alone');
  });

  for (const [what, config] of [
    ['the default config', undefined],
    [
      'a config given as a YAML string',
      'targets:\n  - name: gw\n    host: 192.0.2.1\n    ping: { interval: 5s }\n',
    ],
    [
      'a config map with every documented section',
      {
        defaults: { ping: { interval: '2s', timeout: '1s', size: 56, window: '1m' } },
        histogram_buckets: [0.001, 0.002, 0.004],
        dns: { refresh: '5m' },
        targets: [
          { name: 'a', host: '2001:db8::1', family: 'ipv6', labels: { site: 'ams', rack: 12 }, ping: {} },
          { name: 'b', host: 'example.org', family: 'dual', ping: { interval: '500ms' } },
        ],
      },
    ],
  ] as const) {
    it(`renders ${what} into a ConfigMap that passes --config.check`, async () => {
      const values = config === undefined ? {} : { config };
      const configMap = renderChart(helmrender, values).find(
        (o) => o.kind === 'ConfigMap' && !o.metadata.name.endsWith('-dashboard'),
      );
      const text = configMap?.data['config.yaml'];
      assert.equal(typeof text, 'string');
      const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-helm-config-'));
      try {
        const file = path.join(dir, 'config.yaml');
        writeFileSync(file, text);
        const { stdout } = await run('node', [cliPath, '--config.check', `--config.file=${file}`]);
        assert.match(stdout, /valid, \d+ target\(s\)/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('webConfig: passed as --web.config.file; probes by HTTPS with TLS, by port with basic auth', () => {
    const tls = {
      cert_file: '/etc/netdiag-exporter-tls/tls.crt',
      key_file: '/etc/netdiag-exporter-tls/tls.key',
    };
    const auth = { prometheus: '$2y$10$abcdefghijklmnopqrstuv' };
    const cases = [
      { webConfig: { tls_server_config: tls }, liveness: 'https' },
      { webConfig: { tls_server_config: tls, basic_auth_users: auth }, liveness: 'port' },
      { webConfig: { basic_auth_users: auth }, liveness: 'port' },
    ];
    for (const { webConfig, liveness } of cases) {
      const objects = renderChart(helmrender, {
        webConfig,
        webTlsSecret: 'exporter-tls',
        serviceMonitor: { enabled: true, scheme: 'https', tlsConfig: { insecureSkipVerify: true } },
      });
      assertWellFormed(objects);
      const secret = only(objects, 'Secret');
      assert.match(secret.stringData['web-config.yml'], /(basic_auth_users|tls_server_config):/);
      const { container, pod } = workloadOf(objects, 'Deployment');
      assert.ok(container.args.includes('--web.config.file=/etc/netdiag-exporter-web/web-config.yml'));
      assert.match(pod.metadata.annotations['checksum/web-config'], /^[0-9a-f]{64}$/);
      const mounts = Object.fromEntries(container.volumeMounts.map((m: K8sObject) => [m.mountPath, m.name]));
      assert.ok(mounts['/etc/netdiag-exporter-web'] && mounts['/etc/netdiag-exporter-tls']);
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        if (liveness === 'port') assert.deepEqual(probe.tcpSocket, { port: 'http' });
        else assert.equal(probe.httpGet.scheme, 'HTTPS');
      }
      const endpoint = only(objects, 'ServiceMonitor').spec.endpoints[0];
      assert.equal(endpoint.scheme, 'https');
      assert.deepEqual(endpoint.tlsConfig, { insecureSkipVerify: true });
    }
  });

  it('otlp: the standard OTEL_* variables, with the pod as service.instance.id', () => {
    const objects = renderChart(helmrender, {
      otlp: { enabled: true, endpoint: 'http://collector:4318', resourceAttributes: { site: 'ams' } },
    });
    assertWellFormed(objects);
    const { container } = workloadOf(objects, 'Deployment');
    const env = Object.fromEntries(container.env.map((e: K8sObject) => [e.name, e]));
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT.value, 'http://collector:4318');
    assert.match(
      env.OTEL_RESOURCE_ATTRIBUTES.value,
      /service\.instance\.id=\$\(OTEL_K8S_POD_NAME\).*,site=ams$/,
    );
  });

  it('refuses an unknown kind and an OTLP push without endpoint', () => {
    assert.throws(
      () => renderChart(helmrender, { kind: 'Job' }),
      /\.kind: should be equal to one of the allowed values/, // values.schema.json, before the template's own check
    );
    assert.throws(() => renderChart(helmrender, { otlp: { enabled: true } }), /otlp.endpoint is required/);
  });
});
