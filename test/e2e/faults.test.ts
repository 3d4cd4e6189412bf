// Faults while the exporter runs: a route removed and restored, a link down and up, DNS failing and
// recovering, scrape clients that hang up, malformed and oversized requests. The healthy target is
// probed throughout, the faults are counted, and everything recovers without a restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { useLab, requireTools, type Link, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const HOSTNAME = 'target.lab.test';

const total = (samples: Sample[], name: string, labels: Record<string, string>): number =>
  select(samples, name, labels).reduce((sum, s) => sum + s.value, 0);

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('faults while running: the exporter keeps probing the healthy, counts errors, recovers', () => {
  const lab = useLab();
  let client: Netns;
  let healthyLink: Link;
  let faultyLink: Link;
  let exporter: ExporterProcess;
  let etcDir: string;

  const hosts = (address?: string): void =>
    // Written in place: `ip netns exec` bind-mounts this file over /etc/hosts, by inode.
    writeFileSync(`${etcDir}/hosts`, `127.0.0.1 localhost\n${address ? `${address} ${HOSTNAME}\n` : ''}`);

  const received = async (target: string): Promise<number> =>
    total(await exporter.scrape(), 'netdiag_ping_received_total', { target });
  const grows = async (target: string): Promise<void> => {
    const before = await received(target);
    await until(`${target} answering`, async () => (await received(target)) > before + 3);
  };

  before(async () => {
    requireTools('curl');
    client = await lab().namespace('ftclient');
    const healthy = await lab().namespace('fthealthy');
    const faulty = await lab().namespace('ftfaulty', { router: true });
    healthyLink = await lab().connect(client, healthy);
    faultyLink = await lab().connect(client, faulty);
    await lab().addAnyIp(faulty, '10.204.0.0/24');
    await lab().route(client, '10.204.0.0/24', faultyLink.b);
    // The client's own resolver files: no DNS server it could reach, names from its hosts file only.
    etcDir = `/etc/netns/${client.name}`;
    mkdirSync(etcDir, { recursive: true });
    writeFileSync(`${etcDir}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    hosts('10.204.0.1');
    exporter = await startExporter(
      client,
      `dns: { refresh: 500ms, retry_min: 200ms, retry_max: 500ms }
defaults:
  ping: { interval: 100ms, timeout: 100ms }
targets:
  - name: healthy
    host: ${healthyLink.b.ipv4}
    ping: {}
  - name: routed
    host: 10.204.0.2
    ping: {}
  - name: named
    host: ${HOSTNAME}
    family: ipv4
    ping: {}
`,
    );
    await grows('named');
  });

  after(async () => {
    assert.equal(await exporter?.stop(), 0);
    rmSync(etcDir, { recursive: true, force: true });
  });

  it('a removed route: send errors counted, the healthy target probed meanwhile, recovery once restored', async () => {
    const errors = async () =>
      total(await exporter.scrape(), 'netdiag_probe_errors_total', { target: 'routed', probe: 'ping' });
    const before = await errors();
    await client.ip(['route', 'del', '10.204.0.0/24']);
    await until('errors of the unroutable target', async () => (await errors()) > before + 3);
    await grows('healthy');
    await lab().route(client, '10.204.0.0/24', faultyLink.b);
    await grows('routed');
  });

  it('a link down and up: the targets behind it come back once it is up (and routed) again', async () => {
    await client.ip(['link', 'set', faultyLink.a.ifname, 'down']);
    await sleep(500);
    const stalled = await received('routed');
    await sleep(500);
    assert.ok((await received('routed')) <= stalled + 1, 'nothing answers through a link that is down');
    await grows('healthy');
    await client.ip(['link', 'set', faultyLink.a.ifname, 'up']);
    await client.ip([
      '-6',
      'address',
      'replace',
      `${faultyLink.a.ipv6}/64`,
      'dev',
      faultyLink.a.ifname,
      'nodad',
    ]);
    // The kernel drops the routes through a link that goes down: the operator puts them back.
    await lab().route(client, '10.204.0.0/24', faultyLink.b);
    await grows('routed');
  });

  it('DNS failing then answering with a new address: resolve errors counted, then the new address probed', async () => {
    const samples = await exporter.scrape();
    const before = total(samples, 'netdiag_probe_errors_total', { target: 'named', reason: 'resolve' });
    hosts(undefined);
    await until('resolve errors', async () => {
      const now = await exporter.scrape();
      return total(now, 'netdiag_probe_errors_total', { target: 'named', reason: 'resolve' }) > before + 1;
    });
    // Still probing the last address it had.
    await grows('named');
    hosts('10.204.0.3');
    await until('the new address', async () => {
      const now = await exporter.scrape();
      const addresses = select(now, 'netdiag_ping_sent_total', { target: 'named' }).map(
        (s) => s.labels.address,
      );
      return addresses.join() === '10.204.0.3';
    });
    await grows('named');
  });

  it('survives clients hanging up mid-request and mid-response, and refuses malformed and oversized requests', async () => {
    const port = Number(new URL(exporter.url).port);
    const raw = (text: string, hangUp: boolean): Promise<string> =>
      client
        .exec(
          [
            'python3',
            '-c',
            `import socket,sys
s=socket.create_connection(('127.0.0.1',${port}))
s.sendall(sys.stdin.buffer.read())
if ${hangUp ? 'True' : 'False'}: s.close(); sys.exit(0)
s.settimeout(5); data=b''
while True:
  chunk=s.recv(65536)
  if not chunk: break
  data+=chunk
sys.stdout.write(data.decode('latin-1').split('\\r\\n')[0])`,
          ],
          { input: text },
        )
        .then((r) => r.stdout);
    for (let i = 0; i < 30; i++) await raw('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n', true);
    await raw('GET /metr', true);
    assert.match(
      await raw(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, false),
      / 431 /,
    );
    assert.match(await raw('BLAH\r\n\r\n', false), / 400 /);
    assert.match(
      await raw(
        'GET /probe?target=10.0.0.1&module=icmp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        false,
      ),
      / 404 /,
    );
    assert.equal((await exporter.get('/-/healthy')).status, 200);
    await grows('healthy');
  });
});
