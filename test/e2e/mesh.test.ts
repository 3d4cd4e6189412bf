import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, startDnsServer, type DnsServer, type LinkEnd } from '../lab';
import { buildHelmRender, renderChart } from '../deploy/helm-render';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** The peers a node pings (the address label of its ping series) and the source_node they carry. */
function peersOf(samples: Sample[]): { peers: string[]; sources: string[] } {
  const sent = select(samples, 'netdiag_ping_sent_total', { target: 'mesh' });
  return {
    peers: [...new Set(sent.map((s) => s.labels.address!))].sort(),
    sources: [...new Set(sent.map((s) => s.labels.source_node!))],
  };
}

/** The chart's mesh config, as the ConfigMap carries it. */
function meshConfig(values: object): string {
  const objects = renderChart(buildHelmRender(), { mesh: { enabled: true, ...values } });
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-mesh'));
  return configMap!.data['config.yaml'] as string;
}

/**
 * Three "nodes" (namespaces) behind one switch, each running the exporter on the chart's mesh config
 * with its own NODE_NAME and POD_IP (what the downward API sets), against a real DNS server that
 * answers the headless Service's name with the three node addresses.
 */
describe('mesh mode: three nodes probe each other through the Service name (lab, dnsmasq)', () => {
  const lab = useLab();
  const SERVICE = 'probe-netdiag-exporter-mesh.monitoring.svc.cluster.local';
  const nodes: Array<{ name: string; end: LinkEnd; exporter?: ExporterProcess }> = [];
  let dns: DnsServer;

  before(async () => {
    const router = await lab().namespace('switch', { router: true });
    for (const name of ['node-a', 'node-b', 'node-c']) {
      const ns = await lab().namespace(name);
      const link = await lab().connect(ns, router);
      await lab().defaultRoute(ns, link.b);
      nodes.push({ name, end: link.a });
    }
    const routerEnd = (await lab().connect(router, await lab().namespace('dns'))).a;
    dns = await startDnsServer(router, routerEnd.ipv4, { [SERVICE]: nodes.map((n) => n.end.ipv4) });
    const config = meshConfig({ ping: { interval: '100ms', timeout: '100ms' }, dnsRefresh: '500ms' });
    for (const node of nodes) {
      await dns.serve(node.end.ns);
      node.exporter = await startExporter(
        node.end.ns,
        config,
        9469,
        [],
        ['env', `NODE_NAME=${node.name}`, `POD_IP=${node.end.ipv4}`],
      );
    }
  });

  after(async () => {
    for (const node of nodes) if (node.exporter) assert.equal(await node.exporter.stop(), 0);
    dns?.stop();
  });

  it('every node pings every other node and not itself, each series labelled with its source node', async () => {
    const all = nodes.map((n) => n.end.ipv4).sort();
    for (const node of nodes) {
      const samples = await until(`${node.name} probing its peers`, async () => {
        const s = await node.exporter!.scrape();
        const received = select(s, 'netdiag_ping_received_total', { target: 'mesh' });
        return peersOf(s).peers.length === 2 && received.every((r) => r.value > 0) ? s : undefined;
      });
      const { peers, sources } = peersOf(samples);
      assert.deepEqual(
        peers,
        all.filter((a) => a !== node.end.ipv4),
        `${node.name} probes the two others`,
      );
      assert.deepEqual(sources, [node.name]);
      assert.equal(
        select(samples, 'netdiag_ping_loss_ratio', { target: 'mesh', source_node: node.name }).length,
        2,
      );
    }
  });

  it('follows a node leaving the Service: its peers stop probing it at the next refresh', async () => {
    const gone = nodes[2]!;
    await dns.setRecords({ [SERVICE]: nodes.slice(0, 2).map((n) => n.end.ipv4) });
    for (const node of nodes.slice(0, 2)) {
      const samples = await until(`${node.name} dropping ${gone.name}`, async () => {
        const s = await node.exporter!.scrape();
        return peersOf(s).peers.length === 1 ? s : undefined;
      });
      assert.equal(samples.filter((s) => s.labels.address === gone.end.ipv4).length, 0);
    }
  });
});
