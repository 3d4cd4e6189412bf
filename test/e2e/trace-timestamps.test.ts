// Trace RTTs against the wire (issue 20): a chain client — r1 — r2 — target, traced with UDP, TCP and
// ICMP probes over IPv4 and IPv6 under a nanosecond capture of the client's veth. Each probe is found
// on the wire by what tells it apart (test/support/pcap.ts readTraceProbes) and matched with the answer
// the routers or the target sent; every RTT the Tracer reports at a hop is within 50 µs of the wire's.
//
// With one flow, a hop's RTTs come in the order their answers were read, which is the order the
// capture saw them arrive: the i-th RTT of a hop is matched with the i-th answer of that TTL.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { TraceRequest, TraceResult } from '../../probes';
import { requireTools, useLab, type Link } from '../lab';
import { startCapture } from '../support/capture';
import { fixturePath } from '../support/paths';
import { readTraceProbes, type WireProbe } from '../support/pcap';
import { judgeWireOffsets } from '../support/wire-offsets';

const VS_WIRE_S = 50e-6;
const PROTOCOLS = ['udp', 'tcp', 'icmp'] as const;
const us = (seconds: number): string => `${(seconds * 1e6).toFixed(1)} µs`;

describe('trace: every hop RTT within 50 µs of the wire', () => {
  const lab = useLab();
  let captureDir: string;
  let results: TraceResult[];
  let wire: WireProbe[];
  let targetLink: Link;

  before(async () => {
    requireTools('tcpdump');
    const client = await lab().namespace('twclient');
    const r1 = await lab().namespace('twr1', { router: true });
    const r2 = await lab().namespace('twr2', { router: true });
    const target = await lab().namespace('twtarget');
    for (const ns of [r1, r2, target]) {
      // Three probes a hop and six traces at once exceed Linux's burst of ICMP errors: lifted here, where
      // the subject is time, not rate limits.
      await ns.sysctl('net.ipv4.icmp_ratelimit', 0);
      await ns.sysctl('net.ipv6.icmp.ratelimit', 0);
    }
    const clientR1 = await lab().connect(client, r1);
    const r1R2 = await lab().connect(r1, r2);
    targetLink = await lab().connect(r2, target);
    await lab().defaultRoute(client, clientR1.b);
    await lab().defaultRoute(r1, r1R2.b);
    await lab().defaultRoute(r2, r1R2.a);
    await lab().defaultRoute(target, targetLink.a);
    captureDir = mkdtempSync(path.join(tmpdir(), 'netdiag-trw-'));
    const file = path.join(captureDir, 'trace.pcap');
    const capture = await startCapture(client, clientR1.a.ifname, file, 'ip or ip6');
    const requests: TraceRequest[] = [];
    for (const addr of [targetLink.b.ipv4, targetLink.b.ipv6])
      for (const protocol of PROTOCOLS)
        requests.push({ addr, protocol, flows: 1, probes: 3, maxHops: 6, timeout: 2 });
    const { stdout } = await client.exec(['node', fixturePath('trace-run')], {
      input: JSON.stringify({ requests }),
      timeoutMs: 60_000,
    });
    results = JSON.parse(stdout) as TraceResult[];
    await capture.stop();
    wire = readTraceProbes(readFileSync(file));
  });

  after(() => {
    if (captureDir) rmSync(captureDir, { recursive: true, force: true });
  });

  for (const family of [4, 6] as const) {
    for (const protocol of PROTOCOLS) {
      it(`${protocol.toUpperCase()} over IPv${family}: r1, r2 and the target answer every probe, each RTT as on the wire`, (t) => {
        const result = results.find((r) => r.family === family && r.protocol === protocol);
        assert.ok(result, `a ${protocol} IPv${family} result`);
        assert.ok(result.reached, 'the trace reached the target');
        assert.equal(result.hopsToDestination, 3, 'the target is the third hop');
        const offsets: number[] = [];
        for (const hop of result.hops.filter((h) => h.ttl <= 3)) {
          assert.equal(hop.responders.length, 1, `one responder at TTL ${hop.ttl}`);
          const ours = hop.responders[0]!.rtts;
          const sent = wire.filter(
            (p) => p.family === family && p.protocol === protocol && p.ttl === hop.ttl,
          );
          const onWire = sent.filter((p) => p.answer).sort((a, b) => Number(a.answer!.at - b.answer!.at));
          assert.equal(ours.length, 3, `TTL ${hop.ttl}: every probe answered`);
          assert.equal(
            onWire.length,
            3,
            `TTL ${hop.ttl}: the capture holds every probe and its answer (${sent.length} probes on the wire)`,
          );
          ours.forEach((rtt, i) => offsets.push(rtt - onWire[i]!.answer!.rtt));
        }
        const worst = Math.max(...offsets.map(Math.abs));
        t.diagnostic(`offsets from the wire over ${offsets.length} probes: worst ${us(worst)}`);
        const verdict = judgeWireOffsets(offsets, VS_WIRE_S);
        assert.ok(verdict.ok, verdict.explanation);
      });
    }
  }
});
