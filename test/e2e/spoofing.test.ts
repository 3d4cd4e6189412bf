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
