import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { useLab, requireTools, type Link, type Netns } from '../lab';
import { summarizeRtts, type KnockResult } from '../../probes';
import { cliPath, fixturePath } from '../support/paths';
import { median } from '../support/iputils';
import { startTcpListener } from '../support/tcp-listener';

const ONE_WAY_DELAY_MS = 5;

const OPEN_PORT = 8080;
const CLOSED_PORT = 8081;
const DROPPED_PORT = 8082;
const COUNT = 20;

interface KnockRun {
  results: KnockResult[][];
  stats: Array<{
    family: number;
    received: number;
    malformed: number;
    foreign: number;
    mismatched: number;
    matched: number;
  }>;
}

async function knockMany(
  ns: Netns,
  runs: Array<{ addr: string; port: number; count: number; interval: number; timeout: number }>,
): Promise<KnockRun> {
  const { stdout } = await ns.exec(['node', fixturePath('knock-many')], {
    input: JSON.stringify({ runs }),
    timeoutMs: 60_000,
  });
  return JSON.parse(stdout) as KnockRun;
}

/** tcpdump writing every TCP packet of an interface to a file until stop(); then the decoded lines. */
async function capture(ns: Netns, ifname: string, file: string): Promise<() => Promise<string[]>> {
  const child = ns.spawn([
    'tcpdump',
    '-i',
    ifname,
    '-Z',
    'root',
    '--immediate-mode',
    '-U',
    '-n',
    '-w',
    file,
    'tcp',
  ]);
  child.stdout?.resume();
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += String(chunk);
      // Margin: tcpdump reports "listening" a moment before its capture really starts.
      if (stderr.includes('listening on')) setTimeout(resolve, 1000);
    });
    child.once('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${stderr}`)));
  });
  return async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    const { stdout } = await promisify(execFile)('tcpdump', ['-nn', '-r', file]);
    return stdout.trim().split('\n').filter(Boolean);
  };
}

describe('knock end to end (lab namespaces)', () => {
  const lab = useLab();
  let client: Netns;
  let target: Netns;
  let link: Link;
  let workdir: string;

  before(async () => {
    requireTools('nft', 'ss', 'tcpdump', 'python3');
    workdir = mkdtempSync(path.join(tmpdir(), 'knock-e2e-'));
    client = await lab().namespace('knclient');
    target = await lab().namespace('kntarget');
    link = await lab().connect(client, target, { delayMs: ONE_WAY_DELAY_MS });
    // A listener on one port (both families), none on another; SYNs to a third are dropped.
    // It never accepts: a connection that completed would wait in its accept queue (ss Recv-Q).
    await startTcpListener(target, OPEN_PORT);
    await lab().setLoss(target, 100, { match: `tcp dport ${DROPPED_PORT} tcp flags syn` });
  });

  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`open port: SYN-ACK within 1 ms of 2·D; closed port: RST; dropped SYNs: loss 1 (${family})`, async (t) => {
      const addr = link.b[family];
      const run = { addr, count: COUNT, interval: 0.05, timeout: 0.5 };
      const { results, stats } = await knockMany(client, [
        { ...run, port: OPEN_PORT },
        { ...run, port: CLOSED_PORT },
        { ...run, port: DROPPED_PORT },
      ]);
      const [open, closed, dropped] = results as [KnockResult[], KnockResult[], KnockResult[]];

      assert.ok(
        open.every((r) => r.state === 'open' && r.flags === 0x12),
        `every knock of the open port is a SYN-ACK: ${JSON.stringify(open.filter((r) => r.state !== 'open'))}`,
      );
      // The first knock of a process runs cold code (about 1 ms more): it warms up, the rest is measured.
      // The median, not the mean: a CPU-starved VM (2 cores, the delay link's process among them)
      // adds multi-ms outliers to single knocks that say nothing about the knock's own timing.
      const openRtt = summarizeRtts(open.slice(1).map((r) => r.rtt));
      assert.equal(openRtt.received, COUNT - 1);
      const openMedian = median(open.slice(1).map((r) => r.rtt!));
      // 1 ms: the delay link's own excess over 2·D (its wake-up per packet, test/lab/README.md), which
      // grows in the loaded phases of this VM. The knock's times are the kernel's (issue 20): the
      // process's wake-up latency is not in them.
      assert.ok(
        Math.abs(openMedian - (2 * ONE_WAY_DELAY_MS) / 1000) < 0.001,
        `open: median RTT ${(openMedian * 1e3).toFixed(3)} ms (mean ${(openRtt.avg! * 1e3).toFixed(3)}) vs 2·D = ${2 * ONE_WAY_DELAY_MS} ms: ${open.map((r) => r.rtt).join(' ')}`,
      );
      assert.ok(
        closed.every((r) => r.state === 'closed' && r.flags === 0x14),
        'every knock of the closed port is an RST-ACK',
      );
      const closedMedian = median(closed.slice(1).map((r) => r.rtt!));
      t.diagnostic(
        `open median ${(openMedian * 1e3).toFixed(3)} ms, closed median ${(closedMedian * 1e3).toFixed(3)} ms`,
      );
      assert.ok(
        Math.abs(closedMedian - (2 * ONE_WAY_DELAY_MS) / 1000) < 0.001,
        `closed: median RTT ${(closedMedian * 1e3).toFixed(3)} ms`,
      );
      assert.equal(summarizeRtts(dropped.map((r) => r.rtt)).loss, 1);
      assert.ok(dropped.every((r) => r.failure?.reason === 'timeout'));
      if (family === 'ipv4') assert.ok(open.every((r) => r.ttl === 64));
      // Three knocks in flight at once, three reserved source ports.
      assert.equal(new Set(results.map((knocks) => knocks[0]!.sourcePort)).size, 3);
      const socket = stats.find((s) => s.family === (family === 'ipv4' ? 4 : 6))!;
      assert.equal(socket.matched, 2 * COUNT);
      assert.equal(socket.mismatched, 0);
    });

    it(`every SYN-ACK gets exactly one RST, from the client's kernel; nothing is left at the target (${family})`, async () => {
      const addr = link.b[family];
      // A separate run: tcpdump takes CPU from the knocks, so the RTTs above are measured without it.
      const stop = await capture(client, link.a.ifname, path.join(workdir, `${family}.pcap`));
      const { results } = await knockMany(client, [
        { addr, port: OPEN_PORT, count: COUNT, interval: 0.05, timeout: 0.5 },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const lines = await stop();
      assert.ok(results[0]!.every((r) => r.state === 'open'));

      const sport = String(OPEN_PORT);
      const fromClient = lines.filter(
        (l) => l.indexOf(`${link.a[family]}.`) >= 0 && l.indexOf(link.a[family]) < l.indexOf('>'),
      );
      const synAcks = lines.filter((l) => l.includes(`${addr}.${sport} >`) && l.includes('Flags [S.]'));
      const resets = fromClient.filter((l) => l.includes(`> ${addr}.${sport}:`) && l.includes('Flags [R]'));
      assert.equal(synAcks.length, COUNT, lines.join('\n'));
      assert.equal(resets.length, COUNT, lines.join('\n'));
      for (const synAck of synAcks) {
        const ack = /ack (\d+)/.exec(synAck)![1];
        assert.equal(resets.filter((r) => r.includes(`seq ${ack},`)).length, 1, `one RST for ${synAck}`);
      }
      const syns = fromClient.filter((l) => l.includes('Flags [S]'));
      assert.equal(syns.length, COUNT);
      assert.ok(
        syns.every((l) => l.includes('options [mss ')),
        'SYNs carry an MSS option',
      );
      // Our code sends SYNs only: any other packet from the client would be ours or a connection's.
      assert.deepEqual(
        fromClient.filter((l) => !l.includes('Flags [S]') && !l.includes('Flags [R]')),
        [],
      );

      // Nothing established or half-open at the target, and the listener accepted nothing.
      const { stdout: sockets } = await target.exec(['ss', '-tanH']);
      assert.deepEqual(
        sockets.split('\n').filter((l) => l.includes(link.a[family])),
        [],
        'no target socket refers to the client',
      );
      const { stdout: listening } = await target.exec(['ss', '-ltnH', `sport = :${OPEN_PORT}`]);
      assert.match(listening, /^LISTEN\s+0\s/, 'accept queue empty');
    });
  }

  it('two concurrent knock sessions to the same target and port never cross-match', async () => {
    const addr = link.b.ipv4;
    const run = { addr, port: OPEN_PORT, count: 100, interval: 0.005, timeout: 1 };
    const { results, stats } = await knockMany(client, [run, run]);
    const [first, second] = results as [KnockResult[], KnockResult[]];
    // Knocks in flight at the same time never share a source port (each knock reserves its own).
    const all = [...first, ...second].map((r) => r.sourcePort);
    assert.ok(all.every((port) => port > 0));
    for (const knocks of [first, second]) {
      assert.equal(knocks.length, 100);
      assert.ok(
        knocks.every((r) => r.state === 'open'),
        JSON.stringify(knocks.filter((r) => r.state !== 'open')),
      );
      assert.ok(
        knocks.every((r) => r.rtt! >= (2 * ONE_WAY_DELAY_MS) / 1000 && r.rtt! < 0.05),
        `each answer is its own: ${knocks.map((r) => r.rtt).join(' ')}`,
      );
    }
    assert.equal(stats[0]!.matched, 200);
    assert.equal(stats[0]!.mismatched, 0);
  });

  it('CLI: hping3-like lines and summary, exit 0 when answered, 1 when not, 2 on bad usage', async () => {
    const addr = link.b.ipv4;
    const ok = await client.exec(
      ['node', cliPath, 'knock', addr, String(OPEN_PORT), '-c', '3', '-i', '0.05'],
      { check: false },
    );
    assert.equal(ok.code, 0, ok.stderr);
    const lines = ok.stdout.trim().split('\n');
    assert.equal(lines[0], `KNOCK ${addr} (${addr}) port ${OPEN_PORT}: S set, 44 headers + 0 data bytes`);
    const injected = 2 * ONE_WAY_DELAY_MS;
    const rtts: number[] = [];
    for (let seq = 0; seq < 3; seq++) {
      const line = lines[1 + seq]!;
      const pattern = `^len=44 ip=${addr} ttl=64 sport=${OPEN_PORT} flags=SA seq=${seq} win=\\d+ rtt=(\\d+\\.\\d) ms$`;
      const rtt = Number(new RegExp(pattern).exec(line)?.[1]);
      assert.ok(rtt >= injected, `${line}: at least the injected ${injected} ms`);
      // Within 10 ms of the link, the first knock too: a one-shot command loads only its own modules,
      // or a mark-compact after start-up lands in the first round trip (16-21 ms measured).
      assert.ok(rtt < injected + 10, `${line}: near the injected ${injected} ms`);
      rtts.push(rtt);
    }
    assert.equal(
      lines.at(-2),
      '3 packets transmitted, 3 packets received, 0% packet loss (3 open, 0 closed)',
    );
    const stats = /^round-trip min\/avg\/max = (\d+\.\d)\/(\d+\.\d)\/(\d+\.\d) ms$/.exec(lines.at(-1)!);
    assert.ok(stats, lines.at(-1));
    const [min, avg, max] = stats.slice(1).map(Number) as [number, number, number];
    assert.equal(min, Math.min(...rtts));
    assert.equal(max, Math.max(...rtts));
    // The lines are rounded to 0.1 ms, the mean is of the exact RTTs.
    assert.ok(Math.abs(avg - rtts.reduce((x, y) => x + y, 0) / rtts.length) <= 0.1, lines.at(-1));

    const closed = await client.exec(
      ['node', cliPath, 'knock', link.b.ipv6, String(CLOSED_PORT), '-c', '1', '--json'],
      { check: false },
    );
    assert.equal(closed.code, 0, closed.stderr);
    const [knock, summary] = closed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(knock!.state, 'closed');
    assert.equal(summary!.closed, 1);

    const lost = await client.exec(
      ['node', cliPath, 'knock', addr, String(DROPPED_PORT), '-c', '2', '-i', '0.05', '-W', '0.2'],
      { check: false },
    );
    assert.equal(lost.code, 1);
    assert.match(lost.stdout, /2 packets transmitted, 0 packets received, 100% packet loss/);

    const usage = await client.exec(['node', cliPath, 'knock', addr, '70000'], { check: false });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /PORT: "70000" is not an integer in 1\.\.65535/);
  });

  it('cleans up', () => rmSync(workdir, { recursive: true, force: true }));
});
