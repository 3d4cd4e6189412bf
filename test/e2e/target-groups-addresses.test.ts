import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, startDnsServer, type DnsServer, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const NAME = 'peers.lab.test';
/** The addresses with a ping series of `target`, sorted. */
const probed = (samples: Sample[], target: string): string[] =>
  [...new Set(select(samples, 'netdiag_ping_sent_total', { target }).map((s) => s.labels.address!))].sort();

describe('addresses: all against a real DNS server (dnsmasq in the lab)', () => {
  const lab = useLab();
  let probe: Netns;
  let server: Netns;
  let dns: DnsServer;
  let exporter: ExporterProcess;

  before(async () => {
    probe = await lab().namespace('probe');
    server = await lab().namespace('dns');
    const link = await lab().connect(probe, server);
    // The probed addresses answer in the probing namespace itself.
    await lab().addAnyIp(probe, '10.205.0.0/24');
    await lab().addAnyIp(probe, 'fd00:205::/64');
    dns = await startDnsServer(server, link.b.ipv4, {
      [NAME]: ['10.205.0.1', '10.205.0.2', 'fd00:205::1', 'fd00:205::2'],
    });
    await dns.serve(probe);
    const ping = 'ping: { interval: 100ms, timeout: 100ms }';
    exporter = await startExporter(
      probe,
      [
        'dns: { refresh: 300ms }',
        'targets:',
        `  - { name: every, host: ${NAME}, addresses: all, ${ping} }`,
        `  - { name: every-v6, host: ${NAME}, family: ipv6, addresses: all, ${ping} }`,
        `  - { name: first, host: ${NAME}, ${ping} }`,
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    assert.equal(await exporter?.stop(), 0, 'the exporter stops cleanly on SIGTERM');
    dns?.stop();
  });

  it('probes every address of the answer, each with its own series; `first` stays one address', async () => {
    const samples = await until('four addresses probed', async () => {
      const s = await exporter.scrape();
      return probed(s, 'every').length === 4 && probed(s, 'first').length === 1 ? s : undefined;
    });
    assert.deepEqual(probed(samples, 'every'), ['10.205.0.1', '10.205.0.2', 'fd00:205::1', 'fd00:205::2']);
    assert.deepEqual(probed(samples, 'every-v6'), ['fd00:205::1', 'fd00:205::2']);
    assert.match(probed(samples, 'first')[0]!, /^10\.205\.0\.[12]$/);
    assert.equal(select(samples, 'netdiag_target_addresses', { target: 'every' })[0]?.value, 4);
    // Every address answers: the pings were received, not only sent.
    await until('replies from every address', async () => {
      const s = await exporter.scrape();
      const received = select(s, 'netdiag_ping_received_total', { target: 'every' });
      return received.length === 4 && received.every((r) => r.value > 0) ? true : undefined;
    });
  });

  it('follows records removed and added while it runs: the gone lose their series, the new start', async () => {
    await dns.setRecords({ [NAME]: ['10.205.0.1', '10.205.0.3', 'fd00:205::2'] });
    // Each target re-resolves on its own refresh: wait for both to have read the new answer.
    const samples = await until('the new answer probed', async () => {
      const s = await exporter.scrape();
      return probed(s, 'every').join() === '10.205.0.1,10.205.0.3,fd00:205::2' &&
        probed(s, 'every-v6').join() === 'fd00:205::2'
        ? s
        : undefined;
    });
    for (const gone of ['10.205.0.2', 'fd00:205::1']) {
      assert.deepEqual(
        samples.filter((s) => s.labels.target === 'every' && s.labels.address === gone).map((s) => s.name),
        [],
        `no series of ${gone} is left`,
      );
    }
    assert.deepEqual(probed(samples, 'every-v6'), ['fd00:205::2']);
    assert.equal(select(samples, 'netdiag_target_addresses', { target: 'every' })[0]?.value, 3);
    assert.match(exporter.logs(), /target resolved.*target=every.*10\.205\.0\.3/);
  });

  // Last: it silences the DNS server and stops the exporter.
  it('ends at once on SIGTERM while a lookup waits on a DNS server gone silent (getaddrinfo cannot be cancelled)', async () => {
    // Each lookup now waits 30 s for an answer that never comes.
    writeFileSync(
      path.join('/etc/netns', probe.name, 'resolv.conf'),
      `nameserver ${dns.address}\noptions timeout:30 attempts:1\n`,
    );
    await server.exec([
      'nft',
      'add table inet silent; add chain inet silent c { type filter hook input priority 0; }; add rule inet silent c udp dport 53 drop',
    ]);
    await sleep(1_000); // three refreshes (300 ms): lookups are waiting
    const started = Date.now();
    const code = await exporter.stop();
    const tookMs = Date.now() - started;
    assert.equal(code, 0, exporter.logs().split('\n').slice(-10).join('\n'));
    assert.doesNotMatch(exporter.logs(), /ERR_SHUTDOWN_TIMEOUT/);
    // The waiting lookup would hold the process until its 30 s timeout; the shutdown's own deadline is 10 s.
    assert.ok(tookMs < 10_000, `stopped after ${tookMs} ms: the process waited for the lookup`);
  });
});
