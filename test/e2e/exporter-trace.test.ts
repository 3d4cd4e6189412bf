import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, requireTools } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';
import { buildTraceLab, LAB_PREFIX4, type TraceLab } from './trace-lab';

const DELAY_MS = 5;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const value = (samples: Sample[], name: string, labels: Record<string, string>): number | undefined =>
  select(samples, name, labels)[0]?.value;

// 16 flows: all of them hashing onto one of the two branches has probability 2^-15 (8 flows: 1/128).
describe('exporter trace metrics through an ECMP lab', () => {
  const lab = useLab();
  let t: TraceLab;
  let exporter: ExporterProcess;

  const rounds = async (target: string, atLeast: number): Promise<Sample[]> => {
    for (let i = 0; i < 100; i++) {
      const samples = await exporter.scrape();
      if ((value(samples, 'netdiag_trace_rounds_total', { target }) ?? 0) >= atLeast) return samples;
      await sleep(200);
    }
    throw new Error(`fewer than ${atLeast} trace rounds of ${target}:\n${exporter.logs()}`);
  };

  before(async () => {
    requireTools('curl');
    t = await buildTraceLab(lab(), DELAY_MS);
    exporter = await startExporter(
      t.client,
      `
defaults:
  trace: { interval: 1s, timeout: 500ms, max_hops: 8, flows: 16, probes: 1 }
targets:
  - name: udp4
    host: ${t.links.r4Target.b.ipv4}
    trace: {}
  - name: tcp6
    host: "${t.links.r4Target.b.ipv6}"
    trace: { protocol: tcp, port: 80 }
`,
    );
  });

  after(async () => {
    assert.equal(await exporter?.stop(), 0);
  });

  it('exports every hop of both branches, the delay step, reach, hop count and paths (UDP, IPv4)', async () => {
    const samples = await rounds('udp4', 3);
    const labels = { target: 'udp4', protocol: 'udp', family: 'ipv4' };
    assert.equal(value(samples, 'netdiag_trace_reached', labels), 1);
    assert.equal(value(samples, 'netdiag_trace_hops', labels), 5);
    const hops = select(samples, 'netdiag_trace_hop_rtt_seconds', labels).map(
      (s) => `${s.labels.hop} ${s.labels.hop_address} ${s.value}`,
    );
    assert.equal(value(samples, 'netdiag_trace_paths', labels), 2, hops.join('\n'));
    const hopAddresses = (hop: string) =>
      select(samples, 'netdiag_trace_hop_rtt_seconds', { ...labels, hop })
        .map((s) => s.labels.hop_address)
        .sort();
    assert.deepEqual(hopAddresses('1'), [t.links.clientR1.b.ipv4]);
    assert.deepEqual(hopAddresses('2'), [t.links.r1R2a.b.ipv4, t.links.r1R2b.b.ipv4].sort());
    assert.deepEqual(hopAddresses('4'), [t.links.r3R4.b.ipv4]);
    assert.deepEqual(hopAddresses('5'), [t.links.r4Target.b.ipv4]);
    const rtt = (hop: string) => value(samples, 'netdiag_trace_hop_rtt_seconds', { ...labels, hop })!;
    assert.ok(rtt('3') < DELAY_MS / 1000, `hop 3 (before the delay link) ${rtt('3')}`);
    assert.ok(rtt('4') >= (2 * DELAY_MS - 0.5) / 1000, `hop 4 (behind it) ${rtt('4')}`);
    for (const hop of ['1', '2', '3', '4', '5']) {
      assert.equal(value(samples, 'netdiag_trace_hop_loss_ratio', { ...labels, hop }), 0, `hop ${hop} loss`);
    }
    assert.equal(value(samples, 'netdiag_trace_path_changes_total', labels), 0, 'flows keep their paths');
  });

  it('ends a TCP trace at the RST of the destination (IPv6)', async () => {
    const samples = await rounds('tcp6', 2);
    const labels = { target: 'tcp6', protocol: 'tcp', family: 'ipv6' };
    assert.equal(value(samples, 'netdiag_trace_reached', labels), 1);
    assert.equal(value(samples, 'netdiag_trace_hops', labels), 5);
    assert.deepEqual(
      select(samples, 'netdiag_trace_hop_rtt_seconds', { ...labels, hop: '5' }).map(
        (s) => s.labels.hop_address,
      ),
      [t.links.r4Target.b.ipv6],
    );
  });

  it('counts a path change when a branch goes away, and drops the series of the vanished hop', async () => {
    const before = await exporter.scrape();
    const labels = { target: 'udp4', protocol: 'udp' };
    const roundsBefore = value(before, 'netdiag_trace_rounds_total', labels)!;
    await lab().route(t.r1, LAB_PREFIX4, t.links.r1R2a.b);
    // The path watch counts a branch gone after 2 rounds without it, and the round after the scrape
    // may have started before the route changed: two whole rounds after that one.
    const after = await rounds('udp4', roundsBefore + 3);
    assert.ok(value(after, 'netdiag_trace_path_changes_total', labels)! >= 1);
    assert.equal(value(after, 'netdiag_trace_paths', labels), 1);
    assert.deepEqual(
      select(after, 'netdiag_trace_hop_rtt_seconds', { ...labels, hop: '2' }).map(
        (s) => s.labels.hop_address,
      ),
      [t.links.r1R2a.b.ipv4],
    );
    assert.equal(value(after, 'netdiag_targets', { probe: 'trace' }), 2);
  });
});
