import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, requireTools, type Link, type Netns } from '../lab';
import { median, parseIputilsSummary, type IputilsSummary } from '../support/iputils';
import { cliPing } from '../support/ping-cli';
import { summarizeRtts } from '../../probes';
import { fixturePath } from '../support/paths';

const ONE_WAY_DELAY_MS = 5;
/**
 * Far above the time a burst of 2,000 requests takes to leave, and above a stall of this VM: kernel
 * stamps cannot tell a stretch the vCPU was not running from network delay, and a CI run read fast-link
 * RTTs of 128 ms through one, which 100 ms here took for a cross-match. A cross-match reads a whole
 * link's RTT off, so the two links stay apart by 2 × this.
 */
const SLOW_ONE_WAY_MS = 500;
const ANYIP4 = '10.200.0.0/16';
const ANYIP6 = 'fd00:200::/64';
const BIND4 = '192.0.2.77';
const BIND6 = 'fd00:bbbb::77';

/** n standard deviations of the difference of two binomial loss ratios over `probes` each. */
const binomialBound = (rate: number, probes: number, sigmas = 4.5): number =>
  sigmas * Math.sqrt((2 * rate * (1 - rate)) / probes);

describe('ping end to end (lab namespaces)', () => {
  const lab = useLab();
  let client: Netns;
  let target: Netns;
  let fast: Link;
  let slow: Link;

  before(async () => {
    requireTools('ping', 'nft');
    client = await lab().namespace('client');
    target = await lab().namespace('target');
    fast = await lab().connect(client, target);
    slow = await lab().connect(client, target, { delayMs: ONE_WAY_DELAY_MS });
    await lab().addAnyIp(target, ANYIP4);
    await lab().addAnyIp(target, ANYIP6);
    await lab().route(client, ANYIP4, fast.b);
    await lab().route(client, ANYIP6, fast.b);
  });

  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`measures the RTT through a ${ONE_WAY_DELAY_MS} ms link within 0.2 ms + 2 mdev of iputils ping (${family})`, async (t) => {
      const addr = slow.b[family];
      // Side by side from one warm process, so that both see the same state of the user-space link.
      const { stdout } = await client.exec(['node', fixturePath('ping-vs-iputils'), addr, '50', '0.02']);
      const { rtts, iputils, iputilsRtts } = JSON.parse(stdout) as {
        rtts: Array<number | null>;
        iputils: IputilsSummary;
        iputilsRtts: number[];
      };
      const ours = summarizeRtts(rtts);
      assert.equal(ours.received, 50);
      assert.equal(iputils.received, 50);
      assert.equal(iputilsRtts.length, 50);
      assert.ok(ours.avg! > (2 * ONE_WAY_DELAY_MS) / 1000, `RTT ${ours.avg} s includes the injected delay`);
      // Medians, not means: a stall of this 2-vCPU VM delays single replies in the delay link's
      // process, on either side, which says nothing of how each times a reply. Both read kernel
      // receive stamps (issue 20), so the process's wake-up latency is out of both; the bound is
      // iputils' print resolution (0.1 ms above 10 ms) and its user-space send stamp, plus twice its
      // own deviation in the same run for the link's noisy phases.
      const ourMedian = median(rtts.filter((rtt): rtt is number => rtt !== null));
      const theirMedian = median(iputilsRtts);
      const bound = 0.0002 + 2 * iputils.mdev!;
      t.diagnostic(
        `netdiag median ${(ourMedian * 1e3).toFixed(3)} ms, iputils ${(theirMedian * 1e3).toFixed(3)} ms, mdev ${(iputils.mdev! * 1e3).toFixed(3)} ms`,
      );
      assert.ok(
        Math.abs(ourMedian - theirMedian) < bound,
        `bound ${(bound * 1e3).toFixed(3)} ms: netdiag median ${(ourMedian * 1e3).toFixed(3)} ms vs iputils ${(theirMedian * 1e3).toFixed(3)} ms ` +
          `(means ${(ours.avg! * 1e3).toFixed(3)} vs ${(iputils.avg! * 1e3).toFixed(3)} ms)`,
      );
    });
  }

  it('prints the same RTTs from the CLI', async () => {
    const run = await cliPing(client, slow.b.ipv4, ['-c', '10', '-i', '0.02']);
    assert.equal(run.summary.received, 10);
    for (const rtt of run.rtts)
      assert.ok(rtt! > (2 * ONE_WAY_DELAY_MS) / 1000 && rtt! < 0.1, `CLI RTT ${rtt}`);
  });

  it('measures loss at a set rate within a binomial bound of iputils ping', async () => {
    const rate = 0.2;
    const probes = 300;
    await lab().setLoss(target, rate * 100);
    try {
      const ours = await cliPing(client, fast.b.ipv4, ['-c', String(probes), '-i', '0.005', '-W', '0.5']);
      const theirs = parseIputilsSummary(
        (
          await client.exec(['ping', '-q', '-c', String(probes), '-i', '0.005', '-W', '0.5', fast.b.ipv4], {
            check: false,
          })
        ).stdout,
      );
      assert.equal(ours.summary.sent, probes);
      assert.equal(ours.rtts.filter((rtt) => rtt === null).length, probes - ours.summary.received);
      const bound = binomialBound(rate, probes);
      assert.ok(
        Math.abs(ours.summary.loss - rate) < bound / Math.SQRT2,
        `netdiag loss ${ours.summary.loss} vs set ${rate}`,
      );
      assert.ok(
        Math.abs(ours.summary.loss - theirs.loss) < bound,
        `netdiag loss ${ours.summary.loss} vs iputils ${theirs.loss}`,
      );
    } finally {
      await lab().clearLoss(target);
    }
  });

  it('answers 1,000 concurrent pings per family from one Pinger with no cross-matching', async (t) => {
    // One address of each range goes through a long delay link: its RTT must stand out.
    const slower = await lab().connect(client, target, { delayMs: SLOW_ONE_WAY_MS });
    const slow4 = '10.200.3.77';
    const slow6 = 'fd00:200::3:77';
    await lab().route(client, `${slow4}/32`, slower.b);
    await lab().route(client, `${slow6}/128`, slower.b);
    const addrs: string[] = [];
    for (let i = 0; i < 1000; i++) {
      addrs.push(`10.200.${i >> 8}.${i & 255}`.replace('10.200.3.77', slow4));
      addrs.push(`fd00:200::${(i >> 8).toString(16)}:${(i & 255).toString(16)}`);
    }
    addrs.push(slow4, slow6);
    const unique = [...new Set(addrs)];
    const { stdout } = await client.exec(['node', fixturePath('ping-many')], {
      input: JSON.stringify({ addrs: unique, count: 3, interval: 0.2, timeout: 2 }),
      timeoutMs: 60_000,
    });
    const { results, stats } = JSON.parse(stdout) as {
      results: Record<string, Array<number | null>>;
      stats: Array<{ family: number; mismatched: number; matched: number }>;
    };
    const fastRtts = unique
      .filter((addr) => addr !== slow4 && addr !== slow6)
      .flatMap((addr) => results[addr]!.filter((rtt): rtt is number => rtt !== null));
    t.diagnostic(
      `fast link: ${fastRtts.length} RTTs, median ${(median(fastRtts) * 1e3).toFixed(3)} ms, ` +
        `max ${(Math.max(...fastRtts) * 1e3).toFixed(3)} ms, ${fastRtts.filter((rtt) => rtt > 0.01).length} over 10 ms; ` +
        `sockets ${JSON.stringify(stats)}`,
    );
    assert.equal(Object.keys(results).length, unique.length);
    for (const addr of unique) {
      const rtts = results[addr]!;
      assert.equal(rtts.length, 3, addr);
      for (const rtt of rtts) {
        assert.notEqual(rtt, null, `${addr} answered`);
        if (addr === slow4 || addr === slow6) {
          // What this test tells apart is the link, not the microsecond: a reply matched to another
          // probe reads a whole link's RTT off (a second of it). A full-suite run under load read one RTT of the 6 slow ones
          // 0.24 ms short of the link's RTT (an open defect of issue 20; 21 runs of this test alone did not repeat it).
          assert.ok(rtt! >= (2 * SLOW_ONE_WAY_MS - 1) / 1000, `${addr} is behind the delay link: ${rtt}`);
        } else {
          assert.ok(rtt! < SLOW_ONE_WAY_MS / 1000, `${addr} is on the fast link: ${rtt}`);
        }
      }
    }
    assert.equal(
      stats.reduce((sum, s) => sum + s.matched, 0),
      unique.length * 3,
    );
  });

  it('is not disturbed by another process pinging the same target at the same time', async () => {
    const addr = fast.b.ipv4;
    const args = ['-c', '200', '-i', '0.005', '-W', '1'];
    const [first, second, iputils] = await Promise.all([
      cliPing(client, addr, args),
      cliPing(client, addr, args),
      client.exec(['ping', '-q', '-c', '200', '-i', '0.005', addr]),
    ]);
    assert.equal(first.summary.received, 200);
    assert.equal(second.summary.received, 200);
    assert.equal(parseIputilsSummary(iputils.stdout).received, 200);
  });

  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`sends from the --bind address (${family})`, async () => {
      const source = family === 'ipv4' ? BIND4 : BIND6;
      await lab().addAddress(fast.a, family === 'ipv4' ? `${BIND4}/32` : `${BIND6}/128`);
      await lab().route(target, family === 'ipv4' ? `${BIND4}/32` : `${BIND6}/128`, fast.a);
      const match =
        family === 'ipv4'
          ? `ip saddr ${BIND4} icmp type echo-request`
          : `ip6 saddr ${BIND6} icmpv6 type echo-request`;
      const count = await lab().counter(target, `bind_${family}`, match);
      const run = await cliPing(client, fast.b[family], ['-c', '5', '-i', '0.05', '--bind', source]);
      assert.equal(run.summary.received, 5);
      assert.equal(await count(), 5);
    });
  }

  it('sends through the --interface it is bound to', async () => {
    // The target's fast-link address is reachable only through the fast link; bound to the slow
    // link's interface, the requests leave there and take its delay instead.
    await lab().route(client, `${fast.b.ipv4}/32`, slow.b);
    const run = await cliPing(client, fast.b.ipv4, ['-c', '5', '-i', '0.05', '--interface', fast.a.ifname]);
    assert.equal(run.summary.received, 5);
    assert.ok(run.summary.avg! < ONE_WAY_DELAY_MS / 1000, `bound to ${fast.a.ifname}: ${run.summary.avg}`);
    const unbound = await cliPing(client, fast.b.ipv4, ['-c', '5', '-i', '0.05']);
    assert.ok(
      unbound.summary.avg! > (2 * ONE_WAY_DELAY_MS) / 1000,
      `via the route's delay link: ${unbound.summary.avg}`,
    );
  });
});
