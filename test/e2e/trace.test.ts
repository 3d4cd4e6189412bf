import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireTools, useLab } from '../lab';
import type { BindOptions, TraceHop, TraceRequest, TraceResult } from '../../probes';
import { cliPath, fixturePath } from '../support/paths';
import { buildTraceLab, type TraceLab } from './trace-lab';

const DELAY_MS = 5;
/** 16 flows: the chance that all of them hash onto one branch of the split is 2^-15 per trace. */
const FLOWS = 16;
const families = ['ipv4', 'ipv6'] as const;
type Family = (typeof families)[number];

describe('trace end to end (lab namespaces)', () => {
  const lab = useLab();
  let t: TraceLab;

  before(async () => {
    requireTools('nft', 'traceroute');
    t = await buildTraceLab(lab(), DELAY_MS);
  });

  const targetOf = (family: Family): string => t.links.r4Target.b[family];

  /** The hop addresses of the lab, per TTL, as the trace must find them (see trace-lab.ts). */
  function expectedHops(family: Family): string[][] {
    const { links } = t;
    return [
      [links.clientR1.b[family]],
      [links.r1R2a.b[family], links.r1R2b.b[family]],
      // r3 answers from the interface the probe came in on: IPv4 because of
      // icmp_errors_use_inbound_ifaddr, IPv6 because Linux picks the source address of an ICMPv6
      // error on the inbound interface (measured on 6.x kernels), not on its return route (r2a only).
      [links.r2aR3.b[family], links.r2bR3.b[family]],
      [links.r3R4.b[family]],
      [links.r4Target.b[family]],
    ];
  }

  async function runTraces(requests: TraceRequest[], bind?: BindOptions): Promise<TraceResult[]> {
    const { stdout } = await t.client.exec(['node', fixturePath('trace-run')], {
      input: JSON.stringify({ requests, ...(bind && { bind }) }),
      timeoutMs: 60_000,
    });
    return JSON.parse(stdout) as TraceResult[];
  }

  const addresses = (hop: TraceHop): string[] => hop.responders.map((r) => r.address).sort();
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

  /** Exact hops, the destination last, no loss, the RTT step behind the delay link (hop 4). */
  function assertLabTrace(result: TraceResult, family: Family, split: 'both' | 'one'): void {
    const expected = expectedHops(family);
    const label = `${result.protocol} ${family}`;
    assert.equal(result.reached, true, label);
    assert.equal(result.hopsToDestination, 5, label);
    assert.deepEqual(
      result.hops.map((hop) => hop.ttl),
      [1, 2, 3, 4, 5],
    );
    for (const [i, hop] of result.hops.entries()) {
      const wanted = expected[i]!;
      if (split === 'one' && wanted.length > 1) {
        assert.equal(hop.responders.length, 1, `${label} hop ${hop.ttl}: one branch`);
        assert.ok(wanted.includes(hop.responders[0]!.address), `${label} hop ${hop.ttl}: ${addresses(hop)}`);
      } else {
        assert.deepEqual(addresses(hop), [...wanted].sort(), `${label} hop ${hop.ttl}`);
      }
      assert.equal(hop.sent, FLOWS * 3, `${label} hop ${hop.ttl} sent`);
      assert.equal(hop.loss, 0, `${label} hop ${hop.ttl} loss`);
      for (const responder of hop.responders) {
        const rtt = mean(responder.rtts) * 1000;
        if (hop.ttl <= 3)
          assert.ok(rtt < DELAY_MS, `${label} hop ${hop.ttl} before the delay link: ${rtt} ms`);
        else {
          const min = Math.min(...responder.rtts) * 1000;
          assert.ok(
            min >= 2 * DELAY_MS - 0.5,
            `${label} hop ${hop.ttl} behind the delay link: min ${min} ms`,
          );
        }
      }
    }
    const last = result.hops[4]!.responders[0]!;
    assert.equal(last.kind, 'destination');
    assert.equal(
      result.hops.slice(0, 4).every((hop) => hop.responders.every((r) => r.kind === 'hop')),
      true,
    );
    // Paris traceroute: a flow keeps one path, so it meets one responder per hop, and r3 answers it
    // on the interface that faces the branch the flow took at hop 2.
    for (const hop of result.hops) {
      const flows = hop.responders.flatMap((r) => r.flows);
      assert.equal(new Set(flows).size, flows.length, `${label} hop ${hop.ttl}: a flow met one responder`);
      assert.equal(flows.length, FLOWS);
    }
    const branchOf = new Map([
      [t.links.r1R2a.b[family], t.links.r2aR3.b[family]],
      [t.links.r1R2b.b[family], t.links.r2bR3.b[family]],
    ]);
    for (const flow of result.flows) {
      assert.equal(flow.hops.length, 5);
      assert.equal(flow.reached, true);
      assert.equal(flow.hops[2], branchOf.get(flow.hops[1]!), `${label} flow ${flow.flow}: ${flow.hops}`);
    }
    assert.equal(result.paths.length, split === 'both' ? 2 : 1, label);
    assert.match(result.pathSetHash, /^[0-9a-f]{16}$/);
  }

  for (const protocol of ['udp', 'tcp'] as const) {
    for (const family of families) {
      it(`finds every hop, both branches of the split and the delay step (${protocol}, ${family})`, async () => {
        const [result] = await runTraces([{ addr: targetOf(family), protocol, flows: FLOWS }]);
        assertLabTrace(result!, family, 'both');
      });
    }
  }

  for (const family of families) {
    it(`follows one branch with ICMP echo: Linux hashes ICMP on addresses only (${family})`, async () => {
      const [result] = await runTraces([{ addr: targetOf(family), protocol: 'icmp', flows: FLOWS }]);
      assertLabTrace(result!, family, 'one');
    });
  }

  it('runs six traces at once from one process without crossing their answers', async () => {
    const requests = (['udp', 'tcp', 'icmp'] as const).flatMap((protocol) =>
      families.map((family) => ({ addr: targetOf(family), protocol, flows: FLOWS, timeout: 2 })),
    );
    const results = await runTraces(requests);
    for (const [i, result] of results.entries()) {
      const family = requests[i]!.addr.includes(':') ? 'ipv6' : 'ipv4';
      assert.equal(result.protocol, requests[i]!.protocol);
      const expected = expectedHops(family);
      assert.deepEqual(
        result.hops.map((hop) => hop.responders.every((r) => expected[hop.ttl - 1]!.includes(r.address))),
        [true, true, true, true, true],
        `${result.protocol} ${family}`,
      );
      assert.equal(
        result.hops.every((hop) => hop.loss === 0),
        true,
      );
    }
  });

  it('sends with its own IP header (TTL in it) from a bound source address', async () => {
    const bind = { ipv4: t.links.clientR1.a.ipv4, ipv6: t.links.clientR1.a.ipv6 };
    const requests = (['udp', 'tcp', 'icmp'] as const).flatMap((protocol) =>
      families.map((family) => ({ addr: targetOf(family), protocol, flows: FLOWS })),
    );
    const results = await runTraces(requests, bind);
    for (const [i, result] of results.entries()) {
      const family = requests[i]!.addr.includes(':') ? 'ipv6' : 'ipv4';
      assertLabTrace(result, family, result.protocol === 'icmp' ? 'one' : 'both');
    }
  });

  it('shows a router whose time exceeded messages are dropped as a silent hop, later hops answering', async () => {
    await lab().setLoss(t.r3, 100, {
      match: ['icmp type time-exceeded', 'icmpv6 type time-exceeded'],
      hook: 'output',
    });
    try {
      for (const family of families) {
        const [result] = await runTraces([{ addr: targetOf(family), flows: FLOWS, timeout: 0.5 }]);
        const hops = result!.hops;
        assert.deepEqual(
          hops.map((hop) => hop.loss),
          [0, 0, 1, 0, 0],
          family,
        );
        assert.deepEqual(hops[2]!.responders, []);
        assert.equal(hops[2]!.sent, FLOWS * 3);
        assert.equal(result!.reached, true);
        assert.equal(
          result!.flows.every((flow) => flow.hops[2] === null),
          true,
        );
      }
    } finally {
      await lab().clearLoss(t.r3);
    }
  });

  it('changes the path set hash when a route changes, and only then', async () => {
    const request = { addr: targetOf('ipv4'), flows: FLOWS };
    const [before1, before2] = await runTraces([request, request]);
    assert.equal(
      before1!.pathSetHash,
      before2!.pathSetHash,
      'same paths, same identity (flows and ports differ)',
    );
    await lab().route(t.r1, '10.0.0.0/16', t.links.r1R2a.b);
    try {
      const [after] = await runTraces([request]);
      assert.equal(after!.paths.length, 1);
      assert.deepEqual(addresses(after!.hops[1]!), [t.links.r1R2a.b.ipv4]);
      assert.notEqual(after!.pathSetHash, before1!.pathSetHash);
    } finally {
      await lab().routeMultipath(t.r1, '10.0.0.0/16', [t.links.r1R2a.b, t.links.r1R2b.b]);
    }
    const [restored] = await runTraces([request]);
    assert.equal(restored!.pathSetHash, before1!.pathSetHash);
  });

  for (const family of families) {
    it(`finds the hops the system traceroute -n finds (${family})`, async () => {
      const addr = targetOf(family);
      const system = await t.client.exec([
        'traceroute',
        family === 'ipv6' ? '-6' : '-4',
        '-n',
        '-q',
        '3',
        addr,
      ]);
      const systemHops = parseTraceroute(system.stdout);
      const [ours] = await runTraces([{ addr, flows: FLOWS }]);
      assert.equal(ours!.hops.length, systemHops.length, system.stdout);
      for (const [i, hop] of ours!.hops.entries()) {
        for (const address of systemHops[i]!) {
          assert.ok(
            addresses(hop).includes(address),
            `hop ${hop.ttl}: traceroute saw ${address}, we ${addresses(hop)}`,
          );
        }
      }
      assert.deepEqual(systemHops.at(-1), [addr]);
    });
  }

  it('prints hops like traceroute -n from the CLI, every responder on its hop line, and JSON', async () => {
    const addr = targetOf('ipv4');
    const text = await t.client.exec(['node', cliPath, 'trace', addr, '--flows', String(FLOWS), '-q', '2']);
    const lines = text.stdout.trim().split('\n');
    assert.match(lines[0]!, new RegExp(`^traceroute to ${addr} \\(${addr}\\), 30 hops max, udp port 33434`));
    assert.match(
      lines[1]!,
      new RegExp(`^ 1  ${t.links.clientR1.b.ipv4}  \\d+\\.\\d{3} ms \\(${FLOWS * 2}\\)  loss 0%$`),
    );
    assert.ok(lines[2]!.includes(t.links.r1R2a.b.ipv4) && lines[2]!.includes(t.links.r1R2b.b.ipv4), lines[2]);
    assert.match(lines[5]!, new RegExp(`^ 5  ${addr}  `));
    assert.match(lines[6]!, /^2 distinct paths over 16 flows/);

    const json = await t.client.exec([
      'node',
      cliPath,
      'trace',
      addr,
      '--protocol',
      'tcp',
      '--json',
      '-w',
      '0.5',
    ]);
    const result = JSON.parse(json.stdout) as TraceResult;
    assert.equal(result.reached, true);
    assert.equal(result.hopsToDestination, 5);
    assert.equal(result.protocol, 'tcp');

    const viaInterface = await t.client.exec([
      'node',
      cliPath,
      'trace',
      targetOf('ipv6'),
      '-6',
      '--protocol',
      'icmp',
      '--interface',
      t.links.clientR1.a.ifname,
      '--json',
    ]);
    assert.equal((JSON.parse(viaInterface.stdout) as TraceResult).hopsToDestination, 5);

    const unreachable = await t.client.exec(
      ['node', cliPath, 'trace', '10.99.0.1', '--max-hops', '2', '-w', '0.2'],
      {
        check: false,
      },
    );
    assert.equal(unreachable.code, 1, unreachable.stderr);
  });
});

/** Addresses per hop line of `traceroute -n` (a line may list several, or none: "*"). */
function parseTraceroute(stdout: string): string[][] {
  return stdout
    .split('\n')
    .slice(1)
    .filter((line) => /^\s*\d+\s/.test(line))
    .map((line) => [
      ...new Set(
        line
          .trim()
          .split(/\s+/)
          .slice(1)
          .filter(
            (word) => /^[0-9a-f:.]+$/i.test(word) && (word.includes(':') || word.split('.').length === 4),
          ),
      ),
    ]);
}
