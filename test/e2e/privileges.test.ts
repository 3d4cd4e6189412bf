import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { useLab, requireTools, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';
import { startTcpListener } from '../support/tcp-listener';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const OPEN_PORT = 8080;

/** Uid, Gid (real, effective, saved, fs) and effective capabilities of a process. */
function credentials(pid: number): { uid: string; gid: string; capEff: string } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(status)?.[1]?.trim() ?? '';
  return { uid: field('Uid'), gid: field('Gid'), capEff: field('CapEff') };
}

function config(targets: string): string {
  return `defaults:\n  ping: { interval: 100ms, timeout: 100ms }\n  knock: { interval: 100ms, timeout: 100ms }\n  trace: { interval: 500ms, timeout: 200ms, max_hops: 3, flows: 2, probes: 1 }\ntargets:\n${targets}`;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
  select(samples, name, labels)[0]?.value;

describe('started as root, the exporter switches to nobody and keeps working', () => {
  const lab = useLab();
  let ns: Netns;
  let exporter: ExporterProcess;

  before(async () => {
    requireTools('curl');
    ns = await lab().namespace('priv');
    await lab().addAnyIp(ns, '10.203.0.0/24');
    await startTcpListener(ns, OPEN_PORT);
    exporter = await startExporter(ns, config(`  - name: a\n    host: 10.203.0.1\n    ping: {}\n`));
  });

  after(async () => {
    assert.equal(await exporter?.stop(), 0);
  });

  it('runs as nobody with no capability left, and still pings', async () => {
    const { uid, gid, capEff } = credentials(exporter.pid);
    assert.equal(uid, '65534\t65534\t65534\t65534');
    assert.equal(gid, '65534\t65534\t65534\t65534');
    assert.equal(capEff, '0000000000000000');
    const before = value(await exporter.scrape(), 'netdiag_ping_received_total', { target: 'a' }) ?? 0;
    await sleep(500);
    assert.ok(value(await exporter.scrape(), 'netdiag_ping_received_total', { target: 'a' })! > before + 2);
    assert.match(exporter.logs(), /msg="switched user" user=nobody uid=65534/);
  });

  it('after the switch, a reload starts knock and trace targets on the sockets opened before it', async () => {
    writeFileSync(
      exporter.file,
      config(
        `  - name: a\n    host: 10.203.0.1\n    ping: {}\n` +
          `  - name: k\n    host: 10.203.0.2\n    knock: [{ port: ${OPEN_PORT} }, { port: ${OPEN_PORT + 1} }]\n` +
          `  - name: t\n    host: 10.203.0.3\n    trace: { protocol: udp }\n`,
      ),
    );
    const reply = await exporter.post('/-/reload');
    assert.equal(reply.status, 200, reply.body);
    await until('knock and trace results', async () => {
      const samples = await exporter.scrape();
      return (
        value(samples, 'netdiag_knock_port_open', { target: 'k', port: String(OPEN_PORT) }) === 1 &&
        value(samples, 'netdiag_knock_port_open', { target: 'k', port: String(OPEN_PORT + 1) }) === 0 &&
        value(samples, 'netdiag_trace_reached', { target: 't' }) === 1
      );
    });
  });

  it('rejects a reload that changes bind (new sockets would be needed), and keeps probing', async () => {
    const text = readFileSync(exporter.file, 'utf8');
    writeFileSync(exporter.file, `bind: { interface: lo }\n${text}`);
    const reply = await exporter.post('/-/reload');
    assert.equal(reply.status, 500);
    assert.match(reply.body, /bind changed .* restart the exporter/);
    const before = value(await exporter.scrape(), 'netdiag_ping_received_total', { target: 'a' })!;
    await sleep(400);
    const after = await exporter.scrape();
    assert.equal(value(after, 'netdiag_config_last_reload_successful', {}), 0);
    assert.ok(value(after, 'netdiag_ping_received_total', { target: 'a' })! > before, 'still probing');
  });

  it('with --user= stays root', async () => {
    const rooted = await startExporter(
      ns,
      config(`  - name: r\n    host: 10.203.0.9\n    ping: {}\n`),
      9471,
      ['--user='],
    );
    try {
      assert.match(credentials(rooted.pid).uid, /^0\t0\t0\t0$/);
    } finally {
      assert.equal(await rooted.stop(), 0);
    }
  });
});
