// Send-side faults while the exporter runs: an egress queue that stops draining (a tbf qdisc at
// 100 bit/s on the link to the stalled targets: one frame leaves every ~2 minutes), as on a hung
// interface. What a raw socket's sendto(2) does then (measured on Linux 6.18):
// - once the queue is full it drops (NET_XMIT_DROP) and sendto fails with ENOBUFS, on IPv6 always,
//   on IPv4 only with IP_RECVERR set (raw_sendmsg() hides it otherwise, and the loss would count as
//   a timeout): the native transport sets it, so both families count the loss as `send`;
// - packets waiting in a queue count against the socket's send buffer, shared by every target of
//   the family; when the queue holds all of it (2 x SO_SNDBUF), sendto fails with ENOBUFS whatever
//   the destination. The transport's 4 MiB SO_SNDBUF keeps a queue of ordinary depth (the first
//   test: ~270 frames; Linux's default txqueuelen is 1000) from getting there; the default
//   (208 KiB: ~180 such frames, ~530 small echo requests) did not.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, requireTools, type Link, type LinkEnd, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { cliPath } from '../support/paths';
import { select, type Sample } from '../support/scrape';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const TARGETS = ['healthy4', 'healthy6', 'stalled4', 'stalled6', 'bulk4'] as const;
type Target = (typeof TARGETS)[number];
interface Counts {
  sent: number;
  received: number;
  send: number;
  timeout: number;
}
type Snapshot = Record<Target, Counts>;
/** Knock and trace over the stalled IPv6 link (their own counters). */
interface OtherProbes {
  knockSent: number;
  knockReceived: number;
  knockRefused: number;
  traceRounds: number;
  traceRefused: number;
  traceReached: number;
}

const total = (samples: Sample[], name: string, labels: Record<string, string>): number =>
  select(samples, name, labels).reduce((sum, s) => sum + s.value, 0);

async function until(what: () => string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(100);
  }
}

describe('send faults: a stalled egress queue fails sends with ENOBUFS (ping, knock, trace), the rest goes on, all recovers', () => {
  const lab = useLab();
  let client: Netns;
  let healthyLink: Link;
  let link4: Link;
  let link6: Link;
  let exporter: ExporterProcess;

  const snapshot = async (): Promise<Snapshot> => {
    const samples = await exporter.scrape();
    const counts = (target: Target): Counts => {
      const errors = (reason: string): number =>
        total(samples, 'netdiag_probe_errors_total', { target, probe: 'ping', reason });
      return {
        sent: total(samples, 'netdiag_ping_sent_total', { target }),
        received: total(samples, 'netdiag_ping_received_total', { target }),
        send: errors('send'),
        timeout: errors('timeout'),
      };
    };
    return Object.fromEntries(TARGETS.map((t) => [t, counts(t)])) as Snapshot;
  };
  const otherProbes = async (): Promise<OtherProbes> => {
    const samples = await exporter.scrape();
    const refused = (target: string, probe: string): number =>
      total(samples, 'netdiag_probe_errors_total', { target, probe, reason: 'send' });
    return {
      knockSent: total(samples, 'netdiag_knock_sent_total', { target: 'knock6' }),
      knockReceived: total(samples, 'netdiag_knock_received_total', { target: 'knock6' }),
      knockRefused: refused('knock6', 'knock'),
      traceRounds: total(samples, 'netdiag_trace_rounds_total', { target: 'trace6' }),
      traceRefused: refused('trace6', 'trace'),
      traceReached: total(samples, 'netdiag_trace_reached', { target: 'trace6' }),
    };
  };
  const otherDelta = (from: OtherProbes, to: OtherProbes): OtherProbes => ({
    knockSent: to.knockSent - from.knockSent,
    knockReceived: to.knockReceived - from.knockReceived,
    knockRefused: to.knockRefused - from.knockRefused,
    traceRounds: to.traceRounds - from.traceRounds,
    traceRefused: to.traceRefused - from.traceRefused,
    traceReached: to.traceReached,
  });
  /** Knocks answered again and a trace round through the link reached its destination. */
  const othersRecovered = async (): Promise<void> => {
    const base = await otherProbes();
    let d = otherDelta(base, base);
    await until(
      () => `knock6 and trace6 recovering: ${JSON.stringify(d)}`,
      async () => {
        d = otherDelta(base, await otherProbes());
        return d.knockReceived > 5 && d.traceRounds >= 2 && d.traceReached === 1;
      },
    );
  };
  const delta = (from: Snapshot, to: Snapshot, target: Target): Counts => ({
    sent: to[target].sent - from[target].sent,
    received: to[target].received - from[target].received,
    send: to[target].send - from[target].send,
    timeout: to[target].timeout - from[target].timeout,
  });
  /** What happened to each target during `ms`. */
  const during = async (ms: number): Promise<(target: Target) => Counts> => {
    const start = await snapshot();
    await sleep(ms);
    const end = await snapshot();
    return (target) => delta(start, end, target);
  };
  const waitFor = async (what: string, base: Snapshot, done: (now: Snapshot) => boolean): Promise<void> => {
    let now = base;
    await until(
      () => `${what}: ${JSON.stringify(TARGETS.map((t) => [t, delta(base, now, t)]))}`,
      async () => done((now = await snapshot())),
    );
  };
  const assertLossless = (d: Counts, target: Target, minimum: number): void => {
    assert.ok(d.sent >= minimum, `${target}: ${d.sent} probes, expected at least ${minimum}`);
    assert.deepEqual(d, { sent: d.sent, received: d.sent, send: 0, timeout: 0 }, `${target} lost probes`);
  };
  /** All `sent` refused by the kernel, none answered. */
  const assertRefused = (d: Counts, target: Target): void =>
    assert.ok(d.send > 0 && d.send === d.sent && d.received === 0, `${target}: ${JSON.stringify(d)}`);
  const MINIMUM: Record<Target, number> = { healthy4: 5, healthy6: 5, stalled4: 20, stalled6: 20, bulk4: 10 };
  /** Waits for the targets to answer again, then checks a second without any loss. */
  const recovered = async (...targets: Target[]): Promise<void> => {
    const base = await snapshot();
    await waitFor(`${targets.join(', ')} answering`, base, (now) =>
      targets.every((t) => delta(base, now, t).received > 5),
    );
    const d = await during(1000);
    for (const t of targets) assertLossless(d(t), t, MINIMUM[t]);
  };

  /** Frames leave at 100 bit/s, one every ~2 minutes; `limit` bytes wait, the rest is dropped. */
  const stall = (link: Link, limit: string): Promise<unknown> => {
    const tbf = ['tbf', 'rate', '100bit', 'burst', '1600', 'limit', limit];
    return client.exec(['tc', 'qdisc', 'replace', 'dev', link.a.ifname, 'root', ...tbf]);
  };
  /** Back to the link's own (no) queue: what it held is freed, and with it the socket's buffer. */
  const unstall = async (...links: Link[]): Promise<void> => {
    for (const link of links)
      await client.exec(['tc', 'qdisc', 'del', 'dev', link.a.ifname, 'root'], { check: false });
  };
  const queue = async (link: Link): Promise<{ drops: number; backlog: number }> => {
    const { stdout } = await client.exec(['tc', '-s', '-j', 'qdisc', 'show', 'dev', link.a.ifname]);
    const [root] = JSON.parse(stdout) as Array<{ drops: number; backlog: number }>;
    return { drops: root?.drops ?? 0, backlog: root?.backlog ?? 0 };
  };
  /** The stalled queue is to hold probes only: no address resolution through it. */
  const pinNeighbour = async (end: LinkEnd, near: LinkEnd, family: 4 | 6): Promise<void> => {
    const { stdout } = await end.ns.ip(['-j', 'link', 'show', 'dev', end.ifname]);
    const [info] = JSON.parse(stdout) as Array<{ address: string }>;
    const address = family === 4 ? end.ipv4 : end.ipv6;
    const lladdr = ['lladdr', info!.address, 'nud', 'permanent'];
    await client.ip([`-${family}`, 'neigh', 'replace', address, 'dev', near.ifname, ...lladdr]);
  };
  /** The one-shot CLI's output (a process with sockets of its own). */
  const cliPing = async (addr: string, args: string[]): Promise<string> =>
    (await client.exec(['node', cliPath, 'ping', addr, ...args], { check: false, timeoutMs: 60_000 })).stdout;

  before(async () => {
    requireTools('tc', 'curl');
    client = await lab().namespace('sfclient');
    const healthy = await lab().namespace('sfhealthy');
    const stalled = await lab().namespace('sfstalled');
    healthyLink = await lab().connect(client, healthy);
    link4 = await lab().connect(client, stalled);
    link6 = await lab().connect(client, stalled);
    await pinNeighbour(link4.b, link4.a, 4);
    await pinNeighbour(link6.b, link6.a, 6);
    // stalled*: one 1400-byte frame per probe; bulk4: 45 frames per probe, fills a queue fast.
    exporter = await startExporter(
      client,
      `defaults:
  ping: { interval: 100ms, timeout: 100ms }
targets:
  - { name: healthy4, host: ${healthyLink.b.ipv4}, ping: {} }
  - { name: healthy6, host: "${healthyLink.b.ipv6}", ping: {} }
  - { name: stalled4, host: ${link4.b.ipv4}, ping: { interval: 10ms, timeout: 10ms, size: 1400 } }
  - { name: stalled6, host: "${link6.b.ipv6}", ping: { interval: 10ms, timeout: 10ms, size: 1400 } }
  - { name: bulk4, host: ${link4.b.ipv4}, ping: { interval: 20ms, timeout: 20ms, size: 65499 } }
  - name: knock6
    host: "${link6.b.ipv6}"
    knock: [{ port: 9, interval: 50ms, timeout: 50ms }]
  - name: trace6
    host: "${link6.b.ipv6}"
    trace: { protocol: udp, interval: 200ms, timeout: 100ms, max_hops: 2, flows: 2, probes: 1 }
`,
    );
    await recovered(...TARGETS);
    await othersRecovered();
  });

  after(async () => {
    assert.equal(await exporter?.stop(), 0);
  });

  it('a full queue: IPv4 and IPv6 sends fail with ENOBUFS (reason send); nothing else is lost', async () => {
    const base = await snapshot();
    await stall(link4, '400kb');
    await stall(link6, '400kb');
    try {
      await waitFor('send errors of stalled6', base, (now) => delta(base, now, 'stalled6').send > 0);
      // The queue's limit is in bytes: once a 1400-byte ping no longer fits, up to 1399 bytes stay
      // free, where small knock and trace probes still go (and wait for good) until they fill them.
      // Once a trace probe is refused the gap is smaller than one, and nothing is dequeued: from
      // then on every round is refused (but the one in flight at the next snapshot).
      const stalled = await otherProbes();
      await until(
        () => 'a trace round refused',
        async () => (await otherProbes()).traceRefused > stalled.traceRefused,
      );
      const others = await otherProbes();
      const d = await during(2000);
      // Knock and trace share the fate of IPv6 pings: refused, and said so.
      const o = otherDelta(others, await otherProbes());
      assert.ok(o.knockRefused > 10 && o.knockReceived === 0, `knock6: ${JSON.stringify(o)}`);
      assert.ok(o.traceRounds >= 2 && o.traceRefused >= o.traceRounds - 1, `trace6: ${JSON.stringify(o)}`);
      assert.equal(o.traceReached, 0, 'the last trace round did not reach trace6');
      assertLossless(d('healthy4'), 'healthy4', 10);
      assertLossless(d('healthy6'), 'healthy6', 10);
      for (const target of ['stalled4', 'stalled6', 'bulk4'] as const) assertRefused(d(target), target);
      // The queues overflowed: the kernel dropped there.
      for (const link of [link4, link6]) assert.ok((await queue(link)).drops > 0);
      // The errno behind `send`, in the one-shot CLI's words, for both families.
      const six = await cliPing(link6.b.ipv6, ['-c', '3', '-i', '0.05', '-W', '0.05', '-s', '65499']);
      assert.equal(six.match(/send failed: No buffer space available/g)?.length, 3, six);
      const four = await cliPing(link4.b.ipv4, ['-c', '3', '-i', '0.05', '-W', '0.05', '-s', '65499']);
      assert.equal(four.match(/send failed: No buffer space available/g)?.length, 3, four);
    } finally {
      await unstall(link4, link6);
    }
    await recovered(...TARGETS);
    await othersRecovered();
  });

  it("a queue holding the socket's whole send buffer: every IPv4 send fails with ENOBUFS, IPv6 goes on", async () => {
    const base = await snapshot();
    await stall(link4, '64mb');
    try {
      await waitFor('send errors of healthy4', base, (now) => delta(base, now, 'healthy4').send > 0);
      const others = await otherProbes();
      const d = await during(2000);
      const o = otherDelta(others, await otherProbes());
      assert.ok(o.knockSent > 10 && o.knockReceived >= o.knockSent - 1, `knock6: ${JSON.stringify(o)}`);
      assert.equal(o.knockRefused + o.traceRefused, 0, `IPv6 knock and trace: ${JSON.stringify(o)}`);
      for (const target of ['healthy4', 'stalled4', 'bulk4'] as const) assertRefused(d(target), target);
      assertLossless(d('healthy6'), 'healthy6', 10);
      assertLossless(d('stalled6'), 'stalled6', 50);
      // Nothing was dropped by the queue: the socket's send buffer refused the packets.
      const held = await queue(link4);
      assert.equal(held.drops, 0);
      assert.ok(held.backlog > 8_000_000, `backlog ${held.backlog} bytes`);
      // A fresh socket (the CLI's) gets its own buffer's worth into the queue, then ENOBUFS.
      const cli = await cliPing(link4.b.ipv4, ['-c', '250', '-i', '0', '-W', '0.01', '-s', '65499']);
      const refused = cli.match(/send failed: No buffer space available/g)?.length ?? 0;
      assert.ok(refused > 0 && refused < 250, cli.slice(-400));
    } finally {
      await unstall(link4);
    }
    await recovered(...TARGETS);
  });
});
