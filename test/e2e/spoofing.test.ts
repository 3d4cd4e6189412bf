// Forged answers from another namespace: a "target" whose kernel answers nothing, and a forger in
// it (test/e2e/fixtures/forger.py) that answers every probe with forgeries only: a wrong payload
// token or acknowledgment from the genuine address, the right ones from another address. None may
// give an RTT; every one must be counted as mismatched.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { KnockResult } from '../../probes';
import { useLab, requireTools, type Link, type Netns } from '../lab';
import { fixturePath, repoRoot } from '../support/paths';

const FORGER = path.join(repoRoot, 'test', 'e2e', 'fixtures', 'forger.py');
const COUNT = 10;
const PORT = 7777;

interface Stats {
  family: number;
  received: number;
  matched: number;
  mismatched: number;
}

async function startForger(
  ns: Netns,
  args: string[],
): Promise<{ child: ChildProcess; lines: () => string[] }> {
  const child = ns.spawn(['python3', FORGER, ...args]);
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += String(chunk)));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`forger exited (${code}): ${errors}`)));
  });
  return { child, lines: () => output.split('\n').filter((line) => line.includes('from')) };
}

describe('forged answers from another namespace give no RTT', () => {
  const lab = useLab();
  let client: Netns;
  let target: Netns;
  let link: Link;
  const other = { ipv4: '', ipv6: '' };

  before(async () => {
    requireTools('python3', 'nft');
    client = await lab().namespace('spclient');
    target = await lab().namespace('sptarget');
    link = await lab().connect(client, target);
    other.ipv4 = link.b.ipv4.replace(/\.\d+$/, '.99');
    other.ipv6 = link.b.ipv6.replace(/::\w+$/, '::99');
    await lab().addAddress(link.b, `${other.ipv4}/24`);
    await lab().addAddress(link.b, `${other.ipv6}/64`);
    // The target's kernel answers nothing: no echo replies, no RSTs for the closed port.
    await target.sysctl('net.ipv4.icmp_echo_ignore_all', 1);
    await target.sysctl('net.ipv6.icmp.echo_ignore_all', 1);
    await lab().setLoss(target, 100, { match: 'tcp flags & rst == rst', hook: 'output' });
  });

  for (const family of ['ipv4', 'ipv6'] as const) {
    const version = family === 'ipv4' ? '4' : '6';
    it(`ping (${family}): a wrong token from the target, the right one from another address`, async () => {
      const forger = await startForger(target, ['ping', version, link.b[family], other[family]]);
      try {
        const { stdout } = await client.exec(['node', fixturePath('ping-many')], {
          input: JSON.stringify({ addrs: [link.b[family]], count: COUNT, interval: 0.05, timeout: 0.3 }),
          timeoutMs: 30_000,
        });
        const { results, stats } = JSON.parse(stdout) as {
          results: Record<string, Array<number | null>>;
          stats: Stats[];
        };
        assert.deepEqual(results[link.b[family]], new Array(COUNT).fill(null), 'no forged reply gave an RTT');
        const socket = stats.find((s) => s.family === Number(version))!;
        assert.equal(forger.lines().length, 2 * COUNT, 'the forger answered every request twice');
        assert.equal(socket.matched, 0);
        assert.equal(socket.mismatched, 2 * COUNT, JSON.stringify(socket));
      } finally {
        forger.child.kill();
      }
    });

    it(`knock (${family}): a wrong acknowledgment from the target, the right one from another address`, async () => {
      const forger = await startForger(target, ['knock', version, link.b[family], other[family]]);
      try {
        const { stdout } = await client.exec(['node', fixturePath('knock-many')], {
          input: JSON.stringify({
            runs: [{ addr: link.b[family], port: PORT, count: COUNT, interval: 0.05, timeout: 0.3 }],
          }),
          timeoutMs: 30_000,
        });
        const { results, stats } = JSON.parse(stdout) as { results: KnockResult[][]; stats: Stats[] };
        assert.deepEqual(
          results[0]!.map((r) => r.rtt),
          new Array(COUNT).fill(null),
          'no forged SYN-ACK gave an RTT',
        );
        const socket = stats.find((s) => s.family === Number(version))!;
        assert.equal(forger.lines().length, 2 * COUNT, 'the forger answered every SYN twice');
        assert.equal(socket.matched, 0);
        assert.equal(socket.mismatched, 2 * COUNT, JSON.stringify(socket));
      } finally {
        forger.child.kill();
      }
    });
  }
});

// Issue 22 item 10: the owner of one monitored host ("own") floods the prober with forged "host
// unreachable" errors for another target ("victim"), guessing what it can from what it sees (see
// test/e2e/fixtures/error-flooder.py). The victim is reachable and answers every probe after
// 2 × VICTIM_DELAY_MS, which leaves each probe pending long enough for the forged errors to reach
// it: before identifiers and sequence starts were random and the token checked, every probe to the
// victim failed.
describe('a forged ICMP error flood against a reachable target loses no probe', () => {
  const lab = useLab();
  let client: Netns;
  let attacker: Netns;
  let toVictim: Link;
  let toAttacker: Link;
  const VICTIM_DELAY_MS = 20;
  const FLOOD_RATE = 2000;
  const PROBES = 30;
  const INTERVAL = 0.1;

  before(async () => {
    requireTools('python3');
    client = await lab().namespace('flclient');
    const victim = await lab().namespace('flvictim');
    attacker = await lab().namespace('flattack');
    toVictim = await lab().connect(client, victim, { delayMs: VICTIM_DELAY_MS });
    toAttacker = await lab().connect(client, attacker);
  });

  for (const family of ['ipv4', 'ipv6'] as const) {
    const version = family === 'ipv4' ? '4' : '6';
    it(`ping (${family}): ${FLOOD_RATE} forged errors a second, 0 of ${PROBES} probes lost`, async (t) => {
      const own = toAttacker.b[family];
      const victim = toVictim.b[family];
      const seconds = PROBES * INTERVAL + 0.5;
      const flooder = await startFlooder(attacker, [
        version,
        own,
        victim,
        toVictim.a[family],
        toAttacker.a[family],
        String(FLOOD_RATE),
        String(seconds),
      ]);
      const { stdout } = await client.exec(['node', fixturePath('ping-many')], {
        input: JSON.stringify({ addrs: [own, victim], count: PROBES, interval: INTERVAL, timeout: 1 }),
        timeoutMs: 60_000,
      });
      const { sent, seen } = await flooder.done;
      const { results, stats } = JSON.parse(stdout) as {
        results: Record<string, Array<number | null>>;
        stats: Array<Stats & { foreign: number }>;
      };
      const socket = stats.find((s) => s.family === Number(version))!;
      const lost = results[victim]!.filter((rtt) => rtt === null).length;
      const detail = JSON.stringify({ sent, seen, lost, socket });
      t.diagnostic(detail);
      // The attack took place at the rate of the report, and its errors reached the prober.
      assert.equal(seen, PROBES, `the attacker saw every probe to its own host: ${detail}`);
      assert.ok(sent >= FLOOD_RATE * PROBES * INTERVAL * 0.8, `forged errors sent: ${detail}`);
      assert.ok(socket.mismatched + socket.foreign >= sent / 2, `forged errors received: ${detail}`);
      // And it made no probe fail.
      assert.equal(lost, 0, `victim probes lost: ${detail}`);
      assert.ok(results[victim]!.every((rtt) => rtt !== null && rtt >= (2 * VICTIM_DELAY_MS) / 1000));
      assert.equal(results[own]!.filter((rtt) => rtt === null).length, 0);
    });
  }
});

const FLOODER = path.join(repoRoot, 'test', 'e2e', 'fixtures', 'error-flooder.py');

/** Starts the flooder; `done` resolves with its counts when it has flooded for its time and exited. */
async function startFlooder(
  ns: Netns,
  args: string[],
): Promise<{ done: Promise<{ sent: number; seen: number }> }> {
  const child = ns.spawn(['python3', FLOODER, ...args]);
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += String(chunk)));
  child.stdout?.on('data', (chunk: Buffer) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (output.includes('ready')) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
    void exited.then((code) => {
      clearInterval(poll);
      reject(new Error(`flooder exited (${code}) before it was ready: ${errors}`));
    });
  });
  const done = exited.then((code) => {
    const match = /sent (\d+) seen (\d+)/.exec(output);
    if (code !== 0 || !match) throw new Error(`flooder exited (${code}): ${output} ${errors}`);
    return { sent: Number(match[1]), seen: Number(match[2]) };
  });
  // Awaited by the test; a failure before then must not become an unhandled rejection.
  done.catch(() => undefined);
  return { done };
}
