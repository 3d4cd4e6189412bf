// Issue 21's Prometheus conventions against the real CLI in a lab: every per-target counter from the
// first scrape, netdiag_target_up, gzip on /metrics, and the page of GET /.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { useLab, requireTools, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { parseSamples, select, type Sample } from '../support/scrape';

const PORT = 9469;
const ANSWERING = '10.201.0.1';
const DROPPED = '10.201.0.9';
const REASONS = ['resolve', 'send', 'start', 'timeout', 'unreachable'];

describe('Prometheus conventions of the real exporter (lab namespaces)', () => {
  const lab = useLab();
  let client: Netns;
  let exporter: ExporterProcess;
  let etcDir: string | undefined;
  let workdir: string;
  let first: Sample[];

  before(async () => {
    requireTools('curl', 'nft');
    client = await lab().namespace('client');
    const target = await lab().namespace('target');
    const link = await lab().connect(client, target);
    await lab().addAnyIp(target, '10.201.0.0/16');
    await lab().route(client, '10.201.0.0/16', link.b);
    await lab().setLoss(target, 100, { match: `ip daddr ${DROPPED} icmp type echo-request` });
    // A resolver that refuses at once (nothing listens on port 53 of the namespace's loopback):
    // `ip netns exec` mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf.
    etcDir = path.join('/etc/netns', client.name);
    mkdirSync(etcDir, { recursive: true });
    writeFileSync(path.join(etcDir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n');
    writeFileSync(path.join(etcDir, 'hosts'), '127.0.0.1 localhost\n');
    workdir = mkdtempSync(path.join(tmpdir(), 'netdiag-conventions-'));
    exporter = await startExporter(
      client,
      `
defaults:
  ping: { interval: 500ms, timeout: 400ms, window: 5s }
  knock: { interval: 500ms, timeout: 400ms, window: 5s }
targets:
  - { name: answering, host: ${ANSWERING}, labels: { site: ams }, ping: {}, knock: { port: 22 } }
  - { name: dropped, host: ${DROPPED}, ping: {} }
  - { name: nameless, host: nowhere.lab, ping: {} }
`,
      PORT,
    );
    first = await exporter.scrape();
  });

  after(async () => {
    await exporter?.stop();
    if (etcDir) rmSync(etcDir, { recursive: true, force: true });
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  const reasons = (samples: Sample[], target: string, probe: string): Record<string, number> =>
    Object.fromEntries(
      select(samples, 'netdiag_probe_errors_total', { target, probe }).map((s) => [s.labels.reason, s.value]),
    );

  it('exports every error reason of each probe of a resolved target at 0 from the first scrape', () => {
    assert.deepEqual(Object.keys(reasons(first, 'answering', 'ping')).sort(), REASONS);
    assert.ok(
      Object.values(reasons(first, 'answering', 'ping')).every((v) => v === 0),
      'all 0',
    );
    assert.deepEqual(Object.keys(reasons(first, 'answering', 'knock')).sort(), REASONS);
    assert.deepEqual(reasons(first, 'dropped', 'knock'), {}, 'no series of a probe the target does not run');
  });

  it('says 1 for the answering target, 0 for the dropped one and for the name that does not resolve', async () => {
    let samples: Sample[] = [];
    const up = (target: string) => select(samples, 'netdiag_target_up', { target })[0]?.value;
    const deadline = Date.now() + 30_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 500));
      samples = await exporter.scrape();
    } while (
      !(up('answering') === 1 && up('dropped') === 0 && up('nameless') === 0) &&
      Date.now() < deadline
    );
    assert.deepEqual(
      ['answering', 'dropped', 'nameless'].map(up),
      [1, 0, 0],
      exporter.logs().split('\n').slice(-20).join('\n'),
    );
    assert.deepEqual(select(samples, 'netdiag_target_up', { target: 'answering' })[0]?.labels, {
      site: 'ams',
      target: 'answering',
    });
    assert.ok((reasons(samples, 'nameless', 'ping').resolve ?? 0) >= 1, 'the failed resolution counted');
    assert.deepEqual(Object.keys(reasons(samples, 'nameless', 'ping')).sort(), REASONS);
    assert.ok((reasons(samples, 'dropped', 'ping').timeout ?? 0) >= 1);
  });

  it('answers a gzip scrape (as Prometheus and curl --compressed ask) that decompresses to the text', async () => {
    const body = path.join(workdir, 'metrics.gz');
    const { stdout } = await client.exec([
      'curl',
      '-s',
      '-D',
      '-',
      '-o',
      body,
      '-H',
      'Accept-Encoding: gzip',
      `${exporter.url}/metrics`,
    ]);
    assert.match(stdout, /^content-encoding: gzip\r$/im);
    assert.match(stdout, /^vary: Accept, Accept-Encoding\r$/im);
    const text = gunzipSync(readFileSync(body)).toString();
    // The event loop's delay is reported only when it was sampled since the previous scrape.
    const names = (samples: Sample[]) =>
      new Set(samples.map((s) => s.name).filter((name) => !name.startsWith('netdiag_event_loop')));
    const unpacked = parseSamples(text);
    assert.deepEqual(names(unpacked), names(await exporter.scrape()));
    assert.equal(select(unpacked, 'netdiag_ping_sent_total').length, 2);
  });

  it('serves GET / with links to the endpoints', async () => {
    const page = await exporter.get('/');
    assert.equal(page.status, 200);
    for (const link of ['metrics', '-/healthy', '-/ready'])
      assert.ok(page.body.includes(`href="${link}"`), link);
  });
});
