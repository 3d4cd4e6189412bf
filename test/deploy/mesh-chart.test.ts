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
import { buildHelmRender, renderChart, type K8sObject } from './helm-render';

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
