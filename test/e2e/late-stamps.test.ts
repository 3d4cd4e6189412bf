// A packet that waits in the kernel after sendmsg returns, for the address of a neighbour not yet
// resolved: its RTT is the wire's, not the wire's plus the wait (issue 20). The target's namespace
// drops neighbour solicitations (ARP requests; IPv6 neighbour solicitations) until the client's entry
// for it is INCOMPLETE, plus HOLD_MS: the echo request waits in the client's neighbour queue until the
// kernel's next solicitation (Linux: one a second), then leaves. iputils ping, which times its sends
// by the clock before sendto, reads the wait into its RTT in the same setup; ours, from the transmit
// stamp the kernel makes when the packet leaves, reads what tcpdump on the client's veth sees.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { requireTools, useLab, type Link, type Netns } from '../lab';
import { startCapture } from '../support/capture';
import { parseIputilsRtts } from '../support/iputils';
import { readEchoes, wireRtts } from '../support/pcap';
import { cliPing } from '../support/ping-cli';

/** How long the solicitations stay dropped once the first one went out. */
const HOLD_MS = 300;
/**
 * The bound of a held exchange against the wire: the median of OURS within it. Not the 50 µs of the
 * other timestamp tests: the transmit stamp of a held packet is made as the neighbour queue lets it
 * go, and (our reading, not proven) delivering it wakes the prober sleeping in epoll before the
 * packet reaches the device and the capture's tap; on a VM that wake-up is an inter-processor
 * interrupt. Measured: 16-20 µs over the wire here; in CI runs 115.7 µs, then 118.0, 10.8 and
 * 121.3 µs. The wait the test exists to catch is a second (iputils reads it).
 */
const HELD_BOUND_S = 250e-6;
/** Held exchanges of ours per family, judged by their median. */
const OURS = 3;
/** No exchange of ours may read this much over the wire: a thousandth of the wait. */
const CEILING_S = 1e-3;
/** A ping's default payload (ours and iputils'): the capture tells the runs apart by order. */
const PAYLOAD = 56;

const us = (seconds: number): string => `${(seconds * 1e6).toFixed(1)} µs`;

interface Run {
  ours: Array<number | null>;
  iputils: number | null;
  wire: Array<number | null>;
}

describe('a packet that waits for address resolution: its RTT is the wire’s, not the wait', () => {
  const lab = useLab();
  let client: Netns;
  let target: Netns;
  let link: Link;
  let captureDir: string;
  const runs = new Map<4 | 6, Run>();

  /** Drops the target's answers to solicitations of `family` until the client waits, plus HOLD_MS. */
  async function holdResolution(family: 4 | 6, address: string): Promise<void> {
    const table = family === 4 ? 'arp lshold' : 'ip6 lshold';
    const match = family === 4 ? 'arp operation request' : 'icmpv6 type nd-neighbor-solicit';
    await target.exec(['nft', 'add', 'table', ...table.split(' ')]);
    await target.exec([
      'nft',
      'add',
      'chain',
      ...table.split(' '),
      'input',
      '{ type filter hook input priority 0; policy accept; }',
    ]);
    await target.exec(['nft', 'add', 'rule', ...table.split(' '), 'input', ...match.split(' '), 'drop']);
    await client.exec(['ip', 'neigh', 'flush', 'dev', link.a.ifname]);
    void releaseOnceWaiting(table, address);
  }

  async function releaseOnceWaiting(table: string, address: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { stdout } = await client.exec(['ip', 'neigh', 'show', 'to', address, 'dev', link.a.ifname]);
      if (/INCOMPLETE/.test(stdout) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    await target.exec(['nft', 'delete', 'table', ...table.split(' ')]);
  }

  before(async () => {
    requireTools('tcpdump', 'nft', 'ping');
    client = await lab().namespace('lsclient');
    target = await lab().namespace('lstarget');
    link = await lab().connect(client, target);
    captureDir = mkdtempSync(path.join(tmpdir(), 'netdiag-ls-'));
    for (const family of [4, 6] as const) {
      const address = family === 4 ? link.b.ipv4 : link.b.ipv6;
      const file = path.join(captureDir, `ipv${family}.pcap`);
      const capture = await startCapture(client, link.a.ifname, file, family === 4 ? 'icmp' : 'icmp6');
      const ours: Array<number | null> = [];
      for (let i = 0; i < OURS; i++) {
        await holdResolution(family, address);
        ours.push((await cliPing(client, address, ['-c', '1', '-W', '3'])).rtts[0] ?? null);
      }
      await holdResolution(family, address);
      const iputils = await client.exec(['ping', `-${family}`, '-c', '1', '-W', '3', address], {
        check: false,
      });
      await capture.stop();
      runs.set(family, {
        ours,
        iputils: parseIputilsRtts(iputils.stdout)[0] ?? null,
        wire: wireRtts(readEchoes(readFileSync(file)), family, PAYLOAD),
      });
    }
  });

  after(() => {
    if (captureDir) rmSync(captureDir, { recursive: true, force: true });
  });

  for (const family of [4, 6] as const) {
    it(`IPv${family}: the setup holds the packet (iputils reads the wait), and our RTT is the wire's (median of ${OURS} within ${us(HELD_BOUND_S)}, each within ${us(CEILING_S)})`, (t) => {
      const run = runs.get(family)!;
      t.diagnostic(
        `ours ${JSON.stringify(run.ours)}, iputils ${run.iputils}, wire ${JSON.stringify(run.wire)}`,
      );
      assert.equal(run.wire.length, OURS + 1, `${OURS + 1} echo requests on the wire: ours, then iputils`);
      const theirWire = run.wire[OURS]!;
      assert.ok(run.iputils !== null && theirWire !== null, 'iputils got its answer');
      assert.ok(
        run.iputils - theirWire >= (HOLD_MS / 1000) * 0.9,
        `iputils' RTT ${run.iputils} s holds the wait over the wire's ${theirWire} s`,
      );
      const offsets = run.ours.map((ours, i) => {
        const wire = run.wire[i];
        assert.ok(ours !== null && wire !== null && wire !== undefined, `our ping ${i + 1} got its answer`);
        return ours - wire;
      });
      const shown = `ours minus the wire: ${offsets.map(us).join(', ')}`;
      const median = [...offsets].sort((a, b) => a - b)[Math.floor(OURS / 2)]!;
      assert.ok(Math.abs(median) < HELD_BOUND_S, `median ${us(median)}; ${shown}`);
      assert.ok(
        offsets.every((offset) => Math.abs(offset) < CEILING_S),
        shown,
      );
    });
  }
});
